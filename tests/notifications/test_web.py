"""The notification centre pages: list, mark read, preferences, and the badge in the navigation."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from notifications.context_processors import unread
from notifications.enums import NotificationType
from notifications.models import Notification, NotificationPreference
from notifications.selectors import notification_preferences_for_user


@pytest.fixture
def web():
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def test_the_list_shows_my_notifications_not_others(web, notified, creator, other_creator):
    notified(creator.user)
    Notification.objects.create(
        recipient=other_creator.user,
        type=NotificationType.NEW_ORDER,
        params={"number": "SECRET1", "shop": "Other", "total_minor": 100, "currency": "USD"},
    )

    page = web(creator.user).get(reverse("notifications:list")).content.decode()

    assert "New order N0: $25.00" in page
    assert "SECRET1" not in page


def test_the_list_is_paginated_and_filters_unread(web, notified, creator):
    notifications = notified(creator.user, n=25)
    Notification.objects.filter(pk=notifications[0].pk).update(read_at="2026-01-01T00:00:00Z")
    client = web(creator.user)

    first = client.get(reverse("notifications:list")).content.decode()
    second = client.get(reverse("notifications:list") + "?page=2").content.decode()
    unread_only = client.get(reverse("notifications:list") + "?unread=1").context["page"]

    assert "New order N24:" in first and "New order N0:" not in first  # newest first, 20 a page
    assert "New order N0:" in second
    assert unread_only.paginator.count == 24


def test_marking_one_read_and_opening_it(web, notified, creator):
    [notification] = notified(creator.user)
    client = web(creator.user)

    response = client.post(reverse("notifications:read", args=[notification.pk]), {"next": notification.url})

    assert response.status_code == 302 and response["Location"] == "/dashboard/shop/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_an_outside_next_address_is_ignored(web, notified, creator):
    [notification] = notified(creator.user)
    response = web(creator.user).post(
        reverse("notifications:read", args=[notification.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_404_and_stays_unread(web, notified, creator, other_creator):
    [theirs] = notified(other_creator.user)

    response = web(creator.user).post(reverse("notifications:read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(web, notified, creator):
    [notification] = notified(creator.user)
    assert web(creator.user).get(reverse("notifications:read", args=[notification.pk])).status_code == 405


def test_mark_all_read_touches_only_mine(web, notified, creator, other_creator):
    notified(creator.user, n=3)
    notified(other_creator.user, n=2)

    web(creator.user).post(reverse("notifications:read-all"))

    assert not Notification.objects.filter(recipient=creator.user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_creator.user, read_at__isnull=True).count() == 2


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("notifications:preferences")).status_code == 302


def test_the_preferences_form_turns_email_off_per_type(web, creator):
    client = web(creator.user)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Failed payouts" in page and 'name="payout_failed"' in page

    # Every box ticked but "new orders": unticked boxes are simply absent from the post.
    ticked = {t: "on" for t in NotificationType.values if t != NotificationType.NEW_ORDER}
    response = client.post(reverse("notifications:preferences"), ticked)

    assert response.status_code == 302
    preferences = notification_preferences_for_user(user=creator.user)
    assert preferences[NotificationType.NEW_ORDER] is False
    assert all(on for t, on in preferences.items() if t != NotificationType.NEW_ORDER)


def test_preferences_default_to_email_on(creator):
    assert set(notification_preferences_for_user(user=creator.user).values()) == {True}
    assert not NotificationPreference.objects.exists()


# ---------------------------------------------------------------- the badge


def test_the_nav_badge_counts_my_unread(web, notified, creator):
    notifications = notified(creator.user, n=3)
    notifications[0].read_at = "2026-01-01T00:00:00Z"
    notifications[0].save(update_fields=["read_at"])

    page = web(creator.user).get(reverse("creators:dashboard")).content.decode()

    assert 'class="nav-notifications"' in page
    assert '<span class="badge">2<span class="visually-hidden"> unread</span></span>' in page


def test_no_badge_when_everything_is_read(web, creator):
    page = web(creator.user).get(reverse("notifications:list")).content.decode()
    assert "nav-notifications" in page
    assert '<span class="visually-hidden"> unread</span>' not in page


def test_the_badge_costs_one_query_however_often_it_is_read(notified, creator, django_assert_num_queries):
    notified(creator.user, n=2)
    request = RequestFactory().get("/")
    request.user = creator.user
    count = unread(request)["notifications_unread"]

    with django_assert_num_queries(1):
        assert count() == 2
        assert count() == 2


def test_the_badge_costs_nothing_for_anonymous_visitors(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread(request)["notifications_unread"]() == 0
