"""Writes of the notification centre: notify someone, mark read, preferences, cleanup.

notify() is the one door for every event that tells a user something: it puts the notification
in the user's centre and sends the email only if the user has not turned that type off. The
apps still render and send their own emails (their templates, their language handling, their
retry policy); notify() decides whether the email goes.
"""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ApplicationError
from creators.models import User
from notifications.enums import READ_RETENTION_DAYS, NotificationType
from notifications.models import Notification, NotificationPreference
from notifications.selectors import notification_email_enabled, notification_preferences_for_user

DELETE_BATCH = 5000


def notify(
    *,
    user: User,
    type: NotificationType,
    params: Mapping[str, Any] | None = None,
    url: str = "",
    key: str = "",
    send_email: Callable[[], Any] | None = None,
) -> Notification:
    """Put a notification in ``user``'s centre, then call ``send_email`` unless they turned it off.

    Precondition: the write that caused it has committed (call it from a task or an on_commit
    callback), because the email leaves at once. ``params`` must be JSON values; notifications.texts
    turns them into words when the notification is shown. ``url`` is a path on this site.

    With a ``key``, calling again (a task retried after a mail error) makes no second notification
    but does try the email again. Errors of ``send_email`` propagate: the caller decides between
    retrying (shops' Celery tasks) and logging (marketplace).
    """
    if url and (not url.startswith("/") or url.startswith("//")):
        raise ValueError(f"notification url must be a path on this site, not {url!r}")
    fields = {"type": type, "params": dict(params or {}), "url": url}
    if key:
        notification, _created = Notification.objects.get_or_create(recipient=user, key=key, defaults=fields)
    else:
        notification = Notification.objects.create(recipient=user, **fields)
    if send_email is not None and notification_email_enabled(user=user, type=type):
        send_email()
    return notification


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read (reading it twice keeps the first time)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_update(*, user: User, email: Mapping[str, bool]) -> dict[str, bool]:
    """Set whether the user gets emails of the types given (others keep their setting).

    Refuses a type that does not exist (``unknown_notification_type``). Returns every type's setting.
    """
    unknown = sorted(set(email) - set(NotificationType.values))
    if unknown:
        raise ApplicationError(
            _("Unknown notification type: %(types)s.") % {"types": ", ".join(unknown)},
            code="unknown_notification_type",
            fields={"type": [_("Unknown: %(types)s.") % {"types": ", ".join(unknown)}]},
        )
    if email:
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, type=type_, email=bool(on)) for type_, on in email.items()],
            update_conflicts=True,
            unique_fields=["user", "type"],
            update_fields=["email", "updated_at"],
        )
    return notification_preferences_for_user(user=user)


def notifications_delete_read(*, now: datetime | None = None, days: int = READ_RETENTION_DAYS) -> int:
    """Delete read notifications created more than ``days`` ago, in batches; returns how many.

    Unread ones stay whatever their age: nobody has seen them yet. Batches keep each delete short,
    so the users' inserts and badge counts never wait behind one huge statement.
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Notification.objects.filter(created_at__lt=cutoff, read_at__isnull=False)
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:DELETE_BATCH]):
        deleted += Notification.objects.filter(pk__in=ids).delete()[0]
    return deleted
