"""The double-entry ledger (DESIGN.md, "Ledger"): accounts, transactions and their entries.

Writes go through payments.ledger only. On PostgreSQL the migration 0002_ledger_rules adds
triggers that hold the rules even for code that goes around the services: entries balance per
currency at commit, entries and transactions are never updated or deleted, an entry has its
account's currency, and an account's party, kind and currency never change.
"""

import re
from typing import Final

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from common.errors import ApplicationError
from common.money import Money, currency_validate
from payments.enums import OVERDRAFT_KINDS, PARTY_KINDS, PLATFORM_KINDS, AccountKind, TransactionKind

# Parties are string keys, not foreign keys, so a new kind of party (brands arrive with the
# marketplace) needs no schema change: "platform", "user:<id>", "brand:<id>".
PLATFORM: Final = "platform"
PARTY_PATTERN: Final = re.compile(r"^(platform|(user|brand):[1-9][0-9]*)$")


def party_for_user(user: models.Model) -> str:
    """The ledger party of a user (a creator, or any user who earns or pays through the ledger)."""
    assert user.pk is not None, "save the user first"
    return f"user:{user.pk}"


def party_for_brand(brand: models.Model) -> str:
    """The ledger party of a brand (the marketplace's brand profile)."""
    assert brand.pk is not None, "save the brand first"
    return f"brand:{brand.pk}"


def currency_code_validator(value: str) -> None:
    """Model field validator for a supported ISO currency code (named in migrations: keep the name)."""
    # Model validators raise ValidationError; currency_validate raises ApplicationError.
    try:
        currency_validate(value)
    except ApplicationError as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


class LedgerAccount(models.Model):
    """One party's money of one kind in one currency. ``balance_minor`` caches the sum of its entries.

    The cache is updated by ledger_post() in the same database transaction as the entries, under
    a row lock, and ledger_check() compares it with the entries.
    """

    party = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    # True for the platform's clearing, revenue and expense accounts (any sign is meaningful);
    # a party's `available` still goes negative only when a posting says so (see enums.py).
    allow_negative = models.BooleanField(default=False)
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["party", "kind", "currency"], name="ledger_account_unique"),
            # The platform has platform kinds; creators and brands have party kinds.
            models.CheckConstraint(
                condition=(Q(party="platform") & Q(kind__in=sorted(PLATFORM_KINDS)))
                | (~Q(party="platform") & Q(kind__in=sorted(PARTY_KINDS))),
                name="ledger_account_kind_matches_party",
            ),
            # A last line of defence behind the posting service: `pending`, `payable_out` and
            # `escrow` can never hold less than nothing.
            models.CheckConstraint(
                condition=Q(balance_minor__gte=0)
                | Q(allow_negative=True)
                | Q(kind__in=sorted(OVERDRAFT_KINDS)),
                name="ledger_account_no_overdraft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.kind} {self.currency}"

    @property
    def balance(self) -> Money:
        """The cached balance as Money (as of when this row was read)."""
        return Money(self.balance_minor, self.currency)


class LedgerTransaction(models.Model):
    """A set of entries that sum to zero per currency, posted once under a unique ``reference``."""

    reference = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=TransactionKind.choices, db_index=True)
    description = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # A copy of the commission rule applied, so history does not change when staff edit the rule.
    commission_rule = models.JSONField(null=True, blank=True)
    # One-to-one: a transaction is reversed at most once, enforced by a unique index.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # sha256 of the kind and the normalized entries: a repeated post with the same reference is
    # a no-op when the hash matches and a conflict when it does not.
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.reference


class LedgerEntry(models.Model):
    """One signed amount on one account. Never updated or deleted: corrections are reversals."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    # No single-column index: the (account, id) index below serves lookups by account too.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount_minor = models.BigIntegerField()
    # Denormalized from the account so that per-currency sums need no join (trigger-checked).
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "id"], name="ledger_entry_account_id")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_amount_not_zero"),
        ]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
