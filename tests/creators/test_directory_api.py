from django.urls import reverse
from django.utils import timezone

from creators.models import Post
from creators.services import creator_suspend
from tests.conftest import make_creator

LIST = reverse("api:creators-api:creator-list")


def handles(response):
    return [c["handle"] for c in response.json()["results"]]


def test_directory_filters_by_country_niche_and_format(anonymous, creator, other_creator):
    Post.objects.create(
        creator=other_creator, external_id="x1", format="carousel", published_at=timezone.now()
    )
    assert handles(anonymous.get(LIST, {"country": "jp"})) == ["sora"]
    assert handles(anonymous.get(LIST, {"niche": "beauty"})) == ["minji"]
    assert handles(anonymous.get(LIST, {"format": "carousel"})) == ["sora"]
    assert handles(anonymous.get(LIST, {"format": "reel"})) == []


def test_niche_filter_matches_whole_values_only(anonymous, db):
    make_creator("artsy", niches=["art"])
    make_creator("partygoer", niches=["lifestyle"])
    assert handles(anonymous.get(LIST, {"niche": "art"})) == ["artsy"]


def test_directory_orders_by_followers_and_paginates(anonymous, db):
    for i in range(5):
        profile = make_creator(f"creator{i}")
        profile.followers = 100 * i
        profile.save(update_fields=["followers"])
    first = anonymous.get(LIST, {"page_size": 2}).json()
    assert [c["handle"] for c in first["results"]] == ["creator4", "creator3"]
    second = anonymous.get(first["next"]).json()
    assert [c["handle"] for c in second["results"]] == ["creator2", "creator1"]


def test_directory_shows_public_fields_only(anonymous, creator):
    item = anonymous.get(LIST).json()["results"][0]
    assert set(item) == {
        "handle",
        "display_name",
        "bio",
        "avatar_url",
        "country",
        "niches",
        "languages",
        "account_type",
        "followers",
    }


def test_suspended_creators_are_hidden(anonymous, creator, other_creator, staff):
    creator_suspend(creator=creator, actor=staff, reason="fraud")
    assert handles(anonymous.get(LIST)) == ["sora"]
    response = anonymous.get(reverse("api:creators-api:creator-detail", kwargs={"handle": "minji"}))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_detail_by_handle(anonymous, creator):
    response = anonymous.get(reverse("api:creators-api:creator-detail", kwargs={"handle": "MinJi"}))
    assert response.status_code == 200 and response.json()["handle"] == "minji"


def test_bad_filters_get_field_errors(anonymous, db):
    body = anonymous.get(LIST, {"format": "story", "country": "JPN"}).json()["error"]
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"format", "country"}


def test_directory_query_count_does_not_grow_with_the_page(anonymous, db, django_assert_num_queries):
    for i in range(30):
        make_creator(f"many{i}")
    with django_assert_num_queries(1):
        assert len(anonymous.get(LIST, {"page_size": 25}).json()["results"]) == 25


def test_fast_path_output_matches_the_documented_serializer(anonymous, creator):
    from creators.apis import CreatorPublicSerializer

    item = anonymous.get(LIST).json()["results"][0]
    assert item == dict(CreatorPublicSerializer(creator).data)


def test_pages_are_cached_briefly_and_a_suspension_shows_at_once(
    anonymous, creator, other_creator, staff, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert handles(anonymous.get(LIST)) == ["minji", "sora"]
    with django_assert_num_queries(0):
        response = anonymous.get(LIST)
    assert handles(response) == ["minji", "sora"]
    assert "max-age=30" in response["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):
        creator_suspend(creator=creator, actor=staff, reason="fraud")
    assert handles(anonymous.get(LIST)) == ["sora"]


def test_a_cached_page_is_keyed_by_its_filters(anonymous, creator, other_creator):
    assert handles(anonymous.get(LIST, {"country": "KR"})) == ["minji"]
    assert handles(anonymous.get(LIST, {"country": "JP"})) == ["sora"]


def test_with_the_cache_off_every_request_reads_the_database(
    anonymous, creator, settings, django_assert_num_queries
):
    settings.DIRECTORY_CACHE_SECONDS = 0
    anonymous.get(LIST)
    with django_assert_num_queries(1):
        anonymous.get(LIST)
