"""The notifications API: my list with the unread count, mark read, mark all, email preferences."""

from django.urls import reverse

from notifications.enums import NotificationType
from notifications.models import Notification

LIST = reverse("api:notifications-api:list")
READ_ALL = reverse("api:notifications-api:read-all")
PREFERENCES = reverse("api:notifications-api:preferences")


def read_url(notification_id: int) -> str:
    return reverse("api:notifications-api:read", args=[notification_id])


def test_the_list_is_mine_newest_first_with_the_unread_count(api_as, notified, creator, other_creator):
    notified(creator.user, n=3)
    notified(other_creator.user, n=2)

    response = api_as(creator.user).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["unread_count"] == 3
    assert [n["params"]["number"] for n in body["results"]] == ["N2", "N1", "N0"]
    first = body["results"][0]
    assert first["type"] == "new_order" and first["type_label"] == "New orders in my shop"
    assert first["title"] == "New order N2: $25.00"
    assert first["url"] == "http://testserver/dashboard/shop/"
    assert (first["is_read"], first["read_at"]) == (False, None)


def test_the_list_filters_unread_and_paginates(api_as, notified, creator):
    notifications = notified(creator.user, n=25)
    Notification.objects.filter(pk__in=[n.pk for n in notifications[:5]]).update(
        read_at="2026-01-01T00:00:00Z"
    )
    client = api_as(creator.user)

    unread = client.get(LIST, {"unread": "true", "page_size": 100}).json()
    first_page = client.get(LIST).json()
    second_page = client.get(first_page["next"]).json()

    assert len(unread["results"]) == 20 and unread["unread_count"] == 20
    assert len(first_page["results"]) == 20 and len(second_page["results"]) == 5
    assert {n["id"] for n in first_page["results"]}.isdisjoint({n["id"] for n in second_page["results"]})


def test_the_list_costs_a_fixed_number_of_queries(api_as, notified, creator, django_assert_num_queries):
    notified(creator.user, n=20)
    client = api_as(creator.user)
    # The JWT's user, the page, the unread count: however many notifications.
    with django_assert_num_queries(3):
        assert len(client.get(LIST).json()["results"]) == 20


def test_a_bad_filter_is_a_clear_error(api_as, creator):
    response = api_as(creator.user).get(LIST, {"unread": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "unread" in response.json()["error"]["fields"]


def test_anonymous_callers_are_refused(anonymous):
    for response in (anonymous.get(LIST), anonymous.post(READ_ALL), anonymous.get(PREFERENCES)):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_marking_mine_read(api_as, notified, creator):
    [notification] = notified(creator.user)

    response = api_as(creator.user).post(read_url(notification.pk))

    assert response.status_code == 200
    assert response.json()["is_read"] is True and response.json()["read_at"]
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_404(api_as, notified, creator, other_creator):
    [theirs] = notified(other_creator.user)

    response = api_as(creator.user).post(read_url(theirs.pk))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_as(creator.user).post(read_url(999_999)).status_code == 404


def test_read_all_marks_only_mine(api_as, notified, creator, other_creator):
    notified(creator.user, n=3)
    notified(other_creator.user, n=2)

    response = api_as(creator.user).post(READ_ALL)

    assert response.json() == {"marked": 3, "unread_count": 0}
    assert Notification.objects.filter(recipient=other_creator.user, read_at__isnull=True).count() == 2
    assert api_as(creator.user).post(READ_ALL).json() == {"marked": 0, "unread_count": 0}


def test_preferences_list_every_type_with_email_on_by_default(api_as, creator):
    body = api_as(creator.user).get(PREFERENCES).json()
    assert [p["type"] for p in body["preferences"]] == list(NotificationType.values)
    assert all(p["email"] is True for p in body["preferences"])
    assert {"type": "payout_failed", "label": "Failed payouts", "email": True} in body["preferences"]


def test_put_preferences_changes_the_types_given(api_as, creator, other_creator):
    client = api_as(creator.user)

    response = client.put(
        PREFERENCES, {"preferences": [{"type": "deal_message", "email": False}]}, format="json"
    )

    assert response.status_code == 200
    settings = {p["type"]: p["email"] for p in response.json()["preferences"]}
    assert settings["deal_message"] is False and settings["deal_update"] is True
    assert {p["type"]: p["email"] for p in client.get(PREFERENCES).json()["preferences"]} == settings
    others = api_as(other_creator.user).get(PREFERENCES).json()["preferences"]
    assert all(p["email"] for p in others)


def test_put_preferences_refuses_an_unknown_type(api_as, creator):
    response = api_as(creator.user).put(
        PREFERENCES, {"preferences": [{"type": "spam", "email": False}]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "preferences" in error["fields"]


def test_the_schema_documents_the_endpoints(api_as, staff):
    schema = api_as(staff).get(reverse("api:schema"), {"format": "json"}, HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert schema.status_code == 200
    for path in ("/api/v1/notifications/", "/api/v1/notifications/{notification_id}/read/"):
        assert path in text
    assert "unread_count" in text
