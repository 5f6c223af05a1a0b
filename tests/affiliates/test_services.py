"""Offers and memberships: terms, joining, approval, leaving, removal, bad input."""

import pytest

from affiliates.models import Membership, Offer
from affiliates.services import (
    membership_approve,
    membership_decline,
    membership_join,
    membership_leave,
    membership_remove,
    offer_create,
    offer_set_status,
)
from common.errors import ApplicationError
from tests.affiliates.factories import make_offer
from tests.conftest import make_creator


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        ({"rate_bps": 99}, "invalid_rate"),
        ({"rate_bps": 7501}, "invalid_rate"),
        ({"rate_bps": 1000, "window_days": 0}, "invalid_window"),
        ({"rate_bps": 1000, "window_days": 91}, "invalid_window"),
        ({"rate_bps": 1000, "join_mode": "maybe"}, "invalid_join_mode"),
    ],
)
def test_bad_terms_are_refused_and_nothing_is_written(shop, terms, code):
    with pytest.raises(ApplicationError) as error:
        offer_create(shop=shop, **terms)
    assert error.value.code == code and error.value.fields
    assert not Offer.objects.exists()


def test_the_edges_of_the_terms_are_accepted(shop, guide):
    assert make_offer(shop, rate_bps=100, window_days=1).window_days == 1
    assert make_offer(shop, product=guide, rate_bps=7500, window_days=90).rate_bps == 7500


def test_one_active_offer_per_product(shop, guide, other_creator):
    make_offer(shop, product=guide)
    with pytest.raises(ApplicationError) as error:
        make_offer(shop, product=guide)
    assert error.value.code == "offer_exists"
    from tests.shops.factories import make_product, make_shop

    foreign = make_product(make_shop(other_creator, slug="other"), title="Other")
    with pytest.raises(ApplicationError) as error:
        make_offer(shop, product=foreign)
    assert error.value.code == "product_unavailable"


def test_an_open_offer_gives_a_link_at_once(shop, affiliate):
    membership = membership_join(offer=make_offer(shop), affiliate=affiliate)
    assert membership.status == "active" and len(membership.code) == 8 and membership.joined_at
    assert membership_join(offer=membership.offer, affiliate=affiliate) == membership  # idempotent


def test_an_approval_offer_waits_for_the_seller(shop, affiliate, seller):
    offer = make_offer(shop, join_mode="approval", code_discount_bps=500)
    membership = membership_join(offer=offer, affiliate=affiliate)
    assert membership.status == "requested" and membership.discount_code is None
    membership = membership_approve(membership=membership, actor=seller.user)
    assert membership.status == "active" and membership.discount_code.value == 500


def test_declined_and_removed_affiliates_cannot_rejoin_but_leavers_can(shop, affiliate, seller):
    offer = make_offer(shop, join_mode="approval")
    declined = membership_decline(
        membership=membership_join(offer=offer, affiliate=affiliate), actor=seller.user
    )
    assert declined.status == "declined"
    with pytest.raises(ApplicationError) as error:
        membership_join(offer=offer, affiliate=affiliate)
    assert error.value.code == "membership_refused"
    other = make_creator("leaver", country="US")
    leaver = membership_approve(membership=membership_join(offer=offer, affiliate=other), actor=seller.user)
    membership_leave(membership=leaver)
    assert membership_join(offer=offer, affiliate=other).status == "requested"
    removed = membership_remove(membership=Membership.objects.get(pk=leaver.pk), actor=seller.user)
    assert removed.status == "removed"


def test_joining_ones_own_offer_or_a_paused_one_is_refused(shop, seller, affiliate):
    offer = make_offer(shop)
    with pytest.raises(ApplicationError) as error:
        membership_join(offer=offer, affiliate=seller)
    assert error.value.code == "own_offer"
    offer_set_status(offer=offer, status="paused")
    with pytest.raises(ApplicationError) as error:
        membership_join(offer=offer, affiliate=affiliate)
    assert error.value.code == "offer_not_active"
    assert not Membership.objects.exists()


def test_a_closed_offer_stays_closed(shop):
    offer = offer_set_status(offer=make_offer(shop), status="closed")
    with pytest.raises(ApplicationError) as error:
        offer_set_status(offer=offer, status="active")
    assert error.value.code == "offer_closed"
