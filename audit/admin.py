"""The audit log in admin: read-only for everyone, superusers included."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "target_link", "short_reason", "ip_address"]
    list_filter = [
        "action",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "created_at",
        ("target_type", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["target_repr", "=target_id", "reason", "actor__email"]
    list_select_related = ["actor", "target_type"]
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "action",
        "actor",
        "target_type",
        "target_id",
        "target_link",
        "reason",
        "details",
        "ip_address",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("target"), ordering="target_repr")
    def target_link(self, entry: AuditEntry) -> str:
        """A link to the target's admin page when it has one; its text as recorded either way."""
        model = entry.target_type.model_class()
        if model is None:
            return entry.target_repr
        try:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[entry.target_id]
            )
        except NoReverseMatch:
            return entry.target_repr
        return format_html('<a href="{}">{}</a>', url, entry.target_repr)

    @admin.display(description=_("reason"))
    def short_reason(self, entry: AuditEntry) -> str:
        return Truncator(entry.reason).chars(80)
