"""Notifications in admin: read-only records for staff answering "did they get told?"."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdminMixin
from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "recipient", "type", "title_text", "created_at", "read_at"]
    list_filter = ["type", ("read_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["recipient__email", "key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # the table grows; COUNT(*) on every page is not worth it
    fields = ["recipient", "type", "title_text", "body_text", "params", "url", "key", "created_at", "read_at"]
    readonly_fields = fields

    @admin.display(description=_("title"))
    def title_text(self, obj: Notification) -> str:
        return obj.title

    @admin.display(description=_("body"))
    def body_text(self, obj: Notification) -> str:
        return obj.body


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "type", "email", "updated_at"]
    list_filter = ["type", "email"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
