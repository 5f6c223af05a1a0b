"""The web pages: dashboard, marketplace, joining, the seller programme; permissions and CSRF."""

import pytest
from django.test import Client

from affiliates.models import Commission, Membership, Offer
from tests.affiliates.factories import buy, clicked, join, make_offer
from tests.conftest import PASSWORD


def logged_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


@pytest.fixture
def offer(shop, guide):
    return make_offer(shop, product=guide, rate_bps=1000)


def test_pages_need_a_login(client, offer):
    for url in ["/dashboard/affiliates/", "/dashboard/affiliates/offers/", "/dashboard/affiliates/seller/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_a_plain_user_has_no_affiliate_pages(buyer):
    assert logged_in(buyer).get("/dashboard/affiliates/").status_code == 404


def test_the_creator_joins_from_the_marketplace_and_sees_the_link(affiliate, offer):
    client = logged_in(affiliate.user)
    page = client.get("/dashboard/affiliates/offers/?q=glow")
    assert "Glow guide" in page.content.decode() and "30 days" in page.content.decode()
    response = client.post(f"/dashboard/affiliates/offers/{offer.pk}/join/")
    assert response.status_code == 302
    membership = Membership.objects.get(affiliate=affiliate)
    dashboard = client.get("/dashboard/affiliates/").content.decode()
    assert f"/r/{membership.code}" in dashboard and "<svg" in dashboard


def test_the_dashboard_shows_clicks_orders_and_a_held_commission(affiliate, offer, shop, guide, pay):
    membership = join(offer, affiliate)
    client = logged_in(affiliate.user)
    client.get(f"/r/{membership.code}", HTTP_USER_AGENT="Mozilla/5.0 Firefox/120")
    from affiliates.clicks import clicks_flush

    clicks_flush()
    order = pay(buy(shop, guide, referral=clicked((membership.code, 60))))
    Commission.objects.filter(order=order).update(
        status="on_hold", review_reason="conversion far above the norm"
    )
    page = client.get("/dashboard/affiliates/").content.decode()
    assert "1 / 1" in page  # raw / unique clicks
    assert "On hold: under review" in page and "conversion far above the norm" in page


def test_the_dashboard_charts_commissions_by_day_and_status(affiliate, offer, shop, guide, pay):
    from django.utils import timezone

    membership = join(offer, affiliate)
    client = logged_in(affiliate.user)
    assert "No commissions yet" in client.get("/dashboard/affiliates/").content.decode()
    pay(buy(shop, guide, referral=clicked((membership.code, 60))))  # 10% of $50.00: $5.00 earned
    held = pay(buy(shop, guide, referral=clicked((membership.code, 30)), email="b@example.com"))
    Commission.objects.filter(order=held).update(status="on_hold", review_reason="review")
    page = client.get("/dashboard/affiliates/").content.decode()
    today = timezone.localdate().isoformat()
    assert "Commissions by day (USD)" in page
    assert f"{today}: pending $5.00" in page and f"{today}: on hold $5.00" in page


def test_the_seller_creates_an_offer_and_decides_requests(seller, shop, guide, affiliate):
    client = logged_in(seller.user)
    response = client.post(
        "/dashboard/affiliates/seller/",
        {
            "product": "",
            "rate_percent": "12.5",
            "window_days": "14",
            "join_mode": "approval",
            "code_discount_percent": "0",
        },
    )
    assert response.status_code == 302
    offer = Offer.objects.get(shop=shop)
    assert (offer.rate_bps, offer.window_days, offer.product) == (1250, 14, None)
    membership = join(offer, affiliate)
    client.post(f"/dashboard/affiliates/seller/memberships/{membership.pk}/approve/")
    assert Membership.objects.get(pk=membership.pk).status == "active"
    bad = client.post(
        "/dashboard/affiliates/seller/", {"rate_percent": "80", "window_days": "14", "join_mode": "open"}
    )
    assert bad.status_code == 400 and Offer.objects.count() == 1


def test_another_seller_cannot_decide_my_requests(other_creator, offer, affiliate):
    from tests.shops.factories import make_shop

    make_shop(other_creator, slug="sora-shop")
    membership = join(make_offer(offer.shop, join_mode="approval"), affiliate)
    response = logged_in(other_creator.user).post(
        f"/dashboard/affiliates/seller/memberships/{membership.pk}/approve/"
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).status == "requested"


def test_forms_need_csrf(affiliate, offer):
    client = Client(enforce_csrf_checks=True)
    client.login(email=affiliate.user.email, password=PASSWORD)
    assert client.post(f"/dashboard/affiliates/offers/{offer.pk}/join/").status_code == 403


def test_the_seller_edits_an_offer_and_nobody_else_can(seller, other_creator, offer):
    client = logged_in(seller.user)
    assert "Glow guide" in client.get(f"/dashboard/affiliates/seller/offers/{offer.pk}/").content.decode()
    response = client.post(
        f"/dashboard/affiliates/seller/offers/{offer.pk}/",
        {"rate_percent": "20", "window_days": "60", "join_mode": "approval", "code_discount_percent": "5"},
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.rate_bps, offer.window_days, offer.join_mode, offer.code_discount_bps) == (
        2000,
        60,
        "approval",
        500,
    )
    from tests.shops.factories import make_shop

    make_shop(other_creator, slug="sora-shop")
    assert (
        logged_in(other_creator.user).get(f"/dashboard/affiliates/seller/offers/{offer.pk}/").status_code
        == 404
    )


def test_the_chart_draws_one_bar_pair_per_day():
    from datetime import date

    from affiliates.charts import clicks_chart_svg

    svg = clicks_chart_svg([(date(2026, 1, 1), 4, 2), (date(2026, 1, 2), 0, 0)], title="Clicks <by> day")
    assert svg.count('class="raw"') == 2 and svg.count('class="unique"') == 2
    assert "2026-01-01: 4 / 2" in svg and "Clicks &lt;by&gt; day" in svg
