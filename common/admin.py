from typing import Any

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """No add, change or delete in admin: rows written only by services (ledger entries,
    ingested counters, history). Corrections go through services, never through a form."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
