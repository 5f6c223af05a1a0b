"""Creator listings: the rate card and its checks, and the measured 90-day figures."""

import pytest

from common.errors import ApplicationError
from marketplace.models import Listing
from marketplace.services.listings import listing_measure, listing_upsert, listings_measure_all
from marketplace.tasks import measure_listings
from tests.conftest import make_creator
from tests.marketplace.factories import make_listing, make_post


def test_a_creator_lists_themself_with_a_rate_card(creator):
    post = make_post(creator, fmt="reel")

    listing = make_listing(
        creator,
        currency="KRW",
        reel=500_000,
        carousel=None,
        audience_countries=["kr", "JP"],
        showcased_post_ids=[post.pk],
    )

    assert listing.is_listed and listing.currency == "KRW"
    assert listing.rate_card["reel"].amount_minor == 500_000 and listing.rate_card["carousel"] is None
    assert listing.audience_countries == ["KR", "JP"]
    assert list(listing.showcased_posts.all()) == [post]
    assert (listing.handle, listing.country) == ("minji", "KR")
    assert "minji" in listing.search_text and "beauty" in listing.search_text


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"currency": "USD", "reel": 49}, "amount_below_minimum"),
        ({"currency": "GBP"}, "unsupported_currency"),
        ({"reel": None, "carousel": None}, "rate_card_empty"),
        ({"niches": ["astrology"]}, "invalid"),
        ({"languages": ["xx"]}, "invalid"),
    ],
)
def test_bad_rate_cards_are_refused_and_nothing_is_written(creator, options, code):
    with pytest.raises(ApplicationError) as error:
        make_listing(creator, **options)
    assert error.value.code == code
    assert not Listing.objects.exists()


def test_only_the_creators_own_posts_can_be_showcased(creator, other_creator):
    theirs = make_post(other_creator)
    with pytest.raises(ApplicationError) as error:
        make_listing(creator, showcased_post_ids=[theirs.pk])
    assert error.value.code == "post_not_yours"


def test_measured_figures_come_from_the_last_90_days_of_posts(creator):
    creator.followers = 25_000
    creator.save(update_fields=["followers"])
    make_post(creator, fmt="reel", views=1000, likes=80, comments=10, shares=10, branded=True)
    make_post(creator, fmt="reel", views=3000, likes=100, comments=0, shares=0)
    make_post(creator, fmt="carousel", views=1000, likes=0, comments=0, shares=0)
    make_post(creator, fmt="standard", views=99_999, likes=9_999, days_ago=120)  # outside the window
    listing = make_listing(creator)

    listing = listing_measure(listing=listing)

    assert (listing.followers, listing.follower_band) == (25_000, "micro")
    assert (listing.avg_views_reel, listing.avg_views_carousel, listing.avg_views_standard) == (
        2000,
        1000,
        None,
    )
    assert listing.engagement_rate_bps == 200 * 10_000 // 5000  # (likes+comments+shares) / views
    assert listing.posts_90d == 3
    assert listing.branded_share_bps == 3333
    assert listing.formats == ["reel", "carousel"]


def test_the_periodic_task_refreshes_every_listing(creator, other_creator):
    make_listing(creator)
    make_listing(other_creator, currency="JPY", reel=20_000, carousel=None)
    make_post(creator, views=500, likes=50, comments=0, shares=0)

    assert measure_listings.delay().get() == 2
    assert Listing.objects.get(creator=creator).engagement_rate_bps == 1000
    assert listings_measure_all() == 2


def test_a_suspended_creator_cannot_be_listed(db):
    suspended = make_creator("gone", country="US")
    suspended.policy_standing = "suspended"
    suspended.save(update_fields=["policy_standing"])
    with pytest.raises(ApplicationError) as error:
        listing_upsert(creator=suspended, currency="USD", rates={"reel": 1000})
    assert error.value.code == "creator_suspended"
