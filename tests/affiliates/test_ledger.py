"""The money of an attributed sale: settlement, refunds (partial, full, after payout), USD and KRW."""

from datetime import timedelta

import pytest

from affiliates.models import Commission
from common.money import Money
from payments.enums import AccountKind
from payments.holds import holds_release_due
from payments.models import Hold
from shops.enums import ProductType
from shops.orders import order_refund
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.payments.factories import available_of, clearing_balance, move, pending_of, revenue, user_account
from tests.shops.factories import make_product


@pytest.fixture
def link(shop, guide, affiliate):
    return join(make_offer(shop, product=guide, rate_bps=1000), affiliate)


def test_an_attributed_sale_settles_exactly_usd(shop, guide, link, seller, affiliate, pay):
    # given a $50 guide bought through a 10% link
    order = pay(buy(shop, guide, referral=clicked((link.code, 60))))
    # then: seller 4500 - 5% (225); affiliate 500 - 10% (50); the platform keeps 275
    assert pending_of(seller.user) == 4275
    assert pending_of(affiliate.user) == 450
    assert revenue() == 275 and clearing_balance() == -5000
    commission = Commission.objects.get(order=order)
    assert commission.status == "earned" and commission.earned_at is not None
    hold = Hold.objects.get(party=f"user:{affiliate.user.pk}")
    assert hold.source == "affiliate_commission" and hold.release_at == order.paid_at + timedelta(days=30)


def test_partial_then_full_refund_claws_back_proportionally(
    shop, guide, preset, link, seller, affiliate, pay
):
    order = pay(buy(shop, guide, preset, referral=clicked((link.code, 60))))
    # $80: seller 7500 → 7125 (375 commission), affiliate 500 → 450 (50), revenue 425
    assert (pending_of(seller.user), pending_of(affiliate.user), revenue()) == (7125, 450, 425)
    preset_line = order.lines.get(product=preset)
    order_refund(order=order, actor=seller.user, quantities={preset_line.pk: 1})
    # 3000 of 8000 back: largest remainder of (7125, 450, 425) × 3/8 → 2672, 169, 159
    assert (pending_of(seller.user), pending_of(affiliate.user), revenue()) == (
        7125 - 2672,
        450 - 169,
        425 - 159,
    )
    commission = Commission.objects.get(order=order)
    assert commission.refunded_minor == 500 * 3000 // 8000 and commission.status == "earned"
    order_refund(order=order, actor=seller.user)
    assert (pending_of(seller.user), pending_of(affiliate.user), revenue(), clearing_balance()) == (
        0,
        0,
        0,
        0,
    )
    commission.refresh_from_db()
    assert commission.status == "reversed" and commission.refunded_minor == 500


def test_krw_sale_and_refund_are_exact(krw_shop, other_creator, affiliate, pay):
    lamp = make_product(krw_shop, title="Lamp", price="33333", type=ProductType.DIGITAL)
    link = join(make_offer(krw_shop, rate_bps=1500), affiliate)
    order = pay(buy(krw_shop, lamp, referral=clicked((link.code, 60))))
    # ₩33,333 × 15% = 4,999.95 → ₩5,000; seller 28,333 − 5% (1,417); affiliate 5,000 − 10% (500)
    assert Commission.objects.get(order=order).amount_minor == 5000
    assert pending_of(other_creator.user, "KRW") == 26916
    assert pending_of(affiliate.user, "KRW") == 4500
    assert revenue("KRW") == 1917
    order_refund(order=order, actor=other_creator.user)
    assert (pending_of(other_creator.user, "KRW"), pending_of(affiliate.user, "KRW"), revenue("KRW")) == (
        0,
        0,
        0,
    )


def test_a_refund_after_payout_leaves_the_affiliate_negative(
    shop, guide, link, seller, affiliate, staff, pay
):
    order = pay(buy(shop, guide, referral=clicked((link.code, 60))))
    holds_release_due(now=order.paid_at + timedelta(days=31))
    assert available_of(affiliate.user) == 450 and pending_of(affiliate.user) == 0
    # the affiliate is paid out (the transfer leaves `available`)
    move(
        reference="test-payout",
        source=user_account(affiliate.user, AccountKind.AVAILABLE),
        target=user_account(affiliate.user, AccountKind.PAYABLE_OUT),
        amount_minor=450,
    )
    order_refund(order=order, actor=staff, as_staff=True)
    assert available_of(affiliate.user) == -450  # recovered from future earnings
    assert available_of(seller.user) == 0 and revenue() == 0  # the seller had 4275 available: back to 0


def test_no_referral_settles_as_before(shop, guide, seller, pay):
    pay(buy(shop, guide))
    assert pending_of(seller.user) == 4750 and revenue() == 250
    assert Money(4750, "USD").amount_minor == 4750
