"""Admin: every model listed for staff, the commission review actions call the services."""

import pytest
from django.test import Client

from affiliates.models import Commission
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.conftest import PASSWORD


@pytest.fixture
def staff_client(staff):
    client = Client()
    assert client.login(email=staff.email, password=PASSWORD)
    return client


@pytest.fixture
def held(shop, guide, affiliate, pay):
    link = join(make_offer(shop), affiliate)
    order = pay(buy(shop, guide, referral=clicked((link.code, 60))))
    Commission.objects.filter(order=order).update(status="on_hold", review_reason="click flood")
    return Commission.objects.get(order=order)


@pytest.mark.parametrize(
    "model", ["offer", "membership", "clickdaily", "clickflush", "commission", "fraudsignal"]
)
def test_staff_see_every_list(staff_client, held, model):
    assert staff_client.get(f"/admin/affiliates/{model}/").status_code == 200


def test_non_staff_are_sent_to_the_admin_login(affiliate):
    client = Client()
    client.login(email=affiliate.user.email, password=PASSWORD)
    assert client.get("/admin/affiliates/commission/").status_code == 302


def test_approve_and_reject_actions(staff_client, held, staff):
    url = "/admin/affiliates/commission/"
    staff_client.post(
        url, {"action": "approve", "_selected_action": [held.pk], "apply": "1", "reason": "test"}
    )
    held.refresh_from_db()
    assert held.status == "earned" and held.reviewed_by == staff
    response = staff_client.post(
        url, {"action": "reject", "_selected_action": [held.pk], "apply": "1", "reason": "test"}, follow=True
    )
    assert "Only a commission on hold can be rejected." in response.content.decode()
    held.refresh_from_db()
    assert held.status == "earned"
