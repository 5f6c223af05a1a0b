"""The affiliate API: who may call what (others get 404 or 401), bad input, and the happy paths."""

import pytest

from affiliates.models import Membership, Offer
from tests.affiliates.factories import buy, clicked, join, make_offer


@pytest.fixture
def offer(shop, guide):
    return make_offer(shop, product=guide, rate_bps=1200)


def test_anonymous_gets_nothing(anonymous, offer):
    for url in [
        "/api/v1/affiliates/offers/",
        "/api/v1/affiliates/memberships/",
        "/api/v1/affiliates/seller/offers/",
    ]:
        assert anonymous.get(url).status_code == 401
    assert anonymous.post(f"/api/v1/affiliates/offers/{offer.pk}/join/").status_code == 401


def test_creators_browse_and_filter_the_marketplace(
    api_as, affiliate, offer, shop, django_assert_max_num_queries
):
    client = api_as(affiliate.user)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/affiliates/offers/").json()
    assert [row["id"] for row in body["results"]] == [offer.pk]
    assert body["results"][0]["refund_window_days"] == 30 and body["results"][0]["rate_bps"] == 1200
    assert client.get("/api/v1/affiliates/offers/?currency=KRW").json()["results"] == []
    assert client.get("/api/v1/affiliates/offers/?min_rate_bps=1500").json()["results"] == []
    assert (
        len(client.get("/api/v1/affiliates/offers/?q=glow&category=digital&sort=epc").json()["results"]) == 1
    )
    bad = client.get("/api/v1/affiliates/offers/?min_rate_bps=9000")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_a_plain_user_is_not_an_affiliate(api_as, buyer, offer):
    response = api_as(buyer).post(f"/api/v1/affiliates/offers/{offer.pk}/join/")
    assert response.status_code == 404


def test_join_then_my_links_then_leave(api_as, affiliate, offer, shop, guide, pay):
    client = api_as(affiliate.user)
    joined = client.post(f"/api/v1/affiliates/offers/{offer.pk}/join/")
    assert joined.status_code == 201 and joined.json()["status"] == "active"
    assert joined.json()["link"].endswith(f"/r/{joined.json()['code']}")
    pay(buy(shop, guide, referral=clicked((joined.json()["code"], 60))))
    mine = client.get("/api/v1/affiliates/memberships/").json()
    assert mine["links"][0]["orders"] == 1
    assert mine["commissions"][0]["amount_minor"] == 600 and mine["commissions"][0]["status"] == "earned"
    assert mine["totals"] == {"USD": {"earned": 600}}
    left = client.post(f"/api/v1/affiliates/memberships/{joined.json()['id']}/leave/")
    assert left.json()["status"] == "left"


def test_joining_ones_own_offer_is_refused(api_as, seller, offer):
    response = api_as(seller.user).post(f"/api/v1/affiliates/offers/{offer.pk}/join/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "own_offer"


def test_nobody_leaves_someone_elses_membership(api_as, affiliate, other_creator, offer):
    membership = join(offer, affiliate)
    response = api_as(other_creator.user).post(f"/api/v1/affiliates/memberships/{membership.pk}/leave/")
    assert response.status_code == 404
    assert Membership.objects.get(pk=membership.pk).status == "active"


def test_the_seller_manages_offers(api_as, seller, shop, guide):
    client = api_as(seller.user)
    created = client.post(
        "/api/v1/affiliates/seller/offers/",
        {"product_id": guide.pk, "rate_bps": 1500, "join_mode": "approval"},
    )
    assert created.status_code == 201 and created.json()["window_days"] == 30
    offer_id = created.json()["id"]
    changed = client.patch(
        f"/api/v1/affiliates/seller/offers/{offer_id}/", {"rate_bps": 2000, "status": "paused"}
    )
    assert changed.json()["rate_bps"] == 2000 and changed.json()["status"] == "paused"
    assert [o["id"] for o in client.get("/api/v1/affiliates/seller/offers/").json()["results"]] == [offer_id]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"rate_bps": 50}, "invalid_rate"),
        ({"rate_bps": 8000}, "invalid_rate"),
        ({"rate_bps": 1000, "window_days": 120}, "invalid_window"),
        ({"rate_bps": "ten"}, "invalid"),
    ],
)
def test_bad_offer_terms_are_refused_and_nothing_written(api_as, seller, shop, body, code):
    response = api_as(seller.user).post("/api/v1/affiliates/seller/offers/", body)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert not Offer.objects.exists()


def test_another_seller_cannot_touch_my_offer_or_affiliates(api_as, other_creator, offer, affiliate):
    from tests.shops.factories import make_shop

    make_shop(other_creator, slug="sora-shop")
    membership = join(offer, affiliate)
    client = api_as(other_creator.user)
    assert (
        client.patch(f"/api/v1/affiliates/seller/offers/{offer.pk}/", {"status": "paused"}).status_code == 404
    )
    assert client.post(f"/api/v1/affiliates/seller/memberships/{membership.pk}/remove/").status_code == 404
    assert client.get("/api/v1/affiliates/seller/memberships/").json()["results"] == []
    # a creator without a shop has no seller side at all
    assert api_as(affiliate.user).get("/api/v1/affiliates/seller/offers/").status_code == 404


def test_the_seller_approves_requests_and_sees_commissions_owed(api_as, seller, shop, guide, affiliate, pay):
    offer = make_offer(shop, join_mode="approval")
    membership = join(offer, affiliate)
    client = api_as(seller.user)
    listed = client.get("/api/v1/affiliates/seller/memberships/").json()["results"]
    assert [(m["id"], m["status"]) for m in listed] == [(membership.pk, "requested")]
    approved = client.post(f"/api/v1/affiliates/seller/memberships/{membership.pk}/approve/")
    assert approved.json()["status"] == "active"
    again = client.post(f"/api/v1/affiliates/seller/memberships/{membership.pk}/approve/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "membership_state"
    pay(buy(shop, guide, referral=clicked((membership.code, 60))))
    owed = client.get("/api/v1/affiliates/seller/commissions/").json()["results"]
    assert [(c["affiliate"], c["amount_minor"]) for c in owed] == [("minji", 500)]


def test_commissions_become_available_after_the_refund_window(api_as, affiliate, offer, shop, guide, pay):
    from datetime import timedelta

    from payments.holds import holds_release_due

    membership = join(offer, affiliate)
    order = pay(buy(shop, guide, referral=clicked((membership.code, 60))))
    holds_release_due(now=order.paid_at + timedelta(days=31))
    mine = api_as(affiliate.user).get("/api/v1/affiliates/memberships/").json()
    assert mine["commissions"][0]["status"] == "available" and mine["totals"] == {"USD": {"available": 600}}
    assert mine["commission_currency"] == "USD"
    earned_days = [day for day in mine["commission_days"] if day["amounts_minor"]]
    assert [day["amounts_minor"] for day in earned_days] == [{"available": 600}]


def test_the_marketplace_measures_conversion_and_earnings_per_100_clicks(
    api_as, affiliate, other_creator, offer, shop, guide, pay
):
    from affiliates.clicks import clicks_flush

    membership = join(offer, affiliate)
    for n in range(4):
        api_as(affiliate.user).get(
            f"/r/{membership.code}", HTTP_USER_AGENT="Firefox/1", REMOTE_ADDR=f"10.0.0.{n}"
        )
    clicks_flush()
    pay(buy(shop, guide, referral=clicked((membership.code, 60))))
    row = api_as(other_creator.user).get("/api/v1/affiliates/offers/?sort=conversion").json()["results"][0]
    assert (row["unique_clicks"], row["conversion_bps"], row["epc_minor"]) == (4, 2500, 15000)


def test_list_endpoints_do_not_grow_queries_with_rows(api_as, affiliate, seller, shop, guide, preset, pay):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(client, url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    links = [join(make_offer(shop, product=guide), affiliate)]
    pay(buy(shop, guide, referral=clicked((links[0].code, 60))))
    mine, owner = api_as(affiliate.user), api_as(seller.user)
    urls = ["/api/v1/affiliates/memberships/", "/api/v1/affiliates/seller/commissions/"]
    before = [queries(mine, urls[0]), queries(owner, urls[1])]
    links.append(join(make_offer(shop, product=preset, code_discount_bps=500), affiliate))
    pay(buy(shop, preset, referral=clicked((links[1].code, 60))))
    assert [queries(mine, urls[0]), queries(owner, urls[1])] == before
