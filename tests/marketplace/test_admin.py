"""Admin: every model registered, brand verification and dispute resolution through the services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from marketplace import models
from marketplace.enums import DealStatus, DisputeStatus
from marketplace.models import Brand, Deal, Dispute
from marketplace.services.deals import deliverable_approve, deliverable_submit, dispute_open
from tests.marketplace.factories import make_deal, mark_funded


def test_every_marketplace_model_is_in_admin():
    for model in [
        m for m in vars(models).values() if isinstance(m, type) and issubclass(m, models.models.Model)
    ]:
        if model._meta.app_label == "marketplace" and not model._meta.abstract:
            assert admin.site.is_registered(model), model


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_verify_brands_with_an_action(staff_client, glow, staff):
    url = reverse("admin:marketplace_brand_changelist")
    staff_client.post(
        url, {"action": "verify", "_selected_action": [glow.pk], "apply": "1", "reason": "test"}
    )
    assert Brand.objects.get(pk=glow.pk).verified_by == staff


def test_staff_resolve_a_dispute_by_splitting_the_escrow(staff_client, glow, owner, listed):
    deal = mark_funded(make_deal(glow, owner, listed, amount_minor=100_000))
    first = deal.deliverables.first()
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://x.example/p/1")
    deliverable_approve(deliverable=first, user=owner)
    dispute = dispute_open(deal=deal, user=listed.user, reason="The brand stopped answering.")
    changelist = reverse("admin:marketplace_dispute_changelist")

    staff_client.post(
        changelist, {"action": "resolve", "_selected_action": [dispute.pk], "apply": "1", "reason": "test"}
    )
    assert Dispute.objects.get().status == DisputeStatus.OPEN  # no share entered yet

    Dispute.objects.filter(pk=dispute.pk).update(creator_share_minor=30_000)
    staff_client.post(
        changelist, {"action": "resolve", "_selected_action": [dispute.pk], "apply": "1", "reason": "test"}
    )

    deal = Deal.objects.get()
    assert deal.status == DealStatus.RESOLVED and (deal.released_minor, deal.refunded_minor) == (
        80_000,
        20_000,
    )


@pytest.mark.parametrize("name", ["brand", "listing", "campaign", "deal", "dispute", "rating", "negotiation"])
def test_admin_lists_render(staff_client, glow, owner, listed, name):
    mark_funded(make_deal(glow, owner, listed))
    assert staff_client.get(reverse(f"admin:marketplace_{name}_changelist")).status_code == 200


def test_a_deal_page_in_admin_shows_its_events(staff_client, glow, owner, listed):
    deal = mark_funded(make_deal(glow, owner, listed))
    page = staff_client.get(reverse("admin:marketplace_deal_change", args=[deal.pk])).content.decode()
    assert "Funded" in page and "Deal created" in page
