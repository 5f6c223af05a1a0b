"""The seller's discount codes through the API (shops.order_apis)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shops.models import DiscountCode
from shops.services import discount_code_create
from tests.shops.factories import make_product, make_shop

CODES = reverse("api:shops-api:my-discount-codes")


@pytest.fixture
def shop(creator):
    return make_shop(creator, currency="USD")


def test_anonymous_callers_get_401(anonymous, shop):
    assert anonymous.get(CODES).status_code == 401
    assert anonymous.post(CODES, {"code": "X", "kind": "percent", "value": 1000}).status_code == 401


def test_a_buyer_without_a_shop_gets_404(api_as, buyer):
    client = api_as(buyer)

    for response in (client.get(CODES), client.post(CODES, {"code": "X", "kind": "percent", "value": 1000})):
        assert (response.status_code, response.json()["error"]["code"]) == (404, "no_shop")
    assert not DiscountCode.objects.exists()


def test_a_seller_creates_and_lists_their_codes(api_as, creator, shop):
    tote = make_product(shop, title="Tote")
    expires = timezone.now() + timedelta(days=7)
    client = api_as(creator.user)

    response = client.post(
        CODES,
        {
            "code": "spring-10",
            "kind": "fixed",
            "value": 500,
            "minimum_order_minor": 2000,
            "max_uses": 50,
            "expires_at": expires.isoformat(),
            "products": [tote.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["kind"], body["uses"], body["products"]) == (
        "SPRING-10",
        "fixed",
        0,
        [tote.pk],
    )
    assert body["amount_off"]["display"] and body["amount_off"]["amount_minor"] == 500
    assert body["minimum_order"]["amount_minor"] == 2000
    listed = client.get(CODES).json()["results"]
    assert [code["code"] for code in listed] == ["SPRING-10"]


def test_the_code_list_has_a_constant_query_count(api_as, creator, shop, django_assert_num_queries):
    product = make_product(shop)
    client = api_as(creator.user)
    discount_code_create(shop=shop, code="ONE", kind="percent", value=1000, products=[product])
    with CaptureQueriesContext(connection) as one:
        client.get(CODES)
    for index in range(4):
        discount_code_create(shop=shop, code=f"MORE{index}", kind="fixed", value=100, products=[product])

    with django_assert_num_queries(len(one)):
        assert len(client.get(CODES).json()["results"]) == 5


def test_sellers_see_only_their_own_codes(api_as, creator, other_creator, shop):
    discount_code_create(shop=shop, code="MINE", kind="percent", value=1000)
    make_shop(other_creator, currency="USD")

    assert api_as(other_creator.user).get(CODES).json()["results"] == []
    assert [c["code"] for c in api_as(creator.user).get(CODES).json()["results"]] == ["MINE"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "bogo"}, "invalid_kind"),
        ({"value": 50}, "invalid_discount_value"),
        ({"value": 10_001}, "invalid_discount_value"),
        ({"code": "no spaces"}, "invalid_code"),
        ({"code": "taken"}, "code_taken"),
        ({"max_uses": 0}, "invalid_max_uses"),
        ({"minimum_order_minor": -1}, "invalid_minimum"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, "expiry_in_past"),
        ({"products": "foreign"}, "foreign_product"),
        ({"value": "ten"}, "invalid"),
    ],
)
def test_bad_codes_are_refused_and_nothing_is_created(api_as, creator, other_creator, shop, change, code):
    discount_code_create(shop=shop, code="TAKEN", kind="percent", value=1000)
    foreign = make_product(make_shop(other_creator, currency="USD"))
    body = {"code": "NEW", "kind": "percent", "value": 1000, **change}
    if body.get("products") == "foreign":
        body["products"] = [foreign.pk]

    response = api_as(creator.user).post(CODES, body, format="json")

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    assert list(DiscountCode.objects.values_list("code", flat=True)) == ["TAKEN"]
