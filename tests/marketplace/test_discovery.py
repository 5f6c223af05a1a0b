"""Discovery: search, filters, sorts, the API with its query count, saved lists, price percentiles."""

import pytest

from common.errors import ApplicationError
from common.money import Money
from marketplace.models import Deal, Listing
from marketplace.selectors import SearchFilters, listing_search, price_percentiles
from marketplace.services.negotiations import saved_list_add, saved_list_create
from tests.conftest import make_creator
from tests.marketplace.factories import make_deal, make_listing

URL = "/api/v1/marketplace/creators/"


def listed_creator(
    handle: str, *, country: str = "US", followers: int = 1000, er: int = 100, **options
) -> Listing:
    creator = make_creator(handle, country=country)
    creator.followers = followers
    creator.save(update_fields=["followers"])
    listing = make_listing(creator, **options)
    Listing.objects.filter(pk=listing.pk).update(engagement_rate_bps=er)
    return Listing.objects.get(pk=listing.pk)


@pytest.fixture
def catalogue(db) -> dict[str, Listing]:
    return {
        "ana": listed_creator(
            "ana.makeup", followers=50_000, er=450, niches=["beauty"], languages=["en", "es"], reel=80_000
        ),
        "bo": listed_creator(
            "bo.eats",
            country="JP",
            followers=200_000,
            er=150,
            niches=["food"],
            languages=["ja"],
            currency="JPY",
            reel=30_000,
            carousel=None,
        ),
        "cy": listed_creator(
            "cy.glow", followers=5_000, er=900, niches=["beauty", "fashion"], reel=None, carousel=20_000
        ),
        "hidden": listed_creator("hidden", followers=900_000, niches=["beauty"], is_listed=False),
    }


def handles(filters: SearchFilters) -> list[str]:
    return [listing.handle for listing in listing_search(filters=filters)]


def test_only_listed_creators_are_found_sorted_by_followers(catalogue):
    assert handles(SearchFilters()) == ["bo.eats", "ana.makeup", "cy.glow"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(country="jp"), ["bo.eats"]),
        (SearchFilters(niche="beauty"), ["ana.makeup", "cy.glow"]),
        (SearchFilters(language="es"), ["ana.makeup"]),
        (SearchFilters(format="carousel"), ["ana.makeup", "cy.glow"]),
        (SearchFilters(band="micro"), ["ana.makeup"]),
        (SearchFilters(min_engagement_bps=400), ["ana.makeup", "cy.glow"]),
        (SearchFilters(price_max_minor=25_000, currency="USD"), ["cy.glow"]),
        (SearchFilters(price_min_minor=50_000, format="reel", currency="USD"), ["ana.makeup"]),
        (SearchFilters(q="GLOW"), ["cy.glow"]),
        (SearchFilters(q="fashion"), ["cy.glow"]),
        (SearchFilters(niche="beauty", country="US", sort="engagement"), ["cy.glow", "ana.makeup"]),
    ],
)
def test_each_filter_narrows_the_results(catalogue, filters, expected):
    assert handles(filters) == expected


def test_relevance_puts_a_handle_match_first(catalogue):
    listed_creator("makeup.daily", followers=999_999, niches=["beauty"])
    listed_creator("zed", followers=10, niches=["beauty"], languages=["en"])
    Listing.objects.filter(handle="zed").update(search_text="zed makeup lover")

    assert handles(SearchFilters(q="makeup"))[:2] == ["makeup.daily", "ana.makeup"]
    assert handles(SearchFilters(q="makeup", sort="engagement"))[0] == "ana.makeup"


def test_a_price_range_needs_a_currency(catalogue):
    with pytest.raises(ApplicationError) as error:
        listing_search(filters=SearchFilters(price_max_minor=100))
    assert error.value.code == "currency_required"


def test_the_api_searches_in_a_constant_number_of_queries(
    catalogue, api_as, owner, django_assert_max_num_queries
):
    client = api_as(owner)
    with django_assert_max_num_queries(3):  # the user (JWT), the search
        response = client.get(URL, {"niche": "beauty", "country": "US", "format": "reel", "q": "ana"})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["handle"] for row in rows] == ["ana.makeup"]
    assert rows[0]["rates"] == {"reel": 80_000, "carousel": 30_000, "standard": None, "currency": "USD"}
    assert response.json()["next_offset"] is None


def test_the_api_pages_by_offset(catalogue, api_as, owner):
    page = api_as(owner).get(URL, {"page_size": 2}).json()
    assert [row["handle"] for row in page["results"]] == ["bo.eats", "ana.makeup"] and page[
        "next_offset"
    ] == 2
    page = api_as(owner).get(URL, {"page_size": 2, "offset": 2}).json()
    assert [row["handle"] for row in page["results"]] == ["cy.glow"] and page["next_offset"] is None


def test_bad_search_input_gets_a_clear_error(catalogue, api_as, owner):
    response = api_as(owner).get(URL, {"format": "story"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    response = api_as(owner).get(URL, {"price_max_minor": 10})
    assert response.json()["error"]["code"] == "currency_required"


def test_anonymous_visitors_cannot_search(anonymous, catalogue):
    assert anonymous.get(URL).status_code == 401


def test_brands_save_creators_to_lists(glow, manager, catalogue):
    saved = saved_list_create(brand=glow, user=manager, name="Summer")
    saved_list_add(saved_list=saved, user=manager, listing=catalogue["ana"])
    saved_list_add(saved_list=saved, user=manager, listing=catalogue["ana"])  # idempotent

    assert [entry.listing.handle for entry in saved.entries.all()] == ["ana.makeup"]


def test_price_percentiles_need_five_deals(glow, owner):
    creators = [make_creator(f"kr{i}", country="KR") for i in range(5)]
    for index, creator in enumerate(creators[:4]):
        make_deal(
            glow, owner, creator, amount_minor=(index + 1) * 20_000
        )  # 2 reels each: 10k, 20k, 30k, 40k per reel
    assert price_percentiles(format="reel", band="nano", country="KR", currency="USD") is None

    make_deal(glow, owner, creators[4], amount_minor=100_000)  # 50k per reel
    stats = price_percentiles(format="reel", band="nano", country="KR", currency="USD")

    assert stats["deals"] == 5
    assert (stats["p25"], stats["p50"], stats["p75"]) == (
        Money(20_000, "USD"),
        Money(30_000, "USD"),
        Money(40_000, "USD"),
    )
    assert price_percentiles(format="reel", band="nano", country="JP", currency="USD") is None
    assert Deal.objects.count() == 5


def test_the_price_stats_api_hides_thin_data(api_as, owner, db):
    response = api_as(owner).get(
        "/api/v1/marketplace/price-stats/",
        {"format": "reel", "band": "nano", "country": "KR", "currency": "USD"},
    )
    assert response.status_code == 200 and response.json() == {
        "available": False,
        "reason": "fewer than 5 deals",
    }


def test_search_results_are_cached_but_an_unlisting_shows_at_once(
    catalogue, api_as, owner, django_capture_on_commit_callbacks
):
    client = api_as(owner)
    assert [row["handle"] for row in client.get(URL, {"niche": "beauty"}).json()["results"]] == [
        "ana.makeup",
        "cy.glow",
    ]
    Listing.objects.filter(handle="cy.glow").update(followers=10**9)  # behind the services' back
    assert client.get(URL, {"niche": "beauty"}).json()["results"][0]["handle"] == "ana.makeup"  # cached

    with django_capture_on_commit_callbacks(execute=True):
        make_listing(catalogue["ana"].creator, is_listed=False)

    assert [row["handle"] for row in client.get(URL, {"niche": "beauty"}).json()["results"]] == ["cy.glow"]


def test_the_search_cache_can_be_switched_off(catalogue, api_as, owner, settings):
    settings.MARKETPLACE_SEARCH_CACHE_SECONDS = 0
    client = api_as(owner)
    client.get(URL, {"niche": "beauty"})
    Listing.objects.filter(handle="cy.glow").update(followers=10**9)
    assert client.get(URL, {"niche": "beauty"}).json()["results"][0]["handle"] == "cy.glow"
