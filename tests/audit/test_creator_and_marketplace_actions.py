"""Standing changes, brand verification and dispute splits in admin, each with its one audit entry."""

import pytest

from audit.enums import AuditAction
from audit.models import AuditEntry
from creators.enums import PolicyStanding
from marketplace.enums import DisputeStatus
from marketplace.models import Brand, Deal, Dispute
from marketplace.services.deals import deliverable_approve, deliverable_submit, dispute_open
from tests.audit.conftest import REASON, ask, confirm, the_entry
from tests.marketplace.conftest import glow, listed, owner  # noqa: F401
from tests.marketplace.factories import make_deal, mark_funded

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("action", "audit_action", "after"),
    [
        ("action_creator_strike_add", AuditAction.STRIKE, PolicyStanding.WARNED),
        ("action_creator_suspend", AuditAction.SUSPENSION, PolicyStanding.SUSPENDED),
    ],
)
def test_a_standing_change_is_recorded(staff_client, staff, creator, action, audit_action, after):
    assert (
        "Reason (the creator sees it)"
        in ask(staff_client, "creators_creatorprofile", action, [creator.pk]).content.decode()
    )
    confirm(staff_client, "creators_creatorprofile", action, [creator.pk])
    creator.refresh_from_db()
    assert creator.policy_standing == after
    entry = the_entry(action=audit_action, target=creator, actor=staff)
    assert entry.details["before"] == {"policy_standing": PolicyStanding.GOOD}
    assert entry.details["after"] == {"policy_standing": after}
    assert entry.details["standing_event"] == creator.standing_events.get().pk


def test_a_reinstatement_is_recorded_and_a_refused_one_is_not(staff_client, staff, creator):
    page = confirm(staff_client, "creators_creatorprofile", "action_creator_restore", [creator.pk])
    assert "already in good standing" in page.content.decode()
    assert not AuditEntry.objects.exists()

    confirm(staff_client, "creators_creatorprofile", "action_creator_suspend", [creator.pk], reason="Spam")
    confirm(staff_client, "creators_creatorprofile", "action_creator_restore", [creator.pk])
    creator.refresh_from_db()
    assert creator.policy_standing == PolicyStanding.GOOD
    restored = AuditEntry.objects.get(action=AuditAction.REINSTATEMENT)
    assert (restored.actor, restored.reason, restored.target) == (staff, REASON, creator)
    assert AuditEntry.objects.count() == 2


def test_a_brand_verification_is_recorded(staff_client, staff, glow):  # noqa: F811
    confirm(staff_client, "marketplace_brand", "verify", [glow.pk])
    glow = Brand.objects.get(pk=glow.pk)
    assert glow.verified_by == staff
    entry = the_entry(action=AuditAction.BRAND_VERIFY, target=glow, actor=staff)
    assert entry.details["before"] == {"verified_at": None} and entry.details["after"]["verified_at"]


@pytest.fixture
def dispute(glow, owner, listed):  # noqa: F811
    deal = mark_funded(make_deal(glow, owner, listed, amount_minor=100_000))
    first = deal.deliverables.first()
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://x.example/p/1")
    deliverable_approve(deliverable=first, user=owner)
    return dispute_open(deal=deal, user=listed.user, reason="The brand stopped answering.")


def test_a_dispute_split_is_recorded_with_its_amounts(staff_client, staff, dispute):
    # Without a share entered there is nothing to split, and nothing is recorded.
    page = confirm(staff_client, "marketplace_dispute", "resolve", [dispute.pk])
    assert "enter the creator" in page.content.decode() and not AuditEntry.objects.exists()

    Dispute.objects.filter(pk=dispute.pk).update(creator_share_minor=30_000)
    confirm(staff_client, "marketplace_dispute", "resolve", [dispute.pk])
    dispute = Dispute.objects.get(pk=dispute.pk)
    assert dispute.status == DisputeStatus.RESOLVED
    entry = the_entry(action=AuditAction.DISPUTE_SPLIT, target=dispute, actor=staff)
    remaining = entry.details["escrow_remaining_minor"]
    assert entry.details["creator_share_minor"] == 30_000 and entry.details["currency"] == "USD"
    assert entry.details["brand_refund_minor"] == remaining - 30_000
    deal = Deal.objects.get()
    assert deal.refunded_minor == entry.details["brand_refund_minor"]


def test_a_share_larger_than_the_escrow_is_refused_and_not_recorded(staff_client, dispute):
    Dispute.objects.filter(pk=dispute.pk).update(creator_share_minor=10_000_000)
    page = confirm(staff_client, "marketplace_dispute", "resolve", [dispute.pk])
    assert "The creator" in page.content.decode()
    assert Dispute.objects.get().status == DisputeStatus.OPEN and not AuditEntry.objects.exists()
