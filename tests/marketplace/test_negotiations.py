"""Campaigns, applications, offers and counter-offers, and the deal an acceptance makes."""

import pytest

from common.errors import ApplicationError, NotFoundError
from common.money import Money
from marketplace.enums import DealStatus, NegotiationStatus, OfferStatus
from marketplace.models import Campaign, Deal, Negotiation, Offer
from marketplace.services.negotiations import (
    application_create,
    campaign_create,
    offer_accept,
    offer_counter,
    offer_decline,
    offer_send,
)
from tests.marketplace.factories import due, make_listing

REELS = [{"format": "reel", "count": 2, "due_date": due()}]


def campaign(glow, user, **options) -> Campaign:
    fields = {
        "title": "Summer glow",
        "description": "Two reels with our sunscreen.",
        "deliverables": REELS,
        "currency": "USD",
        "budget_min_minor": 50_000,
        "budget_max_minor": 150_000,
        **options,
    }
    return campaign_create(brand=glow, user=user, **fields)


def test_a_manager_publishes_a_campaign_with_30_days_of_usage_rights_by_default(glow, manager):
    published = campaign(glow, manager, niches=["beauty"], countries=["kr"])

    assert (published.usage_days, published.usage_fee_minor, published.disclosure_required) == (30, 0, True)
    assert published.countries == ["KR"] and published.visibility == "public"


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"usage_days": None}, "perpetual_usage_unpaid"),
        ({"budget_min_minor": 10}, "amount_below_minimum"),
        ({"budget_max_minor": 100}, "invalid_budget"),
        ({"deliverables": [{"format": "reel", "count": 1, "due_date": "2000-01-01"}]}, "due_date_past"),
        ({"deliverables": [{"format": "story", "count": 1, "due_date": due()}]}, "invalid_deliverables"),
    ],
)
def test_bad_campaigns_are_refused(glow, owner, options, code):
    with pytest.raises(ApplicationError) as error:
        campaign(glow, owner, **options)
    assert error.value.code == code
    assert not Campaign.objects.exists()


def test_perpetual_usage_is_allowed_when_paid_for(glow, owner):
    assert campaign(glow, owner, usage_days=None, usage_fee_minor=20_000).usage_days is None


def test_a_creator_applies_to_a_public_campaign_once(glow, owner, listed):
    published = campaign(glow, owner)

    negotiation = application_create(
        campaign=published, user=listed.user, amount=Money(90_000, "USD"), pitch="Me!"
    )

    offer = negotiation.offers.get()
    assert (negotiation.origin, offer.side, offer.amount_minor) == ("application", "creator", 90_000)
    assert offer.deliverables == REELS
    with pytest.raises(ApplicationError) as error:
        application_create(campaign=published, user=listed.user, amount=Money(80_000, "USD"))
    assert error.value.code == "already_applied"


def test_invite_only_campaigns_take_no_applications(glow, owner, listed):
    private = campaign(glow, owner, visibility="invite_only")
    with pytest.raises(ApplicationError) as error:
        application_create(campaign=private, user=listed.user, amount=Money(90_000, "USD"))
    assert error.value.code == "campaign_not_open"


@pytest.mark.parametrize(
    ("amount", "code"),
    [(Money(49, "USD"), "amount_below_minimum"), (Money(100_000, "JPY"), "currency_not_used")],
    ids=["below the currency minimum", "a currency the creator does not use"],
)
def test_offers_at_a_bad_price_are_refused(glow, owner, listed, amount, code):
    with pytest.raises(ApplicationError) as error:
        offer_send(brand=glow, user=owner, creator=listed, amount=amount, deliverables=REELS)
    assert error.value.code == code
    assert not Negotiation.objects.exists()


def test_an_unlisted_creator_gets_no_offers(glow, owner, other_creator):
    make_listing(other_creator, currency="JPY", reel=20_000, carousel=None, is_listed=False)
    with pytest.raises(ApplicationError) as error:
        offer_send(
            brand=glow, user=owner, creator=other_creator, amount=Money(20_000, "JPY"), deliverables=REELS
        )
    assert error.value.code == "creator_not_listed"


def test_an_outsider_cannot_send_offers_for_a_brand(glow, outsider, listed):
    with pytest.raises(NotFoundError):
        offer_send(brand=glow, user=outsider, creator=listed, amount=Money(90_000, "USD"), deliverables=REELS)


def test_counter_offers_keep_a_full_history_and_alternate(glow, owner, manager, listed):
    negotiation = offer_send(
        brand=glow, user=owner, creator=listed, amount=Money(80_000, "USD"), deliverables=REELS
    )

    with pytest.raises(ApplicationError) as error:
        offer_counter(negotiation=negotiation, user=manager, amount=Money(70_000, "USD"))
    assert error.value.code == "not_your_turn"

    offer_counter(
        negotiation=negotiation, user=listed.user, amount=Money(120_000, "USD"), message="Two reels is work"
    )
    offer_counter(negotiation=negotiation, user=manager, amount=Money(100_000, "USD"))

    history = list(
        Offer.objects.filter(negotiation=negotiation).values_list("side", "amount_minor", "status")
    )
    assert history == [
        ("brand", 80_000, OfferStatus.COUNTERED),
        ("creator", 120_000, OfferStatus.COUNTERED),
        ("brand", 100_000, OfferStatus.OPEN),
    ]


def test_accepting_makes_a_deal_with_frozen_terms_and_exact_shares(glow, owner, listed):
    published = campaign(glow, owner)
    negotiation = offer_send(
        brand=glow,
        user=owner,
        creator=listed,
        campaign=published,
        amount=Money(100_001, "USD"),
        deliverables=[
            {"format": "reel", "count": 2, "due_date": due()},
            {"format": "carousel", "count": 1, "due_date": due(20)},
        ],
    )

    deal = offer_accept(negotiation=negotiation, user=listed.user)

    assert deal.status == DealStatus.AWAITING_FUNDING and deal.amount == Money(100_001, "USD")
    shares = list(deal.deliverables.values_list("format", "share_minor"))
    assert shares == [("reel", 33_334), ("reel", 33_334), ("carousel", 33_333)]
    assert sum(share for _fmt, share in shares) == 100_001
    assert deal.terms["campaign"]["title"] == "Summer glow" and deal.terms["usage_days"] == 30
    # The brand edits its campaign afterwards: the deal's terms do not move.
    Campaign.objects.filter(pk=published.pk).update(title="Winter", usage_days=365)
    assert Deal.objects.get(pk=deal.pk).terms["campaign"]["title"] == "Summer glow"
    assert deal.events.get().kind == "created"
    negotiation.refresh_from_db()
    assert negotiation.status == NegotiationStatus.ACCEPTED

    with pytest.raises(ApplicationError) as error:
        offer_accept(negotiation=negotiation, user=listed.user)
    assert error.value.code == "negotiation_closed"


def test_the_author_cannot_accept_their_own_offer_and_either_side_may_decline(glow, owner, listed):
    negotiation = offer_send(
        brand=glow, user=owner, creator=listed, amount=Money(80_000, "USD"), deliverables=REELS
    )
    with pytest.raises(ApplicationError) as error:
        offer_accept(negotiation=negotiation, user=owner)
    assert error.value.code == "not_your_turn"

    offer_decline(negotiation=negotiation, user=listed.user)
    assert Negotiation.objects.get(pk=negotiation.pk).status == NegotiationStatus.DECLINED
    assert not Deal.objects.exists()
