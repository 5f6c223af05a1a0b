"""The creator home: /dashboard/ and GET /api/v1/me/home/ (creators.home).

Money is posted through the real services: settlements of paid payments (a shop sale, an
affiliate's share of someone else's sale), an escrow release of a funded deal, a bonus award.
Default commission rules: shop sales 5%, affiliate commissions 10%, sponsorships 10%, bonuses 0%.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bonuses.services import invitation_create, invitation_decline
from common.money import Money
from creators.home import creator_home_get, earnings_by_source
from creators.services import creator_update
from marketplace.services.deals import deliverable_approve, deliverable_submit
from payments.bonus_posting import BonusAward, bonus_awards_post_many
from payments.charges import payment_mark_succeeded
from payments.holds import holds_release_due
from payments.models import ConnectedAccount, party_for_user
from payments.settlement import settlement_post
from shops.orders import order_ship
from shops.services import variant_create
from tests.bonuses.factories import INVITED_AT, make_formula, make_programme
from tests.conftest import make_creator, make_user
from tests.marketplace.factories import make_brand, make_deal, mark_funded
from tests.payments.factories import paid_payment, split
from tests.shops.conftest import place
from tests.shops.factories import make_product, make_shop

pytestmark = pytest.mark.django_db


def settle(*splits, **options):
    options.setdefault("paid_at", timezone.now())
    return settlement_post(payment=paid_payment(*splits, **options))


def ready_payout_account(user) -> ConnectedAccount:
    return ConnectedAccount.objects.create(
        party=party_for_user(user),
        country="KR",
        stripe_account_id=f"acct_{user.pk}",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )


@pytest.fixture
def earned(creator):
    """minji earns in every way in USD (net 9,500 + 900 + 45,000 + 5,000 cents) and once in KRW."""
    settle(split(creator.user, 10_000))  # her own shop sale: 5% commission → 9,500
    seller = make_creator("selena", country="US")
    settle(split(seller.user, 9_000), split(creator.user, 1_000, "affiliate_commission"))  # → 900
    owner = make_user("owner@glow.example")
    deal = mark_funded(make_deal(make_brand(owner), owner, creator, amount_minor=100_000))
    first = deal.deliverables.order_by("position").first()
    deliverable_submit(deliverable=first, user=creator.user, post_url="https://social.example/p/1")
    deliverable_approve(deliverable=first, user=owner)  # half of 100,000, 10% commission → 45,000
    bonus_awards_post_many(
        awards=[BonusAward("bonus:test:1", party_for_user(creator.user), Money(5_000, "USD"), "KR")],
        at=timezone.now(),
    )
    settle(split(creator.user, 20_000), currency="KRW", country="KR")  # → 19,000 KRW
    return creator


def usd(series_list):
    return next(series for series in series_list if series.currency == "USD")


# ---------------------------------------------------------------- earnings by source


def test_earnings_are_grouped_by_source_per_currency(earned):
    home = creator_home_get(user=earned.user)

    assert [series.currency for series in home.earnings] == ["KRW", "USD"]
    dollars = usd(home.earnings)
    assert {source: money.amount_minor for source, money in dollars.totals.items()} == {
        "shop_sale": 9_500,
        "affiliate_commission": 900,  # her share of selena's sale, not counted as a shop sale
        "sponsorship": 45_000,
        "bonus": 5_000,
    }
    assert dollars.total == Money(60_400, "USD")
    assert home.earnings[0].totals["shop_sale"] == Money(19_000, "KRW")
    today = timezone.localdate()
    assert dollars.bucket == "day" and len(dollars.buckets) == 30 and dollars.buckets[-1].start == today
    assert [bucket.start for bucket in dollars.active_buckets] == [today]


def test_the_period_decides_what_is_counted_and_how_it_is_bucketed(earned):
    party = party_for_user(earned.user)
    in_40_days = timezone.now() + timedelta(days=40)

    assert earnings_by_source(party=party, days=30, now=in_40_days) == []  # all of it is older
    quarter = usd(earnings_by_source(party=party, days=90, now=in_40_days))
    assert quarter.bucket == "week" and quarter.total == Money(60_400, "USD")
    year = usd(earnings_by_source(party=party, days=365))
    assert year.bucket == "month" and year.buckets[-1].start == timezone.localdate().replace(day=1)
    assert year.total == Money(60_400, "USD")


def test_a_sale_counts_on_the_day_its_buyer_paid(creator):
    settle(split(creator.user, 2_000), paid_at=timezone.now() - timedelta(days=45))
    party = party_for_user(creator.user)

    assert earnings_by_source(party=party, days=30) == []
    quarter = usd(earnings_by_source(party=party, days=90))
    [bucket] = quarter.active_buckets
    paid_on = timezone.localdate() - timedelta(days=45)
    assert bucket.start == paid_on - timedelta(days=paid_on.weekday())  # its ISO week
    assert bucket.by_source["shop_sale"] == Money(1_900, "USD")


def test_someone_elses_earnings_never_show(earned, other_creator):
    assert creator_home_get(user=other_creator.user).earnings == []


# ---------------------------------------------------------------- balances and payouts


def test_balances_per_currency_with_the_days_pending_money_clears(earned):
    home = creator_home_get(user=earned.user)

    dollars = next(b for b in home.balances if b.currency == "USD")
    assert dollars.pending == Money(60_400, "USD") and dollars.available == Money(0, "USD")
    today = timezone.localdate()
    clearing = {c.on: c.amount.amount_minor for c in dollars.clearing}
    assert clearing == {
        today + timedelta(days=30): 9_500 + 900,  # settled sales: 30-day refund window
        today + timedelta(days=7): 45_000,  # sponsorship: 7-day review hold
        today + timedelta(days=14): 5_000,  # bonus: 14 days
    }
    won = next(b for b in home.balances if b.currency == "KRW")
    assert won.pending == Money(19_000, "KRW")
    assert dollars.next_payout.status == "nothing"
    assert dollars.next_payout.expected_at == today + timedelta(days=7)  # the first to clear


def test_the_next_payout_follows_the_money_and_the_payout_account(earned):
    holds_release_due(now=timezone.now() + timedelta(days=31))  # everything clears
    first = creator_home_get(user=earned.user)
    dollars = next(b for b in first.balances if b.currency == "USD")
    assert dollars.available == Money(60_400, "USD") and dollars.clearing == []
    assert dollars.next_payout.status == "setup_needed"

    ready_payout_account(earned.user)
    now = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    dollars = next(b for b in creator_home_get(user=earned.user, now=now).balances if b.currency == "USD")
    assert dollars.next_payout.status == "scheduled"
    assert dollars.next_payout.amount == Money(60_400, "USD")
    assert dollars.next_payout.expected_at == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # the 06:00 UTC run


def test_a_balance_under_the_payout_minimum_says_so(creator):
    settle(split(creator.user, 500, hold_days=0))  # 475 cents net, under the USD minimum of 1,000
    holds_release_due(now=timezone.now() + timedelta(minutes=1))
    ready_payout_account(creator.user)
    dollars = creator_home_get(user=creator.user).balances[0]
    assert dollars.next_payout.status == "below_minimum"
    assert dollars.next_payout.minimum == Money(1_000, "USD")


# ---------------------------------------------------------------- to-do list


def kinds(user) -> list[str]:
    return [item.kind for item in creator_home_get(user=user).todo]


def test_a_paid_order_is_a_todo_until_it_ships(creator, django_capture_on_commit_callbacks):
    shop = make_shop(creator, name="Minji's studio", slug="minji-studio")
    product = make_product(shop, title="Shirt", price="20.00")
    variant = variant_create(product=product, name="M", stock=5)
    order = place(shop, (product, variant, 1))
    assert "orders_to_fulfil" not in kinds(creator.user)  # not paid yet

    with django_capture_on_commit_callbacks(execute=True):
        payment_mark_succeeded(payment=order.payment, stripe_payment_intent_id=f"pi_home_{order.pk}")
    todo = creator_home_get(user=creator.user).todo
    item = next(item for item in todo if item.kind == "orders_to_fulfil")
    assert item.count == 1 and item.url.startswith(reverse("shops:orders"))

    order.refresh_from_db()
    order_ship(order=order, carrier="ups", tracking_number="1Z999", actor=creator.user)
    assert "orders_to_fulfil" not in kinds(creator.user)


def test_deliverables_due_are_todos_until_submitted(creator):
    owner = make_user("owner@glow.example")
    deal = mark_funded(make_deal(make_brand(owner, name="Glow Co"), owner, creator))
    due = [item for item in creator_home_get(user=creator.user).todo if item.kind == "deliverable_due"]
    assert len(due) == 2 and "Glow Co" in str(due[0].label)
    assert due[0].url == reverse("marketplace:deal", kwargs={"deal_id": deal.pk})
    assert due[0].due == deal.deliverables.first().due_date

    for deliverable in deal.deliverables.all():
        deliverable_submit(deliverable=deliverable, user=creator.user, post_url="https://social.example/p/x")
    assert "deliverable_due" not in kinds(creator.user)


def test_a_bonus_invitation_is_a_todo_until_answered(creator):
    programme = make_programme()
    make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    assert "bonus_invitation" in kinds(creator.user)

    invitation_decline(invitation_id=invitation.pk, creator=creator)
    assert "bonus_invitation" not in kinds(creator.user)


def test_a_brand_offer_is_a_todo_until_answered(creator):
    from marketplace.services.negotiations import offer_decline, offer_send
    from tests.marketplace.factories import due, make_listing

    make_listing(creator)
    owner = make_user("owner@glow.example")
    negotiation = offer_send(
        brand=make_brand(owner),
        user=owner,
        creator=creator,
        amount=Money(100_000, "USD"),
        deliverables=[{"format": "reel", "count": 1, "due_date": due()}],
    )
    [item] = [item for item in creator_home_get(user=creator.user).todo if item.kind == "brand_offer"]
    assert item.count == 1 and item.url == reverse("marketplace:creator-dashboard")

    offer_decline(negotiation=negotiation, user=creator.user)
    assert "brand_offer" not in kinds(creator.user)


def test_missing_payout_setup_is_a_todo(creator):
    assert "payout_setup" in kinds(creator.user)
    ready_payout_account(creator.user)
    assert "payout_setup" not in kinds(creator.user)


# ---------------------------------------------------------------- checklist


def steps(user) -> dict[str, bool]:
    return {step.key: step.done for step in creator_home_get(user=user).checklist.steps}


def test_the_checklist_is_computed_from_data_and_disappears_when_done(client, db):
    newcomer = make_creator("hana", country="JP", professional=False)
    assert steps(newcomer.user) == {
        "profile": False,
        "professional": False,
        "payouts": False,
        "first_sale_channel": False,
    }
    client.force_login(newcomer.user)
    page = client.get(reverse("creators:dashboard")).content.decode()
    assert 'data-step="profile"' in page and f'href="{reverse("creators:edit")}"' in page

    from creators.services import creator_switch_to_professional
    from tests.shops.factories import image_upload

    avatar = image_upload()
    creator_update(
        creator=newcomer,
        bio="Tokyo food",
        avatar=SimpleUploadedFile("a.png", avatar.read(), content_type="image/png"),
    )
    creator_switch_to_professional(creator=newcomer)
    ready_payout_account(newcomer.user)
    assert steps(newcomer.user) == {
        "profile": True,
        "professional": True,
        "payouts": True,
        "first_sale_channel": False,
    }

    make_product(make_shop(newcomer, name="Hana", slug="hana"), title="Recipe book", price="5.00")
    assert all(steps(newcomer.user).values())
    assert "data-step=" not in client.get(reverse("creators:dashboard")).content.decode()


# ---------------------------------------------------------------- the page and the API


def test_the_home_page_shows_the_figures_with_a_chart_and_a_table(client, earned):
    client.force_login(earned.user)
    page = client.get(reverse("creators:dashboard")).content.decode()

    assert 'class="earnings-chart"' in page and 'role="img"' in page
    assert "<table" in page and "Affiliate commission" in page
    assert "$604.00" in page  # the USD total
    assert "$450.00" in page  # sponsorship
    assert "Recent posts" in page
    assert client.get(reverse("creators:dashboard"), {"days": "365"}).status_code == 200
    assert client.get(reverse("creators:dashboard"), {"days": "nonsense"}).status_code == 200


def test_an_empty_home_says_what_to_do_next(client, creator):
    client.force_login(creator.user)
    page = client.get(reverse("creators:dashboard")).content.decode()
    assert "No earnings in this period yet" in page and reverse("shops:dashboard") in page
    assert "No money yet" in page


def test_the_api_gives_the_same_figures(api_as, earned):
    response = api_as(earned.user).get("/api/v1/me/home/", {"days": 90})

    assert response.status_code == 200
    body = response.json()
    assert body["days"] == 90
    dollars = next(series for series in body["earnings"] if series["currency"] == "USD")
    assert dollars["bucket"] == "week"
    assert dollars["totals"]["sponsorship"]["amount_minor"] == 45_000
    assert dollars["totals"]["affiliate_commission"] == {
        "amount_minor": 900,
        "currency": "USD",
        "amount": "9.00",
        "display": "$9.00",
    }
    assert dollars["total"]["amount_minor"] == 60_400
    balance = next(b for b in body["balances"] if b["currency"] == "USD")
    assert balance["pending"]["amount_minor"] == 60_400
    today = timezone.localdate()
    assert [c["on"] for c in balance["clearing"]] == [
        (today + timedelta(days=days)).isoformat() for days in (7, 14, 30)
    ]
    assert balance["next_payout"]["status"] == "nothing"
    assert "payout_setup" in [item["kind"] for item in body["todo"]]
    assert [step["key"] for step in body["checklist"]] == [
        "profile",
        "professional",
        "payouts",
        "first_sale_channel",
    ]


def test_the_api_refuses_a_bad_period_with_the_error_shape(api_as, creator):
    response = api_as(creator.user).get("/api/v1/me/home/", {"days": 7})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "days" in response.json()["error"]["fields"]


# ---------------------------------------------------------------- permissions


def test_anonymous_visitors_are_sent_to_log_in(client, anonymous, db):
    response = client.get(reverse("creators:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert anonymous.get("/api/v1/me/home/").status_code == 401


def test_a_non_creator_has_no_creator_home(client, api_as, buyer):
    client.force_login(buyer)
    assert "Become a creator" in client.get(reverse("creators:dashboard")).content.decode()
    response = api_as(buyer).get("/api/v1/me/home/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_another_creator_sees_only_their_own_figures(client, api_as, earned, other_creator):
    client.force_login(other_creator.user)
    page = client.get(reverse("creators:dashboard")).content.decode()
    assert "$604.00" not in page and "$450.00" not in page
    body = api_as(other_creator.user).get("/api/v1/me/home/").json()
    assert body["earnings"] == [] and body["balances"] == []


# ---------------------------------------------------------------- speed


def test_the_home_takes_a_fixed_number_of_queries(client, api_as, earned, django_assert_max_num_queries):
    client.force_login(earned.user)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("creators:dashboard"), {"days": 365}).status_code == 200
    with django_assert_max_num_queries(20):
        assert api_as(earned.user).get("/api/v1/me/home/").status_code == 200


def test_more_money_does_not_mean_more_queries(earned, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        creator_home_get(user=earned.user, days=365)
    for n in range(5):  # more sales, and money in two more currencies
        settle(split(earned.user, 1_000 + n), currency=["USD", "EUR", "JPY", "USD", "EUR"][n])
    with django_assert_num_queries(len(before.captured_queries)):
        home = creator_home_get(user=earned.user, days=365)
    assert {b.currency for b in home.balances} == {"EUR", "JPY", "KRW", "USD"}


def test_dates_are_dates(earned):
    home = creator_home_get(user=earned.user)
    assert all(isinstance(c.on, date) for b in home.balances for c in b.clearing)


def test_the_demo_homes_are_rich(client):
    """minji@demo.example and brand@demo.example see money, things to do and a checklist."""
    from io import StringIO

    from django.core.management import call_command

    from creators.models import User
    from marketplace.brand_home import brand_home_get
    from marketplace.models import Brand

    call_command("seed_demo", "--creators", "0", "--posts", "3", stdout=StringIO())
    minji = creator_home_get(user=User.objects.get(email="minji@demo.example"), days=90)
    sources = {source for s in minji.earnings for source, amount in s.totals.items() if amount.is_positive()}
    assert sources == {"shop_sale", "affiliate_commission", "sponsorship"}
    assert {"deliverable_due", "orders_to_fulfil", "payout_setup"} <= {item.kind for item in minji.todo}

    glow = brand_home_get(brand=Brand.objects.get(name="Glow Labs"))
    assert glow.spend_total and glow.spend_by_creator and glow.affiliate_sales
    assert [action.kind for action in glow.actions] == ["fund_deal"]
    client.force_login(User.objects.get(email="brand@demo.example"))
    assert client.get(reverse("creators:dashboard")).status_code == 200  # a brand user, not a creator


def test_both_homes_are_documented_in_the_openapi_schema(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    assert "/api/v1/me/home/" in schema["paths"]
    assert "/api/v1/marketplace/brands/{brand_id}/home/" in schema["paths"]
    components = schema["components"]["schemas"]
    series = components["HomeEarningsSeries"]["properties"]
    assert series["total"]["allOf"] == [{"$ref": "#/components/schemas/Money"}] and "buckets" in series
    assert set(components["HomeSourceAmounts"]["properties"]) == {
        "shop_sale",
        "affiliate_commission",
        "sponsorship",
        "bonus",
    }
    assert "spend_by_campaign" in components["BrandHome"]["properties"]
