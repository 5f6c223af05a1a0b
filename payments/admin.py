"""The ledger in admin: read-only. Money moves only through payments.ledger services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


class ReadOnlyAdminMixin:
    """No add, change or delete: the ledger is append-only, and corrections are reversing postings."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "party", "kind", "currency", "balance_display", "allow_negative", "created_at"]
    list_filter = ["kind", "currency", "allow_negative"]
    search_fields = ["=party"]
    ordering = ["party", "kind", "currency"]

    @admin.display(description="balance", ordering="balance_minor")
    def balance_display(self, account: LedgerAccount) -> str:
        return str(account.balance)


class LedgerEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_display", "currency"]
    readonly_fields = ["account", "amount_display", "currency"]
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("account")

    @admin.display(description="amount")
    def amount_display(self, entry: LedgerEntry) -> str:
        return str(entry.amount)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "reference", "kind", "description", "reverses", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["reference", "description"]
    list_select_related = ["reverses"]
    date_hierarchy = "created_at"
    inlines = [LedgerEntryInline]
    # The ledger grows without bound: skip the extra COUNT(*) of the whole table.
    show_full_result_count = False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "transaction", "account", "amount_display", "currency"]
    list_filter = ["currency", "account__kind", "transaction__kind"]
    search_fields = ["transaction__reference", "=account__party"]
    list_select_related = ["transaction", "account"]
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount_minor")
    def amount_display(self, entry: LedgerEntry) -> str:
        return str(entry.amount)
