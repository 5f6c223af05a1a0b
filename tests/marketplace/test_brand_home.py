"""The brand home: /marketplace/brands/<id>/ and GET /api/v1/marketplace/brands/<id>/home/
(marketplace.brand_home). Personas from tests/marketplace/conftest.py: `glow` (owned by `owner`,
with a `manager`), `listed` (minji, listed with a USD rate card), `outsider`."""

import pytest
from django.urls import reverse

from common.money import Money
from marketplace.brand_home import brand_home_get
from marketplace.services.deals import deliverable_approve, deliverable_submit
from marketplace.services.negotiations import application_create, campaign_create, offer_accept
from payments.charges import payment_mark_succeeded
from shops.enums import ProductType, ShopStatus
from shops.services import shop_create, shop_set_status
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.conftest import make_creator
from tests.marketplace.factories import due, make_deal, make_listing, mark_funded
from tests.shops.factories import image_upload, make_product

pytestmark = pytest.mark.django_db

REELS = [{"format": "reel", "count": 2, "due_date": due()}]


def summer_campaign(brand, user):
    return campaign_create(
        brand=brand,
        user=user,
        title="Summer glow",
        description="Two reels with our sunscreen.",
        deliverables=REELS,
        currency="USD",
        budget_min_minor=50_000,
        budget_max_minor=150_000,
    )


@pytest.fixture
def spent(glow, owner, listed, other_creator):
    """Glow funds a campaign deal with minji ($1,200, one of two reels approved) and a direct
    deal with sora ($800, nothing released yet)."""
    campaign = summer_campaign(glow, owner)
    negotiation = application_create(campaign=campaign, user=listed.user, amount=Money(120_000, "USD"))
    campaign_deal = mark_funded(offer_accept(negotiation=negotiation, user=owner))
    first = campaign_deal.deliverables.order_by("position").first()
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://social.example/p/1")
    deliverable_approve(deliverable=first, user=owner)
    make_listing(other_creator, currency="USD")
    mark_funded(make_deal(glow, owner, other_creator, amount_minor=80_000))
    return campaign


def test_spend_by_campaign_and_by_creator(glow, spent, listed):
    home = brand_home_get(brand=glow)

    assert [(row.currency, row.deals, row.committed, row.released) for row in home.spend_total] == [
        ("USD", 2, Money(200_000, "USD"), Money(60_000, "USD"))
    ]
    by_campaign = {row.key: (row.name, row.committed, row.released) for row in home.spend_by_campaign}
    assert by_campaign == {
        spent.pk: ("Summer glow", Money(120_000, "USD"), Money(60_000, "USD")),
        None: ("", Money(80_000, "USD"), Money(0, "USD")),  # the direct offer
    }
    by_creator = {row.name: row.committed.amount_minor for row in home.spend_by_creator}
    assert by_creator == {"minji": 120_000, "sora": 80_000}


def test_an_unfunded_deal_is_an_action_not_spend(glow, owner, listed):
    deal = make_deal(glow, owner, listed, amount_minor=70_000)
    home = brand_home_get(brand=glow)

    assert home.spend_total == []
    assert [(a.kind, a.creator_handle, a.amount) for a in home.actions] == [
        ("fund_deal", "minji", Money(70_000, "USD"))
    ]
    assert home.actions[0].url == reverse("marketplace:deal", kwargs={"deal_id": deal.pk})

    mark_funded(deal)
    assert [a.kind for a in brand_home_get(brand=glow).actions] == []


def test_submitted_content_and_creators_offers_need_the_brand(glow, owner, listed):
    deal = mark_funded(make_deal(glow, owner, listed))
    first = deal.deliverables.order_by("position").first()
    deliverable_submit(deliverable=first, user=listed.user, post_url="https://social.example/p/1")
    application_create(campaign=summer_campaign(glow, owner), user=listed.user, amount=Money(90_000, "USD"))

    kinds = sorted(a.kind for a in brand_home_get(brand=glow).actions)
    assert kinds == ["answer_offer", "review_deliverable"]
    assert "@minji" in str(brand_home_get(brand=glow).actions[0].label)

    deliverable_approve(deliverable=first, user=owner)
    assert [a.kind for a in brand_home_get(brand=glow).actions] == ["answer_offer"]


def test_affiliate_sales_of_the_brand_shop(glow, owner, creator, django_capture_on_commit_callbacks):
    shop = shop_set_status(
        shop=shop_create(brand=glow, actor=owner, name="Glow store", slug="glow-store", currency="USD"),
        status=ShopStatus.OPEN,
        actor=owner,
    )
    serum = make_product(shop, title="Serum", price="30.00", type=ProductType.DIGITAL)
    membership = join(make_offer(shop, rate_bps=1000), creator)
    assert brand_home_get(brand=glow).affiliate_sales == []

    order = buy(shop, serum, referral=clicked((membership.code, 60)))
    buy(shop, serum)  # a sale without an affiliate is not an affiliate sale
    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id="pi_brand_home_1")

    [sales] = brand_home_get(brand=glow).affiliate_sales
    assert (sales.currency, sales.orders, sales.sales, sales.commissions) == (
        "USD",
        1,
        Money(3_000, "USD"),
        Money(300, "USD"),
    )


def test_the_checklist_is_profile_then_first_campaign(glow, owner):
    from marketplace.services.brands import brand_logo_set

    steps = {step.key: step.done for step in brand_home_get(brand=glow).checklist.steps}
    assert steps == {"profile": False, "first_campaign": False}  # make_brand gives no logo

    brand_logo_set(brand=glow, user=owner, upload=image_upload(name="logo.png"))
    summer_campaign(glow, owner)
    glow.refresh_from_db()
    assert brand_home_get(brand=glow).checklist.complete


# ---------------------------------------------------------------- the page, the API, permissions


def test_the_brand_home_page_for_members(client, glow, spent, manager):
    client.force_login(manager)
    page = client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).content.decode()

    assert "Summer glow" in page and "@sora" in page
    assert "$1,200.00" in page and "$600.00" in page
    assert 'class="done" data-step="first_campaign"' in page  # done: it has a campaign
    assert 'class="" data-step="profile"' in page  # to do: no logo yet
    assert reverse("marketplace:brand-dashboard", args=[glow.pk]) in page  # the nav's Brand home


def test_an_empty_brand_home_says_what_to_do_next(client, glow, owner):
    client.force_login(owner)
    page = client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).content.decode()
    assert "No funded deals yet" in page and "No affiliate sales yet" in page
    assert reverse("marketplace:campaign-new", args=[glow.pk]) in page


def test_the_api_gives_the_same_figures(api_as, glow, spent, owner):
    response = api_as(owner).get(f"/api/v1/marketplace/brands/{glow.pk}/home/")

    assert response.status_code == 200
    body = response.json()
    assert body["spend"][0]["committed"]["amount_minor"] == 200_000
    assert body["spend"][0]["released"]["display"] == "$600.00"
    assert {row["name"] for row in body["spend_by_creator"]} == {"minji", "sora"}
    assert [step["key"] for step in body["checklist"]] == ["profile", "first_campaign"]
    assert body["affiliate_sales"] == []


def test_outsiders_and_other_brands_get_404(client, api_as, glow, spent, outsider, listed):
    other_owner = make_creator("rival", country="US").user
    from tests.marketplace.factories import make_brand

    make_brand(other_owner, name="Rival")
    for user in (outsider, listed.user, other_owner):  # including the creator in Glow's deals
        client.force_login(user)
        assert client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).status_code == 404
        response = api_as(user).get(f"/api/v1/marketplace/brands/{glow.pk}/home/")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_visitors_are_sent_to_log_in(client, anonymous, glow):
    response = client.get(reverse("marketplace:brand-dashboard", args=[glow.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert anonymous.get(f"/api/v1/marketplace/brands/{glow.pk}/home/").status_code == 401


def test_the_brand_home_takes_a_fixed_number_of_queries(
    client, api_as, glow, spent, owner, listed, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        brand_home_get(brand=glow)
    for amount in (60_000, 70_000):  # more funded deals
        mark_funded(make_deal(glow, owner, listed, amount_minor=amount))
    with CaptureQueriesContext(connection) as after:
        brand_home_get(brand=glow)
    assert len(after.captured_queries) == len(before.captured_queries) <= 8

    client.force_login(owner)
    with django_assert_max_num_queries(40):
        assert client.get(reverse("marketplace:brand-dashboard", args=[glow.pk])).status_code == 200
    with django_assert_max_num_queries(15):
        assert api_as(owner).get(f"/api/v1/marketplace/brands/{glow.pk}/home/").status_code == 200
