"""The marketplace API: a whole deal on mobile, and who may call each endpoint (others get 404)."""

import pytest
import stripe

from marketplace.enums import DealStatus
from marketplace.models import Deal
from payments.enums import AccountKind
from payments.models import LedgerAccount, party_for_user
from payments.selectors import ledger_check
from tests.marketplace.factories import due, make_deal, mark_funded
from tests.payments.test_webhooks import Feed

API = "/api/v1/marketplace"


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks) -> Feed:
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


def test_a_whole_deal_through_the_api(api_as, glow, owner, manager, listed, feed):
    brand_api, creator_api = api_as(owner), api_as(listed.user)
    found = brand_api.get(f"{API}/creators/", {"q": "minji"}).json()["results"]
    assert [row["handle"] for row in found] == ["minji"]

    sent = brand_api.post(
        f"{API}/brands/{glow.pk}/offers/",
        {
            "listing_id": found[0]["id"],
            "amount_minor": 60_000,
            "currency": "USD",
            "deliverables": [{"format": "reel", "count": 1, "due_date": due()}],
        },
        format="json",
    )
    assert sent.status_code == 201, sent.content
    negotiation_id = sent.json()["id"]
    countered = creator_api.post(
        f"{API}/negotiations/{negotiation_id}/counter/",
        {"amount_minor": 70_000, "currency": "USD"},
        format="json",
    )
    assert [offer["status"] for offer in countered.json()["offers"]] == ["countered", "open"]
    accepted = api_as(manager).post(f"{API}/negotiations/{negotiation_id}/accept/")
    assert accepted.status_code == 201 and accepted.json()["status"] == DealStatus.AWAITING_FUNDING
    deal_id = accepted.json()["id"]

    started = brand_api.post(f"{API}/deals/{deal_id}/fund/", {"channel": "mobile"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert started.status_code == 201 and started.json()["client_secret"]
    replay = brand_api.post(f"{API}/deals/{deal_id}/fund/", {"channel": "mobile"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.json() == started.json()
    stripe.PaymentIntent.confirm(started.json()["payment_intent_id"], payment_method="pm_card_visa")
    feed()

    detail = creator_api.get(f"{API}/deals/{deal_id}/").json()
    assert detail["status"] == DealStatus.ACTIVE and detail["escrow_remaining"]["amount_minor"] == 70_000
    deliverable_id = detail["deliverables"][0]["id"]
    submitted = creator_api.post(
        f"{API}/deliverables/{deliverable_id}/submit/", {"post_url": "https://social.example/p/x"}
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    approved = brand_api.post(f"{API}/deliverables/{deliverable_id}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    second = brand_api.post(f"{API}/deliverables/{deliverable_id}/approve/")
    assert (second.status_code, second.json()["error"]["code"]) == (409, "already_approved")

    assert Deal.objects.get(pk=deal_id).status == DealStatus.COMPLETED
    pending = LedgerAccount.objects.get(party=party_for_user(listed.user), kind=AccountKind.PENDING)
    assert pending.balance_minor == 63_000
    rated = creator_api.post(f"{API}/deals/{deal_id}/ratings/", {"score": 5, "comment": "Paid fast"})
    assert rated.status_code == 201
    thread = creator_api.get(f"{API}/deals/{deal_id}/messages/").json()
    assert [item["kind"] for item in thread if item["type"] == "event"][:2] == ["created", "funding_started"]
    assert ledger_check() == []


@pytest.fixture
def deal(glow, owner, listed) -> Deal:
    return mark_funded(make_deal(glow, owner, listed, amount_minor=100_000))


def deal_endpoints(deal: Deal) -> list[tuple[str, str, dict]]:
    item = deal.deliverables.first()
    return [
        ("get", f"{API}/deals/{deal.pk}/", {}),
        ("get", f"{API}/deals/{deal.pk}/messages/", {}),
        ("post", f"{API}/deals/{deal.pk}/messages/", {"body": "hi"}),
        ("post", f"{API}/deals/{deal.pk}/fund/", {"channel": "mobile"}),
        ("post", f"{API}/deals/{deal.pk}/cancel/", {}),
        ("post", f"{API}/deals/{deal.pk}/dispute/", {"reason": "no"}),
        ("post", f"{API}/deals/{deal.pk}/ratings/", {"score": 5}),
        ("post", f"{API}/deliverables/{item.pk}/submit/", {"post_url": "https://x.example/p/1"}),
        ("post", f"{API}/deliverables/{item.pk}/approve/", {}),
        ("post", f"{API}/deliverables/{item.pk}/revision/", {"note": "x"}),
        ("get", f"{API}/negotiations/{deal.negotiation_id}/", {}),
        ("post", f"{API}/negotiations/{deal.negotiation_id}/accept/", {}),
        (
            "post",
            f"{API}/negotiations/{deal.negotiation_id}/counter/",
            {"amount_minor": 100, "currency": "USD"},
        ),
        ("post", f"{API}/negotiations/{deal.negotiation_id}/decline/", {}),
        ("get", f"{API}/brands/{deal.brand_id}/", {}),
        ("patch", f"{API}/brands/{deal.brand_id}/", {"name": "x"}),
        ("post", f"{API}/brands/{deal.brand_id}/invitations/", {"email": "a@example.com"}),
        ("get", f"{API}/brands/{deal.brand_id}/lists/", {}),
        ("post", f"{API}/brands/{deal.brand_id}/lists/", {"name": "x"}),
        ("get", f"{API}/brands/{deal.brand_id}/campaigns/", {}),
        ("post", f"{API}/brands/{deal.brand_id}/offers/", {}),
        ("get", f"{API}/brands/{deal.brand_id}/dashboard/", {}),
    ]


def test_outsiders_get_404_on_every_deal_brand_and_negotiation_endpoint(
    deal, api_as, outsider, other_creator
):
    for user in (outsider, other_creator.user):
        client = api_as(user)
        for method, url, body in deal_endpoints(deal):
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, (user, method, url, response.content)
            assert response.json()["error"]["code"] == "not_found"


def test_anonymous_callers_get_401_everywhere(deal, anonymous):
    for method, url, body in deal_endpoints(deal):
        assert getattr(anonymous, method)(url, body, format="json").status_code == 401, url


def test_participants_see_the_deal_and_its_lists(deal, api_as, owner, manager, listed):
    for user in (owner, manager, listed.user):
        response = api_as(user).get(f"{API}/deals/{deal.pk}/")
        assert response.status_code == 200 and response.json()["id"] == deal.pk
        assert [row["id"] for row in api_as(user).get(f"{API}/deals/").json()["results"]] == [deal.pk]


def test_role_errors_say_so(deal, api_as, manager, listed):
    response = api_as(manager).post(f"{API}/deals/{deal.pk}/cancel/")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "role_required")
    response = api_as(listed.user).post(f"{API}/deliverables/{deal.deliverables.first().pk}/approve/")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "brand_only")


def test_brand_and_listing_endpoints(api_as, owner, creator, outsider):
    created = api_as(owner).post(f"{API}/brands/", {"name": "Acme", "country": "us"})
    assert created.status_code == 201 and created.json()["country"] == "US"
    assert [b["name"] for b in api_as(owner).get(f"{API}/brands/").json()] == ["Acme"]
    assert api_as(outsider).get(f"{API}/brands/").json() == []

    listing = api_as(creator.user).put(
        f"{API}/listing/",
        {"currency": "KRW", "rates": {"reel": 300_000}, "niches": ["beauty"]},
        format="json",
    )
    assert listing.status_code == 200 and listing.json()["rate_card"]["reel"]["amount_minor"] == 300_000
    bad = api_as(creator.user).put(
        f"{API}/listing/", {"currency": "KRW", "rates": {"reel": 10}}, format="json"
    )
    assert bad.json()["error"]["code"] == "amount_below_minimum"
    assert api_as(outsider).get(f"{API}/listing/").json()["error"]["code"] == "not_a_creator"
    detail = api_as(outsider).get(f"{API}/creators/{listing.json()['id']}/")
    assert detail.status_code == 200 and detail.json()["handle"] == "minji"


def test_campaign_endpoints(api_as, glow, owner, listed, outsider):
    body = {
        "title": "Glow",
        "description": "Reels",
        "deliverables": [{"format": "reel", "count": 1, "due_date": due()}],
        "currency": "USD",
        "budget_min_minor": 10_000,
        "budget_max_minor": 90_000,
    }
    created = api_as(owner).post(f"{API}/brands/{glow.pk}/campaigns/", body, format="json")
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    assert [c["id"] for c in api_as(listed.user).get(f"{API}/campaigns/").json()["results"]] == [campaign_id]
    applied = api_as(listed.user).post(
        f"{API}/campaigns/{campaign_id}/apply/", {"amount_minor": 50_000, "currency": "USD", "pitch": "Hi"}
    )
    assert applied.status_code == 201 and applied.json()["origin"] == "application"
    private = api_as(owner).post(
        f"{API}/brands/{glow.pk}/campaigns/", {**body, "visibility": "invite_only"}, format="json"
    )
    assert api_as(outsider).get(f"{API}/campaigns/{private.json()['id']}/").status_code == 404
    dashboard = api_as(listed.user).get(f"{API}/dashboard/").json()
    assert dashboard["negotiations"][0]["origin"] == "application"


def test_list_endpoints_use_a_constant_number_of_queries(
    api_as, glow, owner, listed, other_creator, django_assert_max_num_queries
):
    from tests.marketplace.factories import make_listing

    make_listing(other_creator, currency="JPY", reel=20_000, carousel=None)
    make_deal(glow, owner, listed)
    make_deal(glow, owner, other_creator, amount_minor=50_000, currency="JPY")
    client = api_as(owner)
    for url in (f"{API}/deals/", f"{API}/negotiations/"):
        with django_assert_max_num_queries(5):  # user, count or page, prefetch
            response = client.get(url)
        assert len(response.json()["results"]) == 2, url


def test_the_marketplace_api_is_in_the_openapi_schema_without_errors(db, capsys):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("spectacular", stdout=out)
    assert f"{API}/creators/" in out.getvalue() and f"{API}/deals/{{deal_id}}/fund/" in out.getvalue()
    err = capsys.readouterr().err  # drf-spectacular reports errors on stderr
    assert "marketplace/" not in err
