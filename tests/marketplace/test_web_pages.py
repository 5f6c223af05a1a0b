"""Web pages: dashboards, discovery, offers and deals render for members; outsiders get 404."""

import pytest
from django.urls import reverse

from marketplace.enums import DealStatus, NegotiationStatus
from marketplace.models import Brand, Deal, Negotiation
from tests.marketplace.factories import due, make_deal, mark_funded


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_a_new_user_creates_a_brand_and_lands_on_its_dashboard(login, outsider):
    client = login(outsider)
    assert client.get(reverse("marketplace:home")).url == reverse("marketplace:brand-create")

    response = client.post(
        reverse("marketplace:brand-create"), {"name": "Acme", "country": "FR"}, follow=True
    )

    brand = Brand.objects.get()
    assert response.redirect_chain[-1][0] == reverse("marketplace:brand-dashboard", args=[brand.pk])
    assert "Acme" in response.content.decode()


def test_discovery_lists_creators_and_shows_a_clear_error(login, glow, owner, listed):
    client = login(owner)
    page = client.get(reverse("marketplace:discover", args=[glow.pk]), {"niche": "beauty"}).content.decode()
    assert "@minji" in page
    page = client.get(
        reverse("marketplace:discover", args=[glow.pk]), {"price_max_minor": 5}
    ).content.decode()
    assert "Give a currency with a price range." in page


def test_a_brand_sends_an_offer_from_the_creator_page(login, glow, owner, listed):
    client = login(owner)
    url = reverse("marketplace:creator-profile", args=[glow.pk, listed.listing.pk])
    assert "Not enough deals yet" in client.get(url).content.decode()

    form = {
        "amount_minor": 45_000,
        "currency": "USD",
        "format": "reel",
        "count": 1,
        "due_date": due(),
        "usage_days": 30,
    }
    response = client.post(url, form)

    negotiation = Negotiation.objects.get()
    assert response.url == reverse("marketplace:negotiation", args=[negotiation.pk])
    bad = client.post(url, {**form, "currency": "JPY"}).content.decode()
    assert "prices in USD" in bad


def test_the_creator_accepts_on_the_negotiation_page(login, glow, owner, listed):
    from common.money import Money
    from marketplace.services.negotiations import offer_send

    negotiation = offer_send(
        brand=glow,
        user=owner,
        creator=listed,
        amount=Money(45_000, "USD"),
        deliverables=[{"format": "reel", "count": 1, "due_date": due()}],
    )
    client = login(listed.user)
    assert (
        "Accept offer"
        in client.get(reverse("marketplace:negotiation", args=[negotiation.pk])).content.decode()
    )

    response = client.post(reverse("marketplace:negotiation-accept", args=[negotiation.pk]))

    deal = Deal.objects.get()
    assert response.url == reverse("marketplace:deal", args=[deal.pk])
    assert Negotiation.objects.get().status == NegotiationStatus.ACCEPTED


def test_deal_pages_and_actions_are_for_participants_only(login, glow, owner, listed, outsider):
    deal = mark_funded(make_deal(glow, owner, listed))
    item = deal.deliverables.first()
    for url in (
        reverse("marketplace:deal", args=[deal.pk]),
        reverse("marketplace:negotiation", args=[deal.negotiation_id]),
        reverse("marketplace:brand-dashboard", args=[glow.pk]),
    ):
        assert login(outsider).get(url).status_code == 404
    submit = reverse("marketplace:deliverable-submit", args=[deal.pk, item.pk])
    assert login(outsider).post(submit, {"post_url": "https://x.example/p/1"}).status_code == 404

    page = login(listed.user).get(reverse("marketplace:deal", args=[deal.pk])).content.decode()
    assert "Link to the published post" in page
    login(listed.user).post(submit, {"post_url": "https://x.example/p/1"})
    approve = reverse("marketplace:deliverable-approve", args=[deal.pk, item.pk])
    response = login(owner).post(approve, follow=True)
    assert "Deliverable approved" in response.content.decode()
    assert login(owner).post(approve, follow=True).content.decode().count("already approved") == 1


def test_the_creator_dashboard_shows_deals_and_what_is_due(login, glow, owner, listed):
    deal = mark_funded(make_deal(glow, owner, listed))
    page = login(listed.user).get(reverse("marketplace:creator-dashboard")).content.decode()
    assert "Glow Co" in page and f"#{deal.pk}" in page and "Nothing due." not in page


def test_a_creator_edits_their_marketplace_profile(login, creator):
    client = login(creator.user)
    assert client.get(reverse("marketplace:listing-edit")).status_code == 200
    response = client.post(
        reverse("marketplace:listing-edit"),
        {
            "is_listed": "on",
            "currency": "KRW",
            "rate_reel": 300_000,
            "niches": ["beauty"],
            "availability": "available",
        },
    )
    assert response.url == reverse("marketplace:creator-dashboard")
    assert creator.listing.rate_reel_minor == 300_000


def test_the_owner_cancels_an_unfunded_deal_on_the_page(login, glow, owner, listed):
    deal = make_deal(glow, owner, listed)
    login(owner).post(reverse("marketplace:deal-cancel", args=[deal.pk]), {"reason": "budget"})
    assert Deal.objects.get().status == DealStatus.CANCELLED


def test_an_invitee_accepts_on_the_invitation_page(login, glow, owner):
    from marketplace.services.brands import brand_invitation_create
    from tests.conftest import make_user

    invitation = brand_invitation_create(brand=glow, user=owner, email="sam@glow.example", role="manager")
    client = login(make_user("sam@glow.example"))
    url = reverse("marketplace:invitation-accept", args=[invitation.token])
    assert "Accept invitation" in client.get(url).content.decode()

    response = client.post(url)

    assert response.url == reverse("marketplace:brand-dashboard", args=[glow.pk])
    assert "already been used" in client.post(url, follow=True).content.decode()


def test_a_brand_publishes_a_campaign_and_a_creator_applies_on_the_web(login, glow, owner, listed):
    from marketplace.models import Campaign

    form = {
        "title": "Glow week",
        "description": "One reel",
        "format": "reel",
        "count": 1,
        "due_date": due(),
        "currency": "USD",
        "budget_min_minor": 10_000,
        "budget_max_minor": 50_000,
        "visibility": "public",
        "usage_days": 30,
        "disclosure_required": "on",
    }
    login(owner).post(reverse("marketplace:campaign-new", args=[glow.pk]), form)
    campaign = Campaign.objects.get()
    assert "Glow week" in login(listed.user).get(reverse("marketplace:creator-dashboard")).content.decode()

    response = login(listed.user).post(
        reverse("marketplace:campaign", args=[campaign.pk]),
        {"amount_minor": 30_000, "currency": "USD", "pitch": "Me"},
    )

    negotiation = Negotiation.objects.get()
    assert response.url == reverse("marketplace:negotiation", args=[negotiation.pk])
    page = login(owner).get(reverse("marketplace:brand-dashboard", args=[glow.pk])).content.decode()
    assert "@minji" in page and "Application by the creator" in page


def test_a_brand_member_saves_a_creator_to_a_list_on_the_web(login, glow, manager, listed):
    from marketplace.models import SavedList

    client = login(manager)
    client.post(reverse("marketplace:list-create", args=[glow.pk]), {"name": "Summer"})
    saved = SavedList.objects.get()
    response = client.post(
        reverse("marketplace:list-add", args=[glow.pk, listed.listing.pk]), {"list_id": saved.pk}, follow=True
    )
    assert "Saved to Summer." in response.content.decode()
    assert [entry.listing_id for entry in saved.entries.all()] == [listed.listing.pk]
    page = client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).content.decode()
    assert "@minji" in page


def test_market_prices_stand_next_to_every_offer_round(login, glow, owner, listed):
    """Both sides see the market's percentiles beside each offer and counter-offer, not only the last."""
    from common.money import Money
    from marketplace.services.negotiations import offer_counter, offer_send

    negotiation = offer_send(
        brand=glow,
        user=owner,
        creator=listed,
        amount=Money(45_000, "USD"),
        deliverables=[{"format": "reel", "count": 1, "due_date": due()}],
    )
    offer_counter(negotiation=negotiation, user=listed.user, amount=Money(52_000, "USD"))
    for user in (owner, listed.user):
        page = login(user).get(reverse("marketplace:negotiation", args=[negotiation.pk])).content.decode()
        assert page.count("Market prices for this format, follower band and country") == 2
