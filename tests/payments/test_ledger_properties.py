"""Random postings, repeats and reversals, checked against a model of the expected balances."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common.errors import ApplicationError
from payments.enums import FREE_KINDS, OVERDRAFT_KINDS, AccountKind, TransactionKind
from payments.ledger import EntrySpec, account_get_or_create, ledger_post, ledger_reverse
from payments.models import PLATFORM, LedgerAccount, LedgerEntry, LedgerTransaction, party_for_user
from payments.selectors import account_balance, ledger_check
from tests.payments.factories import entry

CURRENCIES = ["USD", "JPY", "KRW"]
# (owner, kind). Slot 0, Stripe clearing, takes the leg that balances each random posting.
SLOTS = [
    ("platform", AccountKind.STRIPE_CLEARING),
    ("platform", AccountKind.COMMISSION_REVENUE),
    ("platform", AccountKind.ESCROW),
    ("me", AccountKind.PENDING),
    ("me", AccountKind.AVAILABLE),
    ("you", AccountKind.AVAILABLE),
    ("you", AccountKind.PAYABLE_OUT),
]
examples = count()


@dataclass(frozen=True)
class Post:
    currency: str
    legs: list[tuple[int, int]]  # (slot, amount minor)
    allow_negative: bool  # name the posting's `available` accounts in allow_negative


@dataclass(frozen=True)
class Repeat:
    index: int  # post an earlier posting again, entries in another order


@dataclass(frozen=True)
class Reverse:
    index: int  # reverse an earlier transaction (possibly a reversal, or one already reversed)


# Credits twice as likely as debits, so that debits often find money to take.
amounts = st.one_of(st.integers(1, 50_000), st.integers(1, 50_000), st.integers(-50_000, -1))
legs = st.lists(st.tuples(st.integers(0, len(SLOTS) - 1), amounts), min_size=1, max_size=4)
posts = st.builds(Post, currency=st.sampled_from(CURRENCIES), legs=legs, allow_negative=st.booleans())
operations = st.lists(
    # Postings twice as often as the rest: repeats and reversals need something to work on.
    st.one_of(
        posts,
        posts,
        st.builds(Repeat, index=st.integers(0, 20)),
        st.builds(Reverse, index=st.integers(0, 20)),
    ),
    min_size=1,
    max_size=12,
)


class LedgerModel:
    """Runs operations through the services and predicts, independently, what they must do."""

    def __init__(self, accounts: dict[tuple[str, int], LedgerAccount], prefix: str) -> None:
        self.accounts = accounts
        self.prefix = prefix
        self.expected: dict[int, int] = defaultdict(int)  # account pk -> balance
        self.posts: list[tuple[LedgerTransaction, list[EntrySpec]]] = []
        self.transactions: list[LedgerTransaction] = []
        self.reversal_of: dict[int, int] = {}  # original pk -> reversal pk

    def would_overdraw(self, entries: Sequence[EntrySpec], allowed: set[int]) -> bool:
        deltas: dict[LedgerAccount, int] = defaultdict(int)
        for spec in entries:
            deltas[spec.account] += spec.amount.amount_minor
        return any(
            delta < 0
            and self.expected[account.pk] + delta < 0
            and account.kind not in FREE_KINDS
            and not (account.pk in allowed and account.kind in OVERDRAFT_KINDS)
            for account, delta in deltas.items()
        )

    def apply(self, entries: Sequence[EntrySpec]) -> None:
        for spec in entries:
            self.expected[spec.account.pk] += spec.amount.amount_minor

    def post(self, step: int, op: Post) -> None:
        entries = [entry(self.accounts[(op.currency, slot)], amount) for slot, amount in op.legs]
        if imbalance := sum(amount for _slot, amount in op.legs):
            entries.append(entry(self.accounts[(op.currency, 0)], -imbalance))
        allowed = [
            s.account for s in entries if op.allow_negative and s.account.kind == AccountKind.AVAILABLE
        ]
        refusal = self.would_overdraw(entries, {account.pk for account in allowed})
        try:
            posted = ledger_post(
                reference=f"{self.prefix}:{step}",
                entries=entries,
                kind=TransactionKind.ADJUSTMENT,
                allow_negative=allowed,
            )
        except ApplicationError as error:
            assert (error.code, refusal) == ("insufficient_funds", True)
            event("post refused")
            return
        assert not refusal
        event("posted")
        self.apply(entries)
        self.posts.append((posted, entries))
        self.transactions.append(posted)

    def repeat(self, op: Repeat) -> None:
        if not self.posts:
            return
        original, entries = self.posts[op.index % len(self.posts)]
        rows = LedgerEntry.objects.count()
        again = ledger_post(reference=original.reference, entries=entries[::-1], kind=original.kind)
        assert again.pk == original.pk and LedgerEntry.objects.count() == rows

    def reverse(self, op: Reverse) -> None:
        if not self.transactions:
            return
        original = self.transactions[op.index % len(self.transactions)]
        if original.reverses_id is not None:
            try:
                ledger_reverse(transaction=original)
            except ApplicationError as error:
                assert error.code == "already_reversed"
                return
            raise AssertionError("a reversal was reversed")
        if original.pk in self.reversal_of:  # a retry: the same reversal, nothing new
            assert ledger_reverse(transaction=original).pk == self.reversal_of[original.pk]
            return
        negated = [entry(e.account, -e.amount_minor) for e in original.entries.select_related("account")]
        refusal = self.would_overdraw(negated, set())
        try:
            reversal = ledger_reverse(transaction=original)
        except ApplicationError as error:
            assert (error.code, refusal) == ("insufficient_funds", True)
            event("reversal refused")
            return
        assert not refusal
        event("reversed")
        self.apply(negated)
        self.reversal_of[original.pk] = reversal.pk
        self.transactions.append(reversal)

    def check(self) -> None:
        """Every transaction balances; every cache equals its entries and the model."""
        assert ledger_check() == []
        for account in LedgerAccount.objects.filter(pk__in=[a.pk for a in self.accounts.values()]):
            assert account.balance_minor == account_balance(account).amount_minor == self.expected[account.pk]
            if account.kind not in FREE_KINDS | OVERDRAFT_KINDS:
                assert account.balance_minor >= 0


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_postings_and_reversals_keep_the_ledger_sound(db, creator, other_creator, ops):
    owners = {
        "platform": PLATFORM,
        "me": party_for_user(creator.user),
        "you": party_for_user(other_creator.user),
    }
    # Each example runs in a savepoint rolled back at its end, so examples never see each other;
    # the reference prefix is fresh anyway.
    with transaction.atomic():
        accounts = {
            (currency, slot): account_get_or_create(party=owners[owner], kind=kind, currency=currency)
            for currency in CURRENCIES
            for slot, (owner, kind) in enumerate(SLOTS)
        }
        model = LedgerModel(accounts, prefix=f"example:{next(examples)}")
        for step, op in enumerate(ops):
            if isinstance(op, Post):
                model.post(step, op)
            elif isinstance(op, Repeat):
                model.repeat(op)
            else:
                model.reverse(op)
        model.check()
        transaction.set_rollback(True)
