"""Deal rules: who may do what, in which state; revisions, approvals, messages, ratings."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from common.errors import ApplicationError, NotFoundError
from marketplace.enums import DealStatus, DeliverableStatus
from marketplace.models import Deal, Deliverable
from marketplace.services.deals import (
    add_business_days,
    deal_cancel,
    deal_fund_start,
    deal_payment_succeeded,
    deliverable_approve,
    deliverable_request_revision,
    deliverable_submit,
    message_post,
    rating_create,
)
from marketplace.tasks import refund_late_funding
from payments.enums import AccountKind
from payments.models import LedgerAccount, Payment, Refund
from payments.selectors import ledger_check
from tests.marketplace.factories import make_deal, make_post, mark_funded

URL = "https://social.example/p/abc"


@pytest.fixture
def deal(glow, owner, listed) -> Deal:
    return make_deal(glow, owner, listed, amount_minor=100_000)


@pytest.fixture
def funded(deal) -> Deal:
    return mark_funded(deal)


def first(deal: Deal) -> Deliverable:
    return deal.deliverables.order_by("position").first()


def escrow_balance() -> int:
    account = LedgerAccount.objects.filter(party="platform", kind=AccountKind.ESCROW).first()
    return account.balance_minor if account else 0


def test_five_business_days_skip_the_weekend():
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert add_business_days(friday, 5) == friday + timedelta(days=7)
    assert add_business_days(friday - timedelta(days=3), 5) == friday + timedelta(days=4)  # Tuesday → Tuesday


def test_nothing_can_be_submitted_on_an_unfunded_deal(deal, listed):
    with pytest.raises(ApplicationError) as error:
        deliverable_submit(deliverable=first(deal), user=listed.user, post_url=URL)
    assert error.value.code == "deal_not_funded"


def test_nothing_can_be_submitted_on_a_cancelled_deal(deal, owner, listed):
    deal_cancel(deal=deal, user=owner, reason="changed plans")
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.CANCELLED
    with pytest.raises(ApplicationError) as error:
        deliverable_submit(deliverable=first(deal), user=listed.user, post_url=URL)
    assert error.value.code == "deal_closed"


def test_a_deliverable_past_its_due_date_is_refused(funded, listed):
    item = first(funded)
    Deliverable.objects.filter(pk=item.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ApplicationError) as error:
        deliverable_submit(deliverable=item, user=listed.user, post_url=URL)
    assert error.value.code == "deliverable_past_due"


def test_a_submission_is_matched_to_the_ingested_post(funded, listed):
    post = make_post(listed, external_id="abc")
    item = deliverable_submit(deliverable=first(funded), user=listed.user, post_url=URL)
    assert item.post == post and item.status == DeliverableStatus.SUBMITTED
    assert item.auto_approve_at == add_business_days(item.submitted_at, 5)


def test_only_the_creator_submits_and_only_the_brand_approves(funded, listed, owner, outsider):
    item = first(funded)
    with pytest.raises(ApplicationError) as error:
        deliverable_submit(deliverable=item, user=owner, post_url=URL)
    assert error.value.code == "creator_only"
    with pytest.raises(NotFoundError):
        deliverable_submit(deliverable=item, user=outsider, post_url=URL)
    deliverable_submit(deliverable=item, user=listed.user, post_url=URL)
    with pytest.raises(ApplicationError) as error:
        deliverable_approve(deliverable=item, user=listed.user)
    assert error.value.code == "brand_only"
    with pytest.raises(NotFoundError):
        deliverable_approve(deliverable=item, user=outsider)


def test_a_second_approval_is_refused_and_releases_nothing_more(funded, listed, manager):
    item = first(funded)
    deliverable_submit(deliverable=item, user=listed.user, post_url=URL)
    deliverable_approve(deliverable=item, user=manager)
    assert escrow_balance() == 50_000

    with pytest.raises(ApplicationError) as error:
        deliverable_approve(deliverable=item, user=manager)
    assert error.value.code == "already_approved"
    assert escrow_balance() == 50_000
    assert Deal.objects.get(pk=funded.pk).released_minor == 50_000


def test_at_most_two_revisions(funded, listed, owner):
    item = first(funded)
    for round_ in (1, 2):
        deliverable_submit(deliverable=item, user=listed.user, post_url=URL)
        item = deliverable_request_revision(deliverable=item, user=owner, note=f"round {round_}")
        assert (item.status, item.revisions, item.auto_approve_at) == ("revision_requested", round_, None)
    deliverable_submit(deliverable=item, user=listed.user, post_url=URL)

    with pytest.raises(ApplicationError) as error:
        deliverable_request_revision(deliverable=item, user=owner, note="once more")
    assert error.value.code == "revision_limit"
    assert Deliverable.objects.get(pk=item.pk).status == DeliverableStatus.SUBMITTED


def test_a_manager_can_neither_fund_nor_cancel(deal, manager):
    with pytest.raises(ApplicationError) as error:
        deal_fund_start(deal=deal, user=manager, channel="mobile")
    assert error.value.code == "role_required"
    with pytest.raises(ApplicationError) as error:
        deal_cancel(deal=deal, user=manager)
    assert error.value.code == "role_required"
    assert not Payment.objects.exists()
    assert Deal.objects.get(pk=deal.pk).status == DealStatus.AWAITING_FUNDING


def test_a_payment_arriving_after_cancellation_is_refunded_in_full(
    deal, owner, django_capture_on_commit_callbacks
):
    from marketplace.services.deals import _deal_payment_prepare
    from payments.charges import payment_mark_succeeded

    payment = _deal_payment_prepare(deal=deal, user=owner)
    deal_cancel(deal=deal, user=owner)

    with django_capture_on_commit_callbacks() as callbacks:
        payment_mark_succeeded(payment=payment, stripe_payment_intent_id="pi_late")
    # The hook queued the refund task (the settlement task is queued too); run ours as a worker would.
    assert len(callbacks) == 2
    refund_late_funding(deal.pk, payment.pk)

    assert Deal.objects.get(pk=deal.pk).status == DealStatus.CANCELLED
    assert Refund.objects.get(payment=payment).amount_minor == 100_000
    assert escrow_balance() == 0
    assert deal.events.filter(kind="late_funding_refunded").exists()
    assert ledger_check() == []


def test_the_payment_hook_ignores_a_payment_for_no_deal(db):
    deal_payment_succeeded(Payment(reference="deal:999", amount_minor=100, currency="USD"))  # logs, no raise


def test_messages_email_the_other_side(funded, listed, owner, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_post(deal=funded, user=listed.user, body="Draft coming Friday.")

    assert message.side == "creator"
    recipients = sorted(address for sent in mail.outbox for address in sent.to)
    assert recipients == sorted([owner.email, manager.email])
    assert "Draft coming Friday." in mail.outbox[-1].body


def test_each_side_rates_the_other_once_after_completion(funded, listed, owner, glow):
    with pytest.raises(ApplicationError) as error:
        rating_create(deal=funded, user=owner, score=5)
    assert error.value.code == "deal_not_completed"
    for item in funded.deliverables.all():
        deliverable_submit(deliverable=item, user=listed.user, post_url=URL)
        deliverable_approve(deliverable=item, user=owner)
    deal = Deal.objects.get(pk=funded.pk)
    assert deal.status == DealStatus.COMPLETED

    with pytest.raises(ApplicationError) as error:
        rating_create(deal=deal, user=owner, score=6)
    assert error.value.code == "invalid_score"
    rating_create(deal=deal, user=owner, score=4, comment="Great reels")
    rating_create(deal=deal, user=listed.user, score=5)
    with pytest.raises(ApplicationError) as error:
        rating_create(deal=deal, user=listed.user, score=1)
    assert error.value.code == "already_rated"

    listed.listing.refresh_from_db()
    glow.refresh_from_db()
    assert (listed.listing.rating_average, glow.rating_average) == (4.0, 5.0)


def test_beat_runs_the_automatic_approval_and_the_measuring(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"marketplace.auto_approve_deliverables", "marketplace.measure_listings"} <= schedule


def test_the_auto_approval_task_approves_due_deliverables_only(funded, listed):
    from marketplace.tasks import auto_approve_deliverables

    item = deliverable_submit(deliverable=first(funded), user=listed.user, post_url=URL)
    assert auto_approve_deliverables.delay().get() == 0  # not due yet
    Deliverable.objects.filter(pk=item.pk).update(auto_approve_at=timezone.now() - timedelta(minutes=1))

    assert auto_approve_deliverables.delay().get() == 1
    item.refresh_from_db()
    assert item.status == DeliverableStatus.APPROVED and item.approved_by is None
    assert escrow_balance() == 50_000
