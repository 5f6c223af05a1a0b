"""The double-entry ledger (DESIGN.md, "Ledger"): accounts, transactions and their entries.

Writes go through payments.ledger only. On PostgreSQL the migration 0002_ledger_rules adds
triggers that hold the rules even for code that goes around the services: entries balance per
currency at commit, entries and transactions are never updated or deleted, an entry has its
account's currency, and an account's party, kind and currency never change.
"""

import re
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.errors import ApplicationError
from common.models import TimeStampedModel
from common.money import Money, currency_validate
from payments.enums import (
    OVERDRAFT_KINDS,
    PARTY_KINDS,
    PLATFORM_KINDS,
    AccountKind,
    CommissionSource,
    PaymentStatus,
    PayoutStatus,
    ReconciliationStatus,
    RefundStatus,
    TransactionKind,
    WebhookEventStatus,
)

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

    # No database foreign keys on the two references: the ledger's statement trigger checks both,
    # and locks the accounts, once per INSERT instead of twice per entry at commit (migration 0007).
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    # No single-column index: the (account, id) index below serves lookups by account too.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="entries", db_index=False, db_constraint=False
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
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


# ---------------------------------------------------------------------------------------------
# Commission, charges, holds, payouts, refunds, Stripe events and reconciliation.
# Writes go through payments' services; every Stripe POST's idempotency key is derived from
# one of these rows, committed before the call (DESIGN.md, "Payments flow").


class CommissionRule(models.Model):
    """The platform's rate for one source (and optionally one country) over a period.

    The rule in force is the most specific (a country rule beats an every-country rule), then the
    latest to take effect. The rule applied is copied onto the ledger transaction, so history never
    changes when a rule does.
    """

    source = models.CharField(max_length=32, choices=CommissionSource.choices)
    country = models.CharField(
        max_length=2, blank=True, help_text=_("Two-letter code; blank for every country.")
    )
    # The "%" is a percent sign, not a placeholder: translators may write "10 %".
    # xgettext:no-python-format
    rate_bps = models.PositiveIntegerField(help_text=_("Basis points: 10% is 1000."))
    effective_from = models.DateTimeField()
    effective_to = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "country", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_bps__lte=10_000), name="commission_rate_at_most_100pct"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="commission_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.country or '*'} {self.rate_bps} bps from {self.effective_from:%Y-%m-%d}"

    def snapshot(self) -> dict:
        """What is copied onto a transaction: enough to explain the figure forever."""
        return {
            "rule_id": self.pk,
            "source": self.source,
            "country": self.country,
            "rate_bps": self.rate_bps,
            "effective_from": self.effective_from.isoformat(),
        }


class ConnectedAccount(TimeStampedModel):
    """A party's Stripe Connect Express account. Money moves only when Stripe says it is ready."""

    party = models.CharField(max_length=64, unique=True)
    country = models.CharField(max_length=2)
    email = models.EmailField(blank=True)
    stripe_account_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    # The creation time of the newest account.updated applied: an older event arriving late is ignored.
    status_observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.party} → {self.stripe_account_id or '(not created)'}"

    @property
    def is_ready(self) -> bool:
        return bool(self.stripe_account_id) and self.charges_enabled and self.payouts_enabled

    @property
    def idempotency_key(self) -> str:
        return f"connected-account:{self.pk}:create"


class Payment(TimeStampedModel):
    """A charge the platform takes from a buyer or a brand.

    Features (shops, the marketplace) create a Payment with its splits; payments charges it
    through Stripe and, once Stripe confirms it, settles it into the ledger. `splits` says who
    receives what of the gross before commission: a list of
    {"party": "user:5", "amount_minor": 9000, "source": "shop_sale", "hold_days": 30},
    adding up exactly to `amount_minor`.
    """

    reference = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=32, choices=CommissionSource.choices)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    payer_email = models.EmailField(blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_code_validator])
    country = models.CharField(
        max_length=2, blank=True, help_text=_("Where the sale happened, for commission rules.")
    )
    splits = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    stripe_payment_intent_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=80, unique=True, null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=64, blank=True)
    amount_refunded_minor = models.BigIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    settlement = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="settled_payment"
    )
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded_minor__gte=0)
                & Q(amount_refunded_minor__lte=models.F("amount_minor")),
                name="payment_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def idempotency_key(self) -> str:
        return f"payment:{self.pk}:intent"


class Hold(models.Model):
    """Money in a party's `pending` account that becomes `available` at release_at (a due row).

    A periodic task claims due holds with SELECT … FOR UPDATE SKIP LOCKED. Refunds before the
    release reduce what the hold still holds (`refunded_minor`); the release moves the rest.
    """

    # Indexes cost every settlement's inserts: party gets a plain one (Meta; db_index would add a
    # LIKE index nothing uses), origin none of its own (the unique constraint below leads with it).
    party = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    refunded_minor = models.BigIntegerField(default=0)
    source = models.CharField(max_length=32, choices=CommissionSource.choices)
    origin = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="holds", db_index=False
    )
    release_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    release = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="released_hold"
    )

    class Meta:
        ordering = ["release_at", "id"]
        indexes = [
            models.Index(fields=["release_at"], condition=Q(released_at__isnull=True), name="hold_due"),
            models.Index(fields=["party"], name="hold_party"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "party", "currency"], name="hold_one_per_party_and_origin"
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0) & Q(refunded_minor__lte=models.F("amount_minor")),
                name="hold_refunds_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.amount_minor} {self.currency} until {self.release_at:%Y-%m-%d}"

    @property
    def remaining_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class Refund(TimeStampedModel):
    """A refund of (part of) a payment: reversed in the ledger proportionally, then sent to Stripe."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    stripe_refund_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    ledger_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="refund"
    )
    failure_message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"refund {self.pk} of {self.payment.reference}: {self.amount_minor} {self.currency}"

    @property
    def idempotency_key(self) -> str:
        return f"refund:{self.pk}:create"


class Payout(TimeStampedModel):
    """One transfer of a party's `available` balance in one currency to its Connect account.

    Funds move available → payable_out before Stripe is called; a failed transfer or bank payout
    moves them back. One payout per party, currency and run (`run_key`), and never two open at once.
    """

    party = models.CharField(max_length=64, db_index=True)
    connected_account = models.ForeignKey(ConnectedAccount, on_delete=models.PROTECT, related_name="payouts")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    run_key = models.CharField(max_length=40, help_text=_("The payout run that made it, e.g. 2026-11-22."))
    status = models.CharField(max_length=20, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    reserve = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="reserved_payout"
    )
    stripe_transfer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    stripe_payout_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(fields=["party", "currency", "run_key"], name="payout_one_per_run"),
            models.UniqueConstraint(
                fields=["party", "currency"],
                condition=Q(status__in=["pending", "transferred"]),
                name="payout_one_open_per_party_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.party} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def transfer_idempotency_key(self) -> str:
        return f"payout:{self.pk}:transfer"

    @property
    def bank_payout_idempotency_key(self) -> str:
        return f"payout:{self.pk}:bank"


class WebhookEvent(models.Model):
    """A Stripe event, stored once by its id in the same transaction as its effect."""

    stripe_event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80, db_index=True)
    account = models.CharField(
        max_length=64, blank=True, help_text=_("The connected account, for Connect events.")
    )
    payload = models.JSONField()
    stripe_created = models.DateTimeField(help_text=_("When Stripe created the event."))
    status = models.CharField(
        max_length=20, choices=WebhookEventStatus.choices, default=WebhookEventStatus.RECEIVED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id} ({self.status})"


class ReconciliationReport(models.Model):
    """One run of the reconciliation job: the ledger against itself and against Stripe."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=ReconciliationStatus.choices, default=ReconciliationStatus.RUNNING
    )
    checked = models.JSONField(default=dict, blank=True, help_text=_("What was checked, with counts."))
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class ReconciliationDifference(models.Model):
    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(max_length=40)
    reference = models.CharField(max_length=200, blank=True)
    expected = models.CharField(max_length=200, blank=True)
    actual = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class IdempotencyRecord(models.Model):
    """The stored answer to a money-moving API POST sent with an Idempotency-Key header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} {self.endpoint}"
