"""Read notifications are forgotten after 180 days; unread ones are kept whatever their age."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications import tasks
from notifications.models import Notification
from notifications.services import notifications_delete_read


def test_old_read_notifications_are_deleted_and_the_rest_kept(notified, creator, monkeypatch):
    old_read, old_unread, recent_read, recent_unread = notified(creator.user, n=4)
    now = timezone.now()
    Notification.objects.filter(pk__in=[old_read.pk, old_unread.pk]).update(
        created_at=now - timedelta(days=181)
    )
    Notification.objects.filter(pk__in=[old_read.pk, recent_read.pk]).update(read_at=now)
    monkeypatch.setattr("notifications.services.DELETE_BATCH", 1)  # the batching loop, too

    assert notifications_delete_read(now=now) == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {
        old_unread.pk,
        recent_read.pk,
        recent_unread.pk,
    }
    assert notifications_delete_read(now=now) == 0  # idempotent


def test_the_daily_task_runs_the_cleanup(notified, creator):
    [notification] = notified(creator.user)
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(days=200), read_at=timezone.now()
    )
    assert tasks.delete_old_read.delay().get() == 1
    assert not Notification.objects.exists()


def test_the_cleanup_is_scheduled():
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "notifications.delete_old_read"
    ]
    assert len(entries) == 1
