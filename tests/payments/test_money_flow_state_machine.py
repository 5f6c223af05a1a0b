"""Random sequences of charges, settlements, refunds, hold releases and payouts, against a reference model.

The model is plain Python: dictionaries of expected balances, with the commission, hold and
pending-or-available rules written out again independently of payments' services. After
every step the ledger must balance, `pending` and `payable_out` must never be negative, and
every account must hold what the model says.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any, ClassVar

from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from common.errors import ApplicationError
from common.money import Money, split_by_weights
from payments.commission import commission_defaults_ensure
from payments.enums import AccountKind, TransactionKind
from payments.holds import holds_release_due
from payments.ledger import EntrySpec, account_get_or_create, ledger_post
from payments.models import PLATFORM, LedgerAccount, Payment, Refund, party_for_user
from payments.refunds import refund_mark_failed, refund_mark_succeeded, refund_record
from payments.selectors import ledger_check
from payments.settlement import settlement_post, settlement_post_many
from tests.payments.factories import PAID_AT, paid_payment

CURRENCIES = ["USD", "JPY", "KRW"]
# The seeded default rules (migration 0004), written out again for the model.
RATES = {"shop_sale": 500, "affiliate_commission": 1_000, "sponsorship": 1_000, "bonus": 0}
PENDING, AVAILABLE, PAYABLE_OUT = AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.PAYABLE_OUT
CLEARING, REVENUE = AccountKind.STRIPE_CLEARING, AccountKind.COMMISSION_REVENUE

Key = tuple[str, str, str]  # (party, kind, currency)
references = count(1)


def commission_of(amount: int, rate_bps: int) -> int:
    """amount x rate / 10000, an exact half rounded up (the model's own arithmetic)."""
    return (2 * amount * rate_bps + 10_000) // 20_000


@dataclass
class HoldModel:
    remaining: int
    release_at: datetime
    released: bool = False


@dataclass
class PaymentModel:
    pk: int
    currency: str
    gross: int
    paid_at: datetime
    splits: list[dict[str, Any]]
    settlement_pk: int | None = None
    credits: dict[str, int] = field(default_factory=dict)  # party (PLATFORM: revenue) -> credit
    holds: dict[str, HoldModel] = field(default_factory=dict)
    refunded: int = 0  # by refunds that have not failed
    given_back: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class RefundModel:
    pk: int
    payment: PaymentModel
    amount: int
    taken: list[tuple[str, str, int]]  # (party, kind, minor): where each part came from
    failed: bool = False


class MoneyFlowMachine(RuleBasedStateMachine):
    users: ClassVar[list[Any]] = []  # set by the test: three personas

    def __init__(self) -> None:
        super().__init__()
        # Each run of the machine works in a savepoint rolled back by teardown(): runs never meet.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        commission_defaults_ensure()
        self.parties = [party_for_user(user) for user in self.users]
        self.now = PAID_AT
        self.expected: dict[Key, int] = defaultdict(int)
        self.payments: list[PaymentModel] = []
        self.refunds: list[RefundModel] = []
        self.open_payouts: list[tuple[str, str, int]] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # ------------------------------------------------------------ charges and settlements

    @rule(
        currency=st.sampled_from(CURRENCIES),
        shares=st.lists(
            st.tuples(
                st.integers(1, 300_000), st.sampled_from(sorted(RATES)), st.sampled_from([None, 0, 5, 30])
            ),
            min_size=1,
            max_size=3,
        ),
        settle_now=st.booleans(),
    )
    def charge(self, currency: str, shares: list[tuple[int, str, int | None]], settle_now: bool) -> None:
        """A buyer pays (a succeeded Payment, as the gateway leaves it); often settled at once."""
        splits = []
        for party, (amount, source, hold_days) in zip(self.parties, shares, strict=False):
            splits.append({"party": party, "amount_minor": amount, "source": source})
            if hold_days is not None:
                splits[-1]["hold_days"] = hold_days
        payment = paid_payment(*splits, currency=currency, paid_at=self.now)
        self.payments.append(PaymentModel(payment.pk, currency, payment.amount_minor, self.now, splits))
        if settle_now:
            self._settled(self.payments[-1], settlement_post(payment=payment).pk)

    @precondition(lambda self: self.payments)
    @rule(index=st.integers(0, 1_000))
    def settle(self, index: int) -> None:
        model = self.payments[index % len(self.payments)]
        posted = settlement_post(payment=Payment.objects.get(pk=model.pk))
        if model.settlement_pk is not None:  # a duplicate: the same transaction, nothing new
            assert posted.pk == model.settlement_pk
            return
        self._settled(model, posted.pk)

    @precondition(lambda self: self.payments)
    @rule()
    def settle_all_in_one_batch(self) -> None:
        settled = settlement_post_many(payment_ids=[model.pk for model in self.payments])
        unsettled = [model for model in self.payments if model.settlement_pk is None]
        assert settled == len(unsettled)
        for model in unsettled:
            settlement_pk = Payment.objects.get(pk=model.pk).settlement_id
            assert settlement_pk is not None
            self._settled(model, settlement_pk)

    def _settled(self, model: PaymentModel, settlement_pk: int) -> None:
        model.settlement_pk = settlement_pk
        currency = model.currency
        self.expected[(PLATFORM, CLEARING, currency)] -= model.gross
        for split in model.splits:
            commission = commission_of(split["amount_minor"], RATES[split["source"]])
            net = split["amount_minor"] - commission
            self.expected[(PLATFORM, REVENUE, currency)] += commission
            model.credits[PLATFORM] = model.credits.get(PLATFORM, 0) + commission
            if net > 0:
                self.expected[(split["party"], PENDING, currency)] += net
                model.credits[split["party"]] = net
                days = split.get("hold_days", django_settings.PAYMENTS_HOLD_DAYS[split["source"]])
                model.holds[split["party"]] = HoldModel(net, model.paid_at + timedelta(days=days))
        if model.credits.get(PLATFORM) == 0:
            del model.credits[PLATFORM]

    # ------------------------------------------------------------ refunds

    @precondition(lambda self: self.payments)
    @rule(
        index=st.integers(0, 1_000),
        thousandths=st.integers(1, 1_000),
        too_much=st.integers(0, 9).map(lambda n: n == 0),
        outcome=st.sampled_from(["pending", "succeeded", "succeeded", "failed"]),
    )
    def refund(self, index: int, thousandths: int, too_much: bool, outcome: str) -> None:
        """Part of what is left of a payment is refunded (now and then one unit more than is left)."""
        model = self.payments[index % len(self.payments)]
        remaining = model.gross - model.refunded
        amount = remaining + 1 if too_much else max(1, remaining * thousandths // 1_000)
        refused = (
            "payment_not_settled"
            if model.settlement_pk is None
            else "refund_exceeds_remaining"
            if amount > remaining
            else None
        )
        try:
            record = refund_record(
                payment=Payment.objects.get(pk=model.pk), amount=Money(amount, model.currency)
            )
        except ApplicationError as error:
            assert error.code == refused
            return
        assert refused is None
        self.refunds.append(RefundModel(record.pk, model, amount, self._refunded(model, amount)))
        if outcome == "succeeded":
            refund_mark_succeeded(refund=record, stripe_refund_id=f"re_{record.pk}")
        elif outcome == "failed":
            self._fail(self.refunds[-1])

    def _refunded(self, model: PaymentModel, amount: int) -> list[tuple[str, str, int]]:
        """The model of a refund: cumulative proportional parts, from pending while a hold holds them."""
        currency = model.currency
        # Ties in the split go to the account created first.
        order = sorted(model.credits, key=lambda party: self._credit_account_pk(party, currency))
        target = split_by_weights(
            Money(model.refunded + amount, currency), {p: model.credits[p] for p in order}
        )
        taken = []
        for party in order:
            part = target[party].amount_minor - model.given_back[party]
            model.given_back[party] += part
            if party == PLATFORM:
                taken.append((PLATFORM, REVENUE, part))
                continue
            hold = model.holds[party]
            from_pending = min(part, hold.remaining) if not hold.released and part > 0 else 0
            hold.remaining -= from_pending
            taken += [(party, PENDING, from_pending), (party, AVAILABLE, part - from_pending)]
        for party, kind, part in taken:
            self.expected[(party, kind, currency)] -= part
        self.expected[(PLATFORM, CLEARING, currency)] += amount
        model.refunded += amount
        return taken

    @precondition(lambda self: any(not refund.failed for refund in self.refunds))
    @rule(index=st.integers(0, 1_000))
    def refund_fails_later(self, index: int) -> None:
        """Stripe reports a failure for an earlier refund, possibly after later refunds and releases."""
        candidates = [refund for refund in self.refunds if not refund.failed]
        self._fail(candidates[index % len(candidates)])

    def _fail(self, refund: RefundModel) -> None:
        refund_mark_failed(refund=Refund.objects.get(pk=refund.pk), message="declined")
        refund.failed = True
        model, currency = refund.payment, refund.payment.currency
        for party, kind, part in refund.taken:
            model.given_back[party] -= part
            if kind == PENDING and not model.holds[party].released:
                model.holds[party].remaining += part
            elif kind == PENDING:  # the hold was released meanwhile: the money goes on to available
                kind = AVAILABLE
            self.expected[(party, kind, currency)] += part
        self.expected[(PLATFORM, CLEARING, currency)] -= refund.amount
        model.refunded -= refund.amount

    # ------------------------------------------------------------ holds and payouts

    @rule(days=st.integers(0, 40))
    def release_due_holds(self, days: int) -> None:
        self.now += timedelta(days=days)
        released = holds_release_due(now=self.now)
        due = [
            (model, party, hold)
            for model in self.payments
            for party, hold in model.holds.items()
            if not hold.released and hold.release_at <= self.now
        ]
        assert released == len(due)
        for model, party, hold in due:
            hold.released = True
            self.expected[(party, PENDING, model.currency)] -= hold.remaining
            self.expected[(party, AVAILABLE, model.currency)] += hold.remaining

    @rule(party=st.integers(0, 2), currency=st.sampled_from(CURRENCIES))
    def payout_start(self, party: int, currency: str) -> None:
        """What the payout service does first: reserve the available balance in payable_out."""
        owner = self.parties[party]
        amount = self.expected[(owner, AVAILABLE, currency)]
        if amount <= 0:
            return
        self._move(owner, AVAILABLE, owner, PAYABLE_OUT, currency, amount, TransactionKind.PAYOUT)
        self.open_payouts.append((owner, currency, amount))

    @precondition(lambda self: self.open_payouts)
    @rule(index=st.integers(0, 100), paid=st.booleans())
    def payout_finish(self, index: int, paid: bool) -> None:
        """Stripe pays the transfer out (money leaves clearing), or it fails (back to available)."""
        owner, currency, amount = self.open_payouts.pop(index % len(self.open_payouts))
        if paid:
            self._move(owner, PAYABLE_OUT, PLATFORM, CLEARING, currency, amount, TransactionKind.PAYOUT)
        else:
            self._move(owner, PAYABLE_OUT, owner, AVAILABLE, currency, amount, TransactionKind.PAYOUT_FAILED)

    def _move(
        self, source: str, source_kind: str, target: str, target_kind: str, currency, amount, kind
    ) -> None:
        money = Money(amount, currency)
        ledger_post(
            reference=f"payout-simulation:{next(references)}",
            entries=[
                EntrySpec(account_get_or_create(party=source, kind=source_kind, currency=currency), -money),
                EntrySpec(account_get_or_create(party=target, kind=target_kind, currency=currency), money),
            ],
            kind=kind,
        )
        self.expected[(source, source_kind, currency)] -= amount
        self.expected[(target, target_kind, currency)] += amount

    # ------------------------------------------------------------ after every step

    @invariant()
    def the_ledger_is_sound_and_matches_the_model(self) -> None:
        assert ledger_check() == []
        actual = {(a.party, a.kind, a.currency): a.balance_minor for a in LedgerAccount.objects.all()}
        for key in set(actual) | set(self.expected):
            assert actual.get(key, 0) == self.expected.get(key, 0), key
            if key[1] in (PENDING, PAYABLE_OUT):
                assert actual.get(key, 0) >= 0, key
        for model in self.payments:
            assert Payment.objects.get(pk=model.pk).amount_refunded_minor == model.refunded

    def _credit_account_pk(self, party: str, currency: str) -> int:
        kind = REVENUE if party == PLATFORM else PENDING
        return LedgerAccount.objects.get(party=party, kind=kind, currency=currency).pk


def test_money_flows_keep_the_ledger_sound_and_equal_to_the_model(db, creator, other_creator, brand):
    machine = type("Machine", (MoneyFlowMachine,), {"users": [creator.user, other_creator.user, brand]})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
