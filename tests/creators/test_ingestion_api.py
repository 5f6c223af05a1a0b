from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from creators.models import CreatorProfile, FollowerSnapshot, MetricSnapshot, Post
from creators.services import service_token_revoke

URL = reverse("api:creators-api:ingest-posts")
FOLLOWERS_URL = reverse("api:creators-api:ingest-followers")
T0 = timezone.now().replace(microsecond=0) - timedelta(days=2)


def row(external_id="p1", creator="minji", observed=T0 + timedelta(hours=5), **overrides):
    data = {
        "external_id": external_id,
        "creator": creator,
        "format": "reel",
        "published_at": T0.isoformat(),
        "observed_at": observed.isoformat(),
        "caption": "hello",
        "views": 1000,
        "likes": 100,
        "comments": 10,
        "shares": 5,
    }
    data.update(overrides)
    return data


def ingest(client, *rows):
    return client.post(URL, {"posts": list(rows)}, format="json")


def test_new_posts_are_created_with_their_counters(ingest_client, creator):
    response = ingest(ingest_client, row("p1"), row("p2", format="carousel", views=50, likes=5))
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 0)
    assert [r["status"] for r in body["rows"]] == ["created", "created"]
    assert body["rows"][0]["stored"]["views"] == 1000
    post = Post.objects.get(external_id="p2")
    assert (post.creator, post.format, post.views, post.likes) == (creator, "carousel", 50, 5)
    assert MetricSnapshot.objects.count() == 2


def test_counters_only_go_up_even_when_an_older_snapshot_arrives_late(ingest_client, creator):
    ingest(ingest_client, row(observed=T0 + timedelta(hours=10), views=5000, likes=300, caption="newest"))
    response = ingest(
        ingest_client, row(observed=T0 + timedelta(hours=1), views=800, likes=400, caption="old")
    )
    assert response.json()["rows"][0]["status"] == "updated"
    post = Post.objects.get(external_id="p1")
    # Each counter keeps its maximum; the caption follows the newest observation only.
    assert (post.views, post.likes, post.caption) == (5000, 400, "newest")
    assert response.json()["rows"][0]["stored"]["views"] == 5000
    assert post.snapshots.count() == 2


def test_the_same_snapshot_twice_is_stored_once(ingest_client, creator):
    ingest(ingest_client, row())
    ingest(ingest_client, row())
    assert MetricSnapshot.objects.count() == 1
    assert Post.objects.get().views == 1000


def test_deleted_flag_follows_the_newest_observation(ingest_client, creator):
    ingest(ingest_client, row(observed=T0 + timedelta(hours=3), is_deleted=True))
    ingest(ingest_client, row(observed=T0 + timedelta(hours=2), is_deleted=False))
    assert Post.objects.get().is_deleted is True


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"format": "story"}, "unknown_format"),
        ({"views": -1}, "negative_counter"),
        ({"likes": "12"}, "invalid_counter"),
        ({"likes": 1.5}, "invalid_counter"),
        ({"views": True}, "invalid_counter"),
        ({"creator": "nobody"}, "unknown_creator"),
        ({"published_at": "yesterday"}, "invalid_datetime"),
        ({"published_at": "2026-01-01T10:00:00"}, "invalid_datetime"),
        ({"observed_at": (timezone.now() + timedelta(days=1)).isoformat()}, "observed_in_future"),
        ({"observed_at": (T0 - timedelta(hours=1)).isoformat()}, "observed_before_published"),
        ({"invalid_views": 2000}, "invalid_views_exceed_views"),
        ({"is_branded": "yes"}, "invalid_boolean"),
        ({"viewz": 3}, "unknown_field"),
        ({"external_id": ""}, "missing_field"),
        ({"external_id": "x" * 65}, "invalid_field"),
    ],
)
def test_bad_rows_are_rejected_with_a_code_and_good_rows_still_land(ingest_client, creator, overrides, code):
    response = ingest(ingest_client, row("good"), {**row("bad"), **overrides})
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    bad = body["rows"][1]
    assert bad["status"] == "rejected"
    assert code in [e["code"] for e in bad["errors"]]
    assert set(Post.objects.values_list("external_id", flat=True)) == {"good"}
    assert MetricSnapshot.objects.count() == 1


def test_missing_counter_is_rejected(ingest_client, creator):
    bad = row()
    del bad["views"]
    result = ingest(ingest_client, bad).json()["rows"][0]
    assert result["errors"][0]["code"] == "missing_field"
    assert not Post.objects.exists()


def test_a_row_that_is_not_an_object_is_rejected(ingest_client, creator):
    result = ingest(ingest_client, "p1").json()["rows"][0]
    assert result["errors"][0]["code"] == "row_not_object"


def test_duplicate_in_batch_keeps_the_first(ingest_client, creator):
    body = ingest(ingest_client, row(views=10), row(views=99)).json()
    assert [r["status"] for r in body["rows"]] == ["created", "rejected"]
    assert body["rows"][1]["errors"][0]["code"] == "duplicate_in_batch"
    assert Post.objects.get().views == 10


def test_a_post_cannot_move_to_another_creator_or_format(ingest_client, creator, other_creator):
    ingest(ingest_client, row())
    for change in (
        {"creator": "sora"},
        {"format": "carousel"},
        {"published_at": (T0 - timedelta(hours=1)).isoformat()},
    ):
        result = ingest(ingest_client, row(**{**change, "views": 5})).json()["rows"][0]
        assert result["errors"][0]["code"] == "immutable_field_changed", change
    post = Post.objects.get()
    assert (post.creator, post.format, post.views) == (creator, "reel", 1000)
    assert post.snapshots.count() == 1  # the refused rows left no snapshot behind


def test_handles_are_case_insensitive(ingest_client, creator):
    assert ingest(ingest_client, row(creator="MinJi")).json()["accepted"] == 1


def test_oversize_batch_is_refused_whole(ingest_client, creator, settings):
    settings.INGEST_MAX_BATCH = 3
    response = ingest(ingest_client, *[row(f"p{i}") for i in range(4)])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"posts": []}, "empty_batch"),
        ({"rows": []}, "malformed_batch"),
        ({"posts": {"a": 1}}, "malformed_batch"),
        ([], "malformed_batch"),
    ],
)
def test_malformed_batches(ingest_client, creator, body, code):
    response = ingest_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_wrong_missing_and_revoked_tokens_are_refused(creator, service_token, staff):
    assert ingest(APIClient(), row()).status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token svc_not-a-real-token")
    response = ingest(wrong, row())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    from creators.models import ServiceToken

    service_token_revoke(token=ServiceToken.objects.get())
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Token {service_token}")
    assert ingest(revoked, row()).status_code == 401
    assert not Post.objects.exists()


def test_a_person_cannot_ingest_even_staff(staff, creator, api_as):
    response = api_as(staff).post(URL, {"posts": [row()]}, format="json")
    assert response.status_code in (401, 403)
    assert not Post.objects.exists()


def test_a_database_failure_leaves_nothing_of_the_batch(ingest_client, creator, monkeypatch):
    from creators import ingestion

    original = ingestion._snapshot_insert_sql
    monkeypatch.setattr(
        ingestion, "_snapshot_insert_sql", lambda n: original(n).replace("INSERT INTO", "INSERT INTOO")
    )
    with pytest.raises(Exception):  # noqa: B017  the database's own syntax error, whatever its class
        ingest(ingest_client, row("p1"), row("p2"))
    assert not Post.objects.exists()


def test_follower_counts_newest_observation_wins(ingest_client, creator):
    newer, older = T0 + timedelta(days=1), T0
    body = ingest_client.post(
        FOLLOWERS_URL,
        {
            "followers": [
                {"creator": "minji", "followers": 900, "observed_at": newer.isoformat()},
                {"creator": "minji", "followers": 1200, "observed_at": older.isoformat()},
                {"creator": "ghost", "followers": 5, "observed_at": older.isoformat()},
                {"creator": "minji", "followers": -5, "observed_at": older.isoformat()},
            ]
        },
        format="json",
    ).json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert body["rows"][0]["stored"] == {"followers": 900}
    creator.refresh_from_db()
    # Followers can go down: the newest observation is the truth, not the largest.
    assert creator.followers == 900
    assert FollowerSnapshot.objects.count() == 2
    later = ingest_client.post(
        FOLLOWERS_URL,
        {
            "followers": [
                {
                    "creator": "minji",
                    "followers": 850,
                    "observed_at": (newer + timedelta(hours=1)).isoformat(),
                }
            ]
        },
        format="json",
    )
    assert later.json()["rows"][0]["stored"] == {"followers": 850}
    assert CreatorProfile.objects.get(pk=creator.pk).followers == 850


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_the_same_posts_in_opposite_orders_both_land(postgres_only, creator):
    # Two scrapers sending the same posts in different orders used to lock them in different
    # orders and deadlock (one batch failed with a 500); rows are now upserted in one order.
    from creators.ingestion import posts_ingest
    from tests.payments.factories import run_threads

    ids = [f"race{n:04d}" for n in range(1000)]
    for minute in range(3):  # a few rounds: a deadlock needs the two batches to interleave
        observed = T0 + timedelta(hours=6, minutes=minute)
        forward = [row(external_id, observed=observed) for external_id in ids]
        batches = [forward, forward[::-1]]
        results = run_threads(2, lambda index, batches=batches: posts_ingest(rows=batches[index]))
        assert not [r for r in results if isinstance(r, Exception)], results
    assert Post.objects.filter(external_id__startswith="race").count() == 1000
