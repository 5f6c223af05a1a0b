from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.enums import NotificationType


class Notification(models.Model):
    """One entry in a user's notification centre.

    The words are not stored: ``type`` and ``params`` are, and notifications.texts renders them
    when the notification is shown, so it reads in the reader's current language.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type = models.CharField(_("type"), max_length=32, choices=NotificationType.choices)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site, e.g. /orders/AB12/.")
    # What the notification is about (``order:12:paid``): a task retried after a mail error finds
    # the notification it already made instead of making a second one.
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The unread badge and the unread filter: recipient = ? AND read_at IS NULL.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_key_once_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def title(self) -> str:
        from notifications.texts import notification_title

        return notification_title(self)

    @property
    def body(self) -> str:
        from notifications.texts import notification_body

        return notification_body(self)


class NotificationPreference(models.Model):
    """A user's choice about emails of one type. No row means the default: email on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    type = models.CharField(_("type"), max_length=32, choices=NotificationType.choices)
    email = models.BooleanField(_("email"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "type"]
        constraints = [
            models.UniqueConstraint(fields=["user", "type"], name="notification_preference_once_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type}: {'email' if self.email else 'no email'}"
