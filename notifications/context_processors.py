"""Template context for every page: the signed-in user's unread notifications (the nav badge)."""

from functools import cache
from typing import Any

from django.http import HttpRequest

from notifications.selectors import notification_unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """``notifications_unread``: one COUNT, only if a template reads it, at most once per request.

    A callable, so pages that never show the navigation (admin, emails rendered with a request)
    pay no query for it; anonymous visitors pay none either.
    """

    @cache
    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return notification_unread_count(user=user)

    return {"notifications_unread": count}
