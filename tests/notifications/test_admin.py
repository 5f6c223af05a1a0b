"""Staff read notifications in admin; nobody writes them there."""

from django.test import Client
from django.urls import reverse


def test_staff_see_notifications_read_only(staff, creator, notified):
    [notification] = notified(creator.user)
    client = Client()
    client.force_login(staff)

    listing = client.get(reverse("admin:notifications_notification_changelist"))
    detail = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))

    assert listing.status_code == 200 and "New order N0: $25.00" in listing.content.decode()
    assert detail.status_code == 200
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
    assert client.get(reverse("admin:notifications_notificationpreference_changelist")).status_code == 200


def test_non_staff_cannot_open_the_admin(creator, notified):
    notified(creator.user)
    client = Client()
    client.force_login(creator.user)
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
