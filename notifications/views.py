"""The notification centre on the web: the list, mark read, email preferences.

Every page is the signed-in user's own; someone else's notification answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import NotFoundError
from creators.selectors import user_from_request
from notifications.forms import PreferencesForm
from notifications.selectors import (
    notification_get_for_user,
    notification_list_for_user,
    notification_preferences_for_user,
)
from notifications.services import (
    notification_mark_read,
    notification_preferences_update,
    notifications_mark_all_read,
)

PAGE_SIZE = 20


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(notification_list_for_user(user=user, unread_only=unread_only), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read, then go to ``next`` (its target, when "Open" was pressed) or back to the list."""
    try:
        notification = notification_get_for_user(
            user=user_from_request(request), notification_id=notification_id
        )
    except NotFoundError as exc:
        raise Http404 from exc
    notification_mark_read(notification=notification)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = notifications_mark_all_read(user=user_from_request(request))
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = user_from_request(request)
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, current=notification_preferences_for_user(user=user))
    if request.method == "POST" and form.is_valid():
        notification_preferences_update(user=user, email=form.email_choices())
        messages.success(request, _("Your email preferences are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
