"""Reads of the notification centre. Every read is scoped to its recipient."""

from django.db.models import QuerySet

from common.errors import NotFoundError
from creators.models import User
from notifications.enums import NotificationType
from notifications.models import Notification, NotificationPreference


def notification_list_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    notifications = Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; someone else's answers like a missing one (404)."""
    notification = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if notification is None:
        raise NotFoundError()
    return notification


def notification_unread_count(*, user: User) -> int:
    """One COUNT over the (recipient, read_at) index: the navigation badge."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_preferences_for_user(*, user: User) -> dict[str, bool]:
    """Whether the user wants emails of each type, for every type (email on unless turned off)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("type", "email"))
    return {str(type_): chosen.get(type_, True) for type_ in NotificationType.values}


def notification_email_enabled(*, user: User, type: str) -> bool:
    """Whether the user wants emails of this type (the default is yes)."""
    email = (
        NotificationPreference.objects.filter(user=user, type=type).values_list("email", flat=True).first()
    )
    return True if email is None else email
