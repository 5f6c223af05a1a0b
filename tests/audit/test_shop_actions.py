"""Refunds and shop closures in admin: a reason first, then the change and its one audit entry."""

import pytest

from audit.enums import AuditAction
from audit.models import AuditEntry
from shops.enums import OrderStatus, ShopStatus
from shops.models import Order
from tests.audit.conftest import REASON, ask, confirm, the_entry
from tests.shops.conftest import pay, place, shirt, web_shop  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(web_shop, shirt, pay):  # noqa: F811
    product, variant = shirt
    return pay(place(web_shop, (product, variant, 2)))


def test_a_refund_asks_for_a_reason_before_anything_changes(staff_client, paid_order):
    page = ask(staff_client, "shops_order", "refund_in_full", [paid_order.pk])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html and paid_order.number in html
    paid_order.refresh_from_db()
    assert paid_order.status != OrderStatus.REFUNDED and not AuditEntry.objects.exists()


def test_a_blank_reason_is_refused_and_changes_nothing(staff_client, paid_order):
    page = confirm(staff_client, "shops_order", "refund_in_full", [paid_order.pk], reason="   ")
    assert page.status_code == 200 and "This field is required." in page.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.refunded_minor == 0 and not AuditEntry.objects.exists()


def test_a_staff_refund_records_who_what_why_and_how_much(staff_client, staff, paid_order):
    page = confirm(staff_client, "shops_order", "refund_in_full", [paid_order.pk])
    assert "1 order(s) refunded in full." in page.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    entry = the_entry(action=AuditAction.REFUND, target=paid_order, actor=staff)
    assert entry.details["amount_minor"] == 4000 and entry.details["currency"] == "USD"
    assert entry.details["before"] == {"status": "paid", "refunded_minor": 0}
    assert entry.details["after"] == {"status": "refunded", "refunded_minor": 4000}
    assert paid_order.payment.refunds.get().reason == REASON  # the buyer-side record says why too


def test_a_refused_refund_leaves_no_entry(staff_client, web_shop, shirt):  # noqa: F811
    product, variant = shirt
    unpaid = place(web_shop, (product, variant, 1))
    page = confirm(staff_client, "shops_order", "refund_in_full", [unpaid.pk])
    assert "Only a paid order can be refunded." in page.content.decode()
    assert not AuditEntry.objects.exists()


def test_when_the_entry_cannot_be_written_the_refund_is_rolled_back(staff_client, paid_order, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("common.admin_reason.audit_record", broken)
    with pytest.raises(RuntimeError):
        confirm(staff_client, "shops_order", "refund_in_full", [paid_order.pk])
    order = Order.objects.get(pk=paid_order.pk)
    assert (order.status, order.refunded_minor) == (OrderStatus.PAID, 0)
    assert not paid_order.payment.refunds.exists()


def test_closing_and_reopening_a_shop_are_each_recorded(staff_client, staff, web_shop):  # noqa: F811
    confirm(staff_client, "shops_shop", "close_shops", [web_shop.pk], reason="Counterfeit goods")
    web_shop.refresh_from_db()
    assert web_shop.status == ShopStatus.CLOSED
    entry = the_entry(action=AuditAction.SHOP_CLOSE, target=web_shop, actor=staff, reason="Counterfeit goods")
    assert entry.details == {"before": {"status": "open"}, "after": {"status": "closed"}}

    confirm(staff_client, "shops_shop", "reopen_shops", [web_shop.pk], reason="Appeal accepted")
    web_shop.refresh_from_db()
    assert web_shop.status == ShopStatus.OPEN
    assert list(AuditEntry.objects.order_by("id").values_list("action", "reason")) == [
        (AuditAction.SHOP_CLOSE, "Counterfeit goods"),
        (AuditAction.SHOP_REOPEN, "Appeal accepted"),
    ]
