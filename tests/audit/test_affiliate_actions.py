"""Affiliate commission reviews (the fraud review) in admin, each decision with its one audit entry."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from affiliates.models import Commission
from audit.enums import AuditAction
from audit.models import AuditEntry
from tests.affiliates.conftest import _clean_click_buffer, affiliate, guide, pay, seller, shop  # noqa: F401
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.audit.conftest import REASON, ask, confirm, the_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(shop, guide, affiliate, pay):  # noqa: F811
    link = join(make_offer(shop), affiliate)
    order = pay(buy(shop, guide, referral=clicked((link.code, 60))))
    Commission.objects.filter(order=order).update(status="on_hold", review_reason="click flood")
    return Commission.objects.get(order=order)


def test_approving_a_held_commission_is_recorded(staff_client, staff, held):
    assert ask(staff_client, "affiliates_commission", "approve", [held.pk]).status_code == 200
    assert Commission.objects.get(pk=held.pk).status == "on_hold"
    confirm(staff_client, "affiliates_commission", "approve", [held.pk])
    held.refresh_from_db()
    assert held.status == "earned" and held.reviewed_by == staff
    entry = the_entry(action=AuditAction.FRAUD_REVIEW_DECISION, target=held, actor=staff)
    assert entry.details["decision"] == "approve"
    assert entry.details["before"] == {"status": "on_hold"} and entry.details["after"] == {"status": "earned"}
    assert (entry.details["amount_minor"], entry.details["currency"]) == (held.amount_minor, held.currency)


def test_rejecting_keeps_the_reason_on_the_commission_too(staff_client, staff, held):
    confirm(staff_client, "affiliates_commission", "reject", [held.pk])
    held.refresh_from_db()
    assert held.status == "rejected"
    entry = the_entry(action=AuditAction.FRAUD_REVIEW_DECISION, target=held, actor=staff)
    assert entry.details["decision"] == "reject" and entry.reason == REASON


def test_a_refused_decision_is_not_recorded(staff_client, held):
    confirm(staff_client, "affiliates_commission", "approve", [held.pk])
    page = confirm(staff_client, "affiliates_commission", "reject", [held.pk])
    assert "Only a commission on hold can be rejected." in page.content.decode()
    assert list(AuditEntry.objects.values_list("details__decision", flat=True)) == ["approve"]


def offer_form(offer, **changes):
    data = {name: value for name, value in model_to_dict(offer).items() if value is not None}
    return {**data, **changes}


def test_a_staff_edit_of_an_offer_rate_needs_a_reason_and_is_recorded(staff_client, staff, shop):  # noqa: F811
    offer = make_offer(shop, rate_bps=1000)
    url = reverse("admin:affiliates_offer_change", args=[offer.pk])
    assert 'name="audit_reason"' in staff_client.get(url).content.decode()

    staff_client.post(url, offer_form(offer, rate_bps=1500))  # no reason
    offer.refresh_from_db()
    assert offer.rate_bps == 1000 and not AuditEntry.objects.exists()

    response = staff_client.post(url, offer_form(offer, rate_bps=1500, audit_reason="Seller asked by email"))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.rate_bps == 1500
    entry = the_entry(
        action=AuditAction.AFFILIATE_OFFER_CHANGE, target=offer, actor=staff, reason="Seller asked by email"
    )
    assert (entry.details["before"]["rate_bps"], entry.details["after"]["rate_bps"]) == (1000, 1500)


def test_putting_an_earned_commission_on_hold_is_recorded_with_its_reason(staff_client, staff, held):
    Commission.objects.filter(pk=held.pk).update(status="earned", review_reason="")
    confirm(staff_client, "affiliates_commission", "hold", [held.pk], reason="Same card on 40 orders")
    held.refresh_from_db()
    assert held.status == "on_hold" and held.review_reason == "Same card on 40 orders"
    entry = the_entry(
        action=AuditAction.FRAUD_REVIEW_DECISION, target=held, actor=staff, reason="Same card on 40 orders"
    )
    assert entry.details["decision"] == "hold" and entry.details["after"] == {"status": "on_hold"}
