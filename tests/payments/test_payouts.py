"""Payouts against the Stripe emulator: runs, execution, webhooks, failures and staff retries.

Real SDK over real HTTP: Connect accounts are onboarded on the emulator's hosted page, the
platform's Stripe balance comes from real test charges, and webhook handlers get the events the
emulator actually sent.
"""

from datetime import UTC, datetime, timedelta

import pytest
import stripe
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from common.errors import ApplicationError
from common.money import Money
from payments import gateway
from payments.enums import AccountKind, PayoutStatus, TransactionKind
from payments.gateway import StripeTemporaryError
from payments.models import (
    ConnectedAccount,
    LedgerTransaction,
    Payout,
    ReconciliationDifference,
    WebhookEvent,
    party_for_user,
)
from payments.payouts import (
    handle_transfer_created,
    payout_execute,
    payout_retry,
    payouts_catch_up,
    payouts_paid_total,
    payouts_run,
)
from payments.selectors import ledger_check
from payments.tasks import execute_payout
from payments.webhook_handlers import HANDLERS
from tests.payments.factories import balance_of, clearing, fund, move, user_account

BANK_OK = "000123456789"
BANK_NO_ACCOUNT = "000111111116"  # the emulator's test bank whose payouts fail (no_account)


# ---------------------------------------------------------------- helpers (shared by the payout tests)


def platform_funds(amount: int = 100_000, currency: str = "usd") -> None:
    """A real test charge, so the platform's Stripe balance can pay transfers."""
    stripe.PaymentIntent.create(amount=amount, currency=currency, payment_method="pm_card_visa", confirm=True)


def ready_account(control, user, *, bank: str = BANK_OK, country: str = "US") -> ConnectedAccount:
    """A Connect account created at the emulator and onboarded through its hosted page."""
    connected = ConnectedAccount.objects.create(party=party_for_user(user), country=country, email=user.email)
    connected.stripe_account_id = gateway.account_create(connected=connected).id
    connected.save(update_fields=["stripe_account_id"])
    link = gateway.account_link_create(
        connected=connected,
        refresh_url="http://testserver/refresh",
        return_url="http://testserver/done",
        request_key="onboarding",
    )
    assert control.complete_onboarding(link.url, bank=bank).location == "http://testserver/done"
    # What the account.updated handler records, read straight from Stripe.
    account = gateway.account_retrieve(connected.stripe_account_id)
    connected.charges_enabled = account.charges_enabled
    connected.payouts_enabled = account.payouts_enabled
    connected.details_submitted = account.details_submitted
    connected.save(update_fields=["charges_enabled", "payouts_enabled", "details_submitted"])
    assert connected.is_ready
    return connected


def earn(user, amount: int, currency: str = "USD", reference: str = "sale:1") -> None:
    """Money in the user's `available` balance (a released sale, as far as the ledger knows)."""
    fund(user_account(user, AccountKind.AVAILABLE, currency), amount, reference=reference)


def balances(user, currency: str = "USD") -> tuple[int, int]:
    """(available, payable_out) as stored now."""
    return (
        balance_of(user_account(user, AccountKind.AVAILABLE, currency)),
        balance_of(user_account(user, AccountKind.PAYABLE_OUT, currency)),
    )


def events(control, receiver, event_type: str) -> list[dict]:
    control.wait_for_webhooks()
    return [event for event in receiver.events() if event["type"] == event_type]


def deliver(event: dict) -> WebhookEvent:
    """Hand a real emulator event to its registered handler, as the webhook task does."""
    row, _created = WebhookEvent.objects.get_or_create(
        stripe_event_id=event["id"],
        defaults={
            "type": event["type"],
            "account": event.get("account") or "",
            "payload": event,
            "stripe_created": datetime.fromtimestamp(event["created"], tz=UTC),
        },
    )
    with transaction.atomic():
        import_string(HANDLERS[event["type"]])(row, event["data"]["object"])
    return row


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def payee(creator):
    return creator.user


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """payouts_run() with its on-commit tasks (eager Celery) and emails actually running."""

    def run_payouts(**kwargs) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return payouts_run(**kwargs)

    return run_payouts


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


# ---------------------------------------------------------------- runs


def test_a_ready_creator_with_25_dollars_is_paid_by_one_transfer_and_a_bank_payout(
    stripe_api, control, payee, run
):
    # given
    connected = ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    # when
    assert run(run_key="2026-11-22") == 1
    # then
    payout = Payout.objects.get()
    assert (payout.party, payout.amount, payout.run_key) == (
        party_for_user(payee),
        Money(2500, "USD"),
        "2026-11-22",
    )
    assert payout.status == PayoutStatus.TRANSFERRED and payout.attempts == 1
    transfers = stripe.Transfer.list().data
    assert [(t.id, t.amount, t.currency, t.destination) for t in transfers] == [
        (payout.stripe_transfer_id, 2500, "usd", connected.stripe_account_id)
    ]
    bank_payouts = stripe.Payout.list(stripe_account=connected.stripe_account_id).data
    assert [(p.id, p.amount) for p in bank_payouts] == [(payout.stripe_payout_id, 2500)]
    # The money is spoken for until Stripe says it arrived.
    assert balances(payee) == (0, 2500)
    assert payout.reserve.reference == f"payout:{payout.pk}:reserve"
    assert ledger_check() == []


def test_the_run_key_defaults_to_the_utc_date(stripe_api, control, payee, run):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    run(now=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    assert Payout.objects.get().run_key == "2026-11-22"


def test_a_balance_below_the_minimum_is_not_paid(stripe_api, control, payee, run):
    ready_account(control, payee)
    earn(payee, 999)
    assert run() == 0
    assert not Payout.objects.exists()
    assert balances(payee) == (999, 0)


def test_yen_are_paid_from_1000_yen(stripe_api, control, payee, other_creator, run):
    # given: ¥1,000 is the minimum, and yen have no minor unit
    ready_account(control, payee)
    ready_account(control, other_creator.user)
    platform_funds(50_000, "jpy")
    earn(payee, 1000, "JPY", reference="sale:yen")
    earn(other_creator.user, 999, "JPY", reference="sale:yen-short")
    # when
    assert run() == 1
    # then
    payout = Payout.objects.get()
    assert (payout.party, payout.amount) == (party_for_user(payee), Money(1000, "JPY"))
    assert [(t.amount, t.currency) for t in stripe.Transfer.list().data] == [(1000, "jpy")]
    assert balances(other_creator.user, "JPY") == (999, 0)


def test_each_currency_is_a_payout_of_its_own(stripe_api, control, payee, run):
    ready_account(control, payee)
    platform_funds()
    platform_funds(50_000, "jpy")
    earn(payee, 2500)
    earn(payee, 3000, "JPY", reference="sale:yen")
    assert run() == 2
    assert sorted(Payout.objects.values_list("currency", "amount_minor")) == [("JPY", 3000), ("USD", 2500)]


def test_no_payout_without_a_ready_account(stripe_api, payee, other_creator, run):
    # given: one creator never started onboarding, the other has not finished it
    earn(payee, 5000)
    ConnectedAccount.objects.create(
        party=party_for_user(other_creator.user), country="JP", stripe_account_id="acct_unfinished"
    )
    earn(other_creator.user, 5000, reference="sale:2")
    # when / then
    assert run() == 0
    assert not Payout.objects.exists()
    assert stripe.Transfer.list().data == []


def test_running_twice_with_the_same_run_key_pays_once(stripe_api, control, payee, run):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    assert run(run_key="2026-11-22") == 1
    earn(payee, 4000, reference="sale:2")  # more money arrives before the second run
    assert run(run_key="2026-11-22") == 0
    # Another run while the first payout is still on its way waits for it.
    assert run(run_key="2026-11-23") == 0
    assert Payout.objects.count() == 1
    assert len(stripe.Transfer.list().data) == 1
    assert balances(payee) == (4000, 2500)


# ---------------------------------------------------------------- webhooks: paid


def test_payout_paid_moves_the_money_out_of_the_ledger(stripe_api, control, receiver, payee, run):
    # given
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    run()
    payout = Payout.objects.get()
    [paid] = events(control, receiver, "payout.paid")
    # when: delivered twice, in any order with the transfer's event
    deliver(paid)
    deliver(paid)
    [created] = events(control, receiver, "transfer.created")
    deliver(created)
    # then
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID and payout.paid_at is not None
    assert balances(payee) == (0, 0)
    assert balance_of(clearing("USD")) == 0  # what the sale brought in has left for the bank
    assert LedgerTransaction.objects.filter(reference=f"payout:{payout.pk}:paid").count() == 1
    assert payouts_paid_total(party=party_for_user(payee)) == {"USD": Money(2500, "USD")}
    assert ledger_check() == []


def test_unknown_objects_are_ignored_quietly(stripe_api, control, receiver, payee, run):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    run()
    [paid] = events(control, receiver, "payout.paid")
    paid["data"]["object"] = {**paid["data"]["object"], "id": "po_not_ours", "metadata": {}}
    paid["id"] = "evt_not_ours"
    deliver(paid)
    assert Payout.objects.get().status == PayoutStatus.TRANSFERRED


def test_the_transfer_id_is_recorded_from_the_webhook_when_the_task_did_not(stripe_api, payee, settings):
    # given: a reserved payout whose execution never recorded its transfer
    connected = ConnectedAccount.objects.create(
        party=party_for_user(payee),
        country="US",
        stripe_account_id="acct_x",
        charges_enabled=True,
        payouts_enabled=True,
    )
    earn(payee, 2500)
    payout = Payout.objects.create(
        party=connected.party, connected_account=connected, currency="USD", amount_minor=2500, run_key="r"
    )
    event = WebhookEvent(
        stripe_event_id="evt_1", type="transfer.created", payload={}, stripe_created=datetime.now(UTC)
    )
    data = {
        "id": "tr_1",
        "object": "transfer",
        "amount": 2500,
        "currency": "usd",
        "metadata": {"payout_id": str(payout.pk)},
    }
    # when
    handle_transfer_created(event, data)
    handle_transfer_created(event, data)
    # then
    payout.refresh_from_db()
    assert (payout.stripe_transfer_id, payout.status) == ("tr_1", PayoutStatus.TRANSFERRED)


# ---------------------------------------------------------------- failures


def test_a_failing_bank_account_reverses_the_transfer_and_returns_the_money(
    stripe_api, control, receiver, payee, run, on_commit
):
    # given: onboarded with the emulator's test bank that refuses payouts
    ready_account(control, payee, bank=BANK_NO_ACCOUNT)
    platform_funds()
    earn(payee, 2500)
    run()
    payout = Payout.objects.get()
    [failed] = events(control, receiver, "payout.failed")
    # when
    with on_commit():
        deliver(failed)
    # then: the transfer came back to the platform, the money is available again
    payout.refresh_from_db()
    assert (payout.status, payout.failure_code) == (PayoutStatus.FAILED, "no_account")
    transfer = stripe.Transfer.retrieve(payout.stripe_transfer_id)
    assert (transfer.amount_reversed, transfer.reversed) == (2500, True)
    assert balances(payee) == (2500, 0)
    assert LedgerTransaction.objects.filter(reference=f"payout:{payout.pk}:return").exists()
    # and the creator was told, in words they can act on
    [email] = mail.outbox
    assert email.to == [payee.email]
    assert "$25.00" in email.subject
    assert "back in your available balance" in email.body
    assert "could not find the account" in email.body
    # Late and repeated events change nothing.
    with on_commit():
        deliver(failed)
        for event in events(control, receiver, "transfer.reversed"):
            deliver(event)
        deliver({**failed, "id": "evt_paid_late", "type": "payout.paid"})
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert balances(payee) == (2500, 0)
    assert len(mail.outbox) == 1
    assert not ReconciliationDifference.objects.exists()
    assert ledger_check() == []


def test_a_bank_failure_after_the_payout_was_paid_is_a_difference_for_staff(
    stripe_api, control, receiver, payee, run
):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    run()
    payout = Payout.objects.get()
    [paid] = events(control, receiver, "payout.paid")
    deliver(paid)
    failed = {**paid, "id": "evt_failed_late", "type": "payout.failed"}
    failed["data"] = {
        "object": {**paid["data"]["object"], "status": "failed", "failure_code": "account_closed"}
    }
    deliver(failed)
    deliver({**failed, "id": "evt_failed_again"})
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert balances(payee) == (0, 0)  # not applied twice
    [difference] = ReconciliationDifference.objects.all()
    assert (difference.kind, difference.reference) == ("bank_payout_failed_after_paid", f"payout:{payout.pk}")


def test_a_transfer_refused_by_stripe_fails_the_payout_and_returns_the_money(stripe_api, payee, run):
    # given: our row says ready, but Stripe's account never finished onboarding
    connected = ConnectedAccount.objects.create(party=party_for_user(payee), country="US", email=payee.email)
    connected.stripe_account_id = gateway.account_create(connected=connected).id
    connected.charges_enabled = connected.payouts_enabled = True
    connected.save()
    platform_funds()
    earn(payee, 2500)
    # when
    assert run() == 1
    # then
    payout = Payout.objects.get()
    assert (payout.status, payout.failure_code) == (PayoutStatus.FAILED, "account_not_ready")
    assert stripe.Transfer.list().data == []
    assert balances(payee) == (2500, 0)
    assert len(mail.outbox) == 1 and "not ready" in mail.outbox[0].body


def test_a_stripe_error_retried_by_the_sdk_makes_exactly_one_transfer(stripe_api, control, payee, run):
    # given: Stripe answers 500 once (nothing applied); the SDK retries with the same key
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    control.fail_next(500, path="/v1/transfers", count=1)
    # when
    run()
    # then
    payout = Payout.objects.get()
    assert payout.status == PayoutStatus.TRANSFERRED
    assert [t.id for t in stripe.Transfer.list().data] == [payout.stripe_transfer_id]


def test_stripe_errors_beyond_the_sdk_retries_make_celery_retry_the_task(stripe_api, control, payee, run):
    # given: three 500s outlast the SDK's two retries
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    control.fail_next(500, path="/v1/transfers", count=3)
    # when: the task asks Celery for a retry (eager mode raises it instead of queueing it)
    with pytest.raises(Retry):
        run()
    payout = Payout.objects.get()
    assert (payout.status, payout.stripe_transfer_id) == (PayoutStatus.PENDING, None)
    execute_payout.delay(payout.pk)  # the retry
    # then
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.TRANSFERRED
    assert [t.id for t in stripe.Transfer.list().data] == [payout.stripe_transfer_id]


def test_a_lost_answer_then_a_retry_make_exactly_one_transfer(stripe_api, control, payee, run):
    # Stripe applied the transfer but the answer never came back: the retry gets the same transfer.
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    control.drop_next_response(path="/v1/transfers")
    run()
    payout = Payout.objects.get()
    assert [t.id for t in stripe.Transfer.list().data] == [payout.stripe_transfer_id]
    # ... and exactly one ledger movement for it: the reserve, posted once before Stripe was called.
    assert list(
        LedgerTransaction.objects.filter(reference__startswith=f"payout:{payout.pk}:").values_list(
            "reference", flat=True
        )
    ) == [f"payout:{payout.pk}:reserve"]


def test_stripe_down_leaves_the_payout_pending_for_a_retry_with_the_same_keys(stripe_api, control, payee):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    payouts_run()  # inside the test's transaction: the on-commit task does not run
    payout = Payout.objects.get()
    control.fail_next(500, path="/v1/transfers", count=3)
    with pytest.raises(StripeTemporaryError):
        payout_execute(payout_id=payout.pk)
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (PayoutStatus.PENDING, None)
    assert balances(payee) == (0, 2500)  # still reserved: nothing else can spend it
    payout_execute(payout_id=payout.pk)
    payout_execute(payout_id=payout.pk)  # a duplicate delivery of the task
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.TRANSFERRED and payout.attempts == 2
    assert [t.id for t in stripe.Transfer.list().data] == [payout.stripe_transfer_id]
    assert len(stripe.Payout.list(stripe_account=payout.connected_account.stripe_account_id).data) == 1


# ---------------------------------------------------------------- staff retry


def test_staff_retry_a_failed_payout_as_a_new_one(
    stripe_api, control, receiver, payee, staff, run, on_commit
):
    # given: a payout failed at the bank, and the creator has fixed their bank account since
    connected = ready_account(control, payee, bank=BANK_NO_ACCOUNT)
    platform_funds()
    earn(payee, 2500)
    run()
    [failed] = events(control, receiver, "payout.failed")
    with on_commit():
        deliver(failed)
    old = Payout.objects.get()
    link = gateway.account_link_create(
        connected=connected,
        refresh_url="http://testserver/r",
        return_url="http://testserver/d",
        request_key="fix",
    )
    control.complete_onboarding(link.url, bank=BANK_OK)
    # when
    with on_commit():
        retry = payout_retry(payout=old, actor=staff)
    with on_commit():
        again = payout_retry(payout=old, actor=staff)
    # then
    assert again.pk == retry.pk and retry.pk != old.pk
    retry.refresh_from_db()
    assert (retry.run_key, retry.amount, retry.status) == (
        f"retry:{old.pk}",
        old.amount,
        PayoutStatus.TRANSFERRED,
    )
    assert retry.reserve.metadata["retried_by"] == staff.pk
    assert balances(payee) == (0, 2500)
    [paid] = events(control, receiver, "payout.paid")  # the new bank account accepts it
    deliver(paid)
    retry.refresh_from_db()
    assert retry.status == PayoutStatus.PAID
    assert balances(payee) == (0, 0)
    with pytest.raises(ApplicationError) as error:
        payout_retry(payout=retry, actor=staff)
    assert error.value.code == "payout_not_failed"


def test_a_retry_needs_the_balance(stripe_api, control, receiver, payee, staff, run, on_commit):
    ready_account(control, payee, bank=BANK_NO_ACCOUNT)
    platform_funds()
    earn(payee, 2500)
    run()
    [failed] = events(control, receiver, "payout.failed")
    with on_commit():
        deliver(failed)
    # A refund of an earlier sale took money back from `available` meanwhile.
    move(
        reference="refund:1",
        source=user_account(payee, AccountKind.AVAILABLE),
        target=clearing("USD"),
        amount_minor=1000,
        kind=TransactionKind.REFUND,
    )
    with pytest.raises(ApplicationError) as error:
        payout_retry(payout=Payout.objects.get(), actor=staff)
    assert error.value.code == "insufficient_funds"
    assert Payout.objects.count() == 1
    assert balances(payee) == (1500, 0)


def test_the_email_speaks_the_creators_language(stripe_api, payee, run):
    payee.preferred_language = "fr"
    payee.save(update_fields=["preferred_language"])
    connected = ConnectedAccount.objects.create(party=party_for_user(payee), country="US")
    connected.stripe_account_id = gateway.account_create(connected=connected).id
    connected.charges_enabled = connected.payouts_enabled = True
    connected.save()
    earn(payee, 2500)
    run()
    [email] = mail.outbox
    assert "25,00" in email.subject  # formatted for fr


# ---------------------------------------------------------------- catch-up


def test_a_run_delivered_again_sends_the_payouts_it_created_but_never_started(
    stripe_api, control, payee, on_commit
):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    # The first attempt's worker dies between the payout's commit and its task's publish: inside
    # the test's transaction its on-commit task never runs.
    assert payouts_run(run_key="2026-11-22") == 1
    payout = Payout.objects.get()
    assert (payout.status, payout.attempts) == (PayoutStatus.PENDING, 0)

    with on_commit():
        assert payouts_run(run_key="2026-11-22") == 0  # the same run, delivered again: nothing new…

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.TRANSFERRED  # …but its payout sent at once (eager Celery)
    with on_commit():
        payouts_run(run_key="2026-11-22")  # a started payout is left to its own task
    assert len(stripe.Transfer.list().data) == 1


def test_payouts_whose_task_died_are_sent_again_by_the_catch_up(stripe_api, control, payee, on_commit):
    ready_account(control, payee)
    platform_funds()
    earn(payee, 2500)
    payouts_run()  # inside the test's transaction: its on-commit task never runs, as if lost
    payout = Payout.objects.get()
    assert payouts_catch_up() == 0  # a fresh payout: its own task still has time

    Payout.objects.filter(pk=payout.pk).update(updated_at=timezone.now() - timedelta(minutes=16))
    assert payouts_catch_up() == 1  # eager Celery: sent now

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.TRANSFERRED and payout.stripe_payout_id
    assert payouts_catch_up() == 0  # waiting for the bank is not stuck
    assert len(stripe.Transfer.list().data) == 1
