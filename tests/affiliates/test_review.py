"""Fraud holds and staff review: held at creation, approve (normal release), reject (money to the seller)."""

from datetime import timedelta

import pytest

from affiliates.models import Commission
from affiliates.services import commission_approve, commission_hold, commission_reject
from common.errors import ApplicationError
from payments.models import Hold
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.payments.factories import pending_of


@pytest.fixture
def link(shop, guide, affiliate):
    return join(make_offer(shop, rate_bps=1000), affiliate)


@pytest.fixture
def held(shop, guide, link, settings, pay):
    settings.AFFILIATE_FRAUD_ORDERS_PER_EMAIL = 2
    pay(buy(shop, guide, referral=clicked((link.code, 60)), email="same@example.com"))
    order = pay(buy(shop, guide, referral=clicked((link.code, 60)), email="same@example.com"))
    return Commission.objects.get(order=order)


def affiliate_hold(commission):
    return Hold.objects.get(
        origin=commission.order.payment.settlement, party=f"user:{commission.membership.affiliate.user_id}"
    )


def test_many_orders_from_one_email_put_the_commission_on_hold(held):
    assert held.status == "on_hold" and "orders from one email" in held.review_reason
    assert affiliate_hold(held).release_at >= held.order.paid_at + timedelta(days=3000)


def test_a_held_commission_is_dated_by_the_payment_but_stays_held(held):
    assert held.status == "on_hold"
    assert held.earned_at == held.order.paid_at  # the payment dates it; staff review decides it


def test_approve_releases_on_the_normal_date(held, staff):
    commission_approve(commission=held, actor=staff)
    held.refresh_from_db()
    assert held.status == "earned" and held.reviewed_by == staff
    assert affiliate_hold(held).release_at == held.order.paid_at + timedelta(days=30)


def test_reject_moves_the_held_money_to_the_seller(held, staff, seller, affiliate):
    before_seller, before_affiliate = pending_of(seller.user), pending_of(affiliate.user)
    commission_reject(commission=held, actor=staff, reason="fake buyer")
    held.refresh_from_db()
    assert held.status == "rejected" and held.review_reason == "fake buyer"
    assert pending_of(affiliate.user) == before_affiliate - 450
    assert pending_of(seller.user) == before_seller + 450
    assert Hold.objects.filter(party=f"user:{seller.user_id}", amount_minor=450).exists()


def test_review_actions_refuse_the_wrong_state(held, staff):
    commission_approve(commission=held, actor=staff)
    with pytest.raises(ApplicationError) as error:
        commission_reject(commission=held, actor=staff)
    assert error.value.code == "commission_state"
    commission_hold(commission=held, actor=staff, reason="second look")
    held.refresh_from_db()
    assert held.status == "on_hold" and affiliate_hold(held).release_at > held.order.paid_at + timedelta(
        days=3000
    )


def test_a_refund_after_a_rejection_costs_the_affiliate_nothing(held, staff, seller, affiliate):
    from shops.orders import order_refund
    from tests.payments.factories import available_of, revenue

    commission_reject(commission=held, actor=staff)
    order_refund(order=held.order, actor=seller.user)
    assert (
        pending_of(affiliate.user) + available_of(affiliate.user) == 450
    )  # the first order's commission only
    held.refresh_from_db()
    assert held.status == "rejected" and held.refunded_minor == 500
    # the seller and the platform gave back the whole second sale between them
    assert pending_of(seller.user) + available_of(seller.user) == 4275
    assert revenue() == 275


def test_many_orders_to_one_address_put_the_commission_on_hold(shop, link, settings, pay):
    from shops.orders import ItemRequest, order_create
    from shops.services import variant_create
    from tests.shops.factories import make_product

    settings.AFFILIATE_FRAUD_ORDERS_PER_EMAIL = 2
    shirt = make_product(shop, title="Shirt", price="20.00")
    size = variant_create(product=shirt, name="M", stock=9)
    address = {"name": "A", "line1": "1 Main St", "city": "Austin", "postal_code": "78701", "country": "US"}
    orders = [
        order_create(
            shop=shop,
            items=[ItemRequest(product_id=shirt.pk, variant_id=size.pk, quantity=1)],
            email=f"buyer{n}@example.com",
            shipping_address=address,
            referral=clicked((link.code, 60)),
        )
        for n in range(2)
    ]
    statuses = [Commission.objects.get(order=order).status for order in orders]
    assert statuses == ["pending_payment", "on_hold"]
    assert "orders to one address" in Commission.objects.get(order=orders[1]).review_reason


def test_a_conversion_far_above_the_norm_puts_the_commission_on_hold(shop, guide, link, settings):
    settings.AFFILIATE_FRAUD_MIN_ORDERS = 2  # two orders, and no click stored: far above 50 %
    first = buy(shop, guide, referral=clicked((link.code, 60)), email="a@example.com")
    second = buy(shop, guide, referral=clicked((link.code, 60)), email="b@example.com")
    assert Commission.objects.get(order=first).status == "pending_payment"
    held = Commission.objects.get(order=second)
    assert held.status == "on_hold" and "conversion" in held.review_reason
    assert second.payment.splits[1]["hold_days"] == 3650


def test_a_click_flood_on_the_link_puts_its_commissions_on_hold(shop, guide, link):
    from affiliates.models import FraudSignal

    FraudSignal.objects.create(kind="click_flood", membership=link, detail="200 clicks in a minute")
    order = buy(shop, guide, referral=clicked((link.code, 60)))
    assert Commission.objects.get(order=order).review_reason == "click flood from one address on this link"
