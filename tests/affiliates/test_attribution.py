"""Attribution rules: window edges, last click wins, a code beats the cookie, self-referral, covered lines."""

import pytest

from affiliates.attribution import Referral, click_token_make
from affiliates.models import Commission, FraudSignal
from affiliates.services import offer_update
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.conftest import make_creator

DAY = 24 * 3600


@pytest.fixture
def shop_offer(shop):
    return make_offer(shop, rate_bps=1000, window_days=7)


@pytest.fixture
def link(shop_offer, affiliate):
    return join(shop_offer, affiliate)


@pytest.fixture
def rival(shop_offer):
    return join(shop_offer, make_creator("rival", country="US"))


def commission_of(order):
    return Commission.objects.filter(order=order).select_related("membership").first()


def test_a_click_inside_the_window_earns_on_the_whole_order(shop, guide, preset, link):
    order = buy(shop, guide, preset, referral=clicked((link.code, 7 * DAY - 60)))
    commission = commission_of(order)
    assert commission.membership == link
    assert (commission.eligible_minor, commission.amount_minor, commission.rate_bps) == (8000, 800, 1000)
    assert commission.window_days == 7 and commission.via == "click"


def test_a_click_just_outside_the_window_earns_nothing(shop, guide, link):
    order = buy(shop, guide, referral=clicked((link.code, 7 * DAY + 60)))
    assert commission_of(order) is None
    assert [s["party"] for s in order.payment.splits] == [shop.owner_party]


def test_the_most_recent_click_wins(shop, guide, link, rival):
    order = buy(shop, guide, referral=clicked((rival.code, 3600), (link.code, 60), (rival.code, 2 * DAY)))
    assert commission_of(order).membership == link


def test_a_recent_click_outside_its_window_loses_to_an_older_valid_one(shop, guide, preset, link, affiliate):
    short = join(
        make_offer(shop, product=preset, rate_bps=2000, window_days=1), make_creator("quick", country="US")
    )
    order = buy(shop, guide, preset, referral=clicked((short.code, 2 * DAY), (link.code, 3 * DAY)))
    assert commission_of(order).membership == link


def test_an_affiliate_discount_code_beats_the_cookie(shop, guide, link):
    coded = make_offer(shop, product=guide, rate_bps=1500, code_discount_bps=1000)
    member = join(coded, make_creator("coder", country="US"))
    assert member.discount_code is not None
    order = buy(shop, guide, referral=clicked((link.code, 60)), code=member.discount_code.code)
    commission = commission_of(order)
    assert commission.membership == member and commission.via == "code"
    assert order.total_minor == 4500 and commission.amount_minor == 675  # 15% of the discounted line


def test_only_lines_of_the_offer_earn(shop, guide, preset, affiliate):
    member = join(make_offer(shop, product=guide, rate_bps=2500), affiliate)
    order = buy(shop, guide, preset, referral=clicked((member.code, 60)))
    assert (commission_of(order).eligible_minor, commission_of(order).amount_minor) == (5000, 1250)
    seller, aff = order.payment.splits
    assert seller["amount_minor"] == 6750 and aff["amount_minor"] == 1250
    assert aff["source"] == "affiliate_commission" and aff["hold_days"] == shop.refund_window_days


def test_self_referral_earns_nothing_and_is_logged(shop, guide, link, affiliate):
    by_account = buy(shop, guide, referral=clicked((link.code, 60)), buyer=affiliate.user)
    by_email = buy(shop, guide, referral=clicked((link.code, 60)), email=affiliate.user.email.upper())
    assert commission_of(by_account) is None and commission_of(by_email) is None
    assert FraudSignal.objects.filter(kind="self_referral", membership=link).count() == 2


def test_the_mobile_click_token_and_link_code_attribute(shop, guide, link, rival):
    import time

    by_token = buy(
        shop, guide, referral=Referral(click_token=click_token_make(link.code, int(time.time()) - 60))
    )
    assert commission_of(by_token).via == "token"
    by_code = buy(shop, guide, referral=Referral(code=rival.code.lower()))
    assert commission_of(by_code).membership == rival


def test_forged_tokens_unknown_codes_and_other_shops_links_earn_nothing(
    shop, guide, other_creator, affiliate
):
    from tests.shops.factories import make_shop

    elsewhere = make_shop(other_creator, slug="elsewhere")
    foreign = join(make_offer(elsewhere, rate_bps=5000), affiliate)
    order = buy(
        shop,
        guide,
        referral=Referral(
            clicks=[(foreign.code, 1), ("ZZZZZZZZ", 2)], click_token="forged:token", code="NOPE"
        ),
    )
    assert commission_of(order) is None


def test_later_rate_changes_do_not_rewrite_a_commission(shop, guide, link, shop_offer):
    order = buy(shop, guide, referral=clicked((link.code, 60)))
    offer_update(offer=shop_offer, rate_bps=5000, window_days=30, join_mode="open")
    commission = commission_of(order)
    commission.refresh_from_db()
    assert (commission.rate_bps, commission.amount_minor, commission.window_days) == (1000, 500, 7)


def test_a_left_membership_no_longer_attributes(shop, guide, link):
    from affiliates.services import membership_leave

    membership_leave(membership=link)
    assert commission_of(buy(shop, guide, referral=clicked((link.code, 60)))) is None


def test_the_api_referral_ignores_junk(shop, guide, link):
    from affiliates.attribution import referral_from_api

    assert referral_from_api(click_token=["x"], code=123) == Referral()
    order = buy(shop, guide, referral=referral_from_api(code=link.code))
    assert commission_of(order).membership == link
