"""The ledger in admin: read-only. Money moves only through payments.ledger services."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.enums import AuditAction
from common.admin import ReadOnlyAdminMixin
from common.admin_reason import AuditedChangeAdminMixin, ReasonForm, audited_each, reason_action
from common.errors import ApplicationError
from payments.enums import ReconciliationStatus
from payments.models import (
    CommissionRule,
    ConnectedAccount,
    Hold,
    IdempotencyRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Payout,
    ReconciliationDifference,
    ReconciliationReport,
    Refund,
    WebhookEvent,
)
from payments.reconciliation import reconciliation_run


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "party", "kind", "currency", "balance_display", "allow_negative", "created_at"]
    list_filter = ["kind", "currency", "allow_negative"]
    search_fields = ["=party"]
    ordering = ["party", "kind", "currency"]

    @admin.display(description=_("balance"), ordering="balance_minor")
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

    @admin.display(description=_("amount"))
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

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount_display(self, entry: LedgerEntry) -> str:
        return str(entry.amount)


# ---------------------------------------------------------------- commission, charges and payouts


def _run_each(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, service, label: str
) -> None:
    """Call a service for each selected row; report successes and each refusal as a message."""
    done = 0
    for obj in queryset:
        try:
            service(obj)
            done += 1
        except ApplicationError as exc:
            # Translators: an admin message about one row, e.g. "Payout 12: The account is not ready."
            message = _("%(object)s: %(error)s") % {"object": obj, "error": exc.message}
            modeladmin.message_user(request, message, messages.ERROR)
    if done:
        modeladmin.message_user(request, _("%(label)s: %(count)d done.") % {"label": label, "count": done})


@admin.register(CommissionRule)
class CommissionRuleAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    """Rules are edited by staff. Once a rule has taken effect only its end and note can change:
    a new rate is a new rule with its own start, so what was charged stays explained.
    Every add, change and delete asks for a reason and is kept in the audit log."""

    audit_action = AuditAction.COMMISSION_RULE_CHANGE
    audit_fields = ("source", "country", "rate_bps", "effective_from", "effective_to", "note")

    list_display = ["source", "country", "rate_bps", "effective_from", "effective_to", "note", "created_by"]
    list_filter = ["source", "country"]
    search_fields = ["note", "country"]
    fields = ["source", "country", "rate_bps", "effective_from", "effective_to", "note"]

    def get_readonly_fields(self, request: HttpRequest, obj: CommissionRule | None = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return ["source", "country", "rate_bps", "effective_from"]
        return []

    def save_model(self, request: HttpRequest, obj: CommissionRule, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: CommissionRule | None = None) -> bool:
        return obj is None or obj.effective_from > timezone.now()


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "party",
        "stripe_account_id",
        "country",
        "charges_enabled",
        "payouts_enabled",
        "updated_at",
    ]
    list_filter = ["charges_enabled", "payouts_enabled", "country"]
    search_fields = ["=party", "stripe_account_id", "email"]


REFUND_COLUMNS = (
    "created_at",
    "amount_minor",
    "currency",
    "status",
    "reason",
    "requested_by",
    "stripe_refund_id",
)
DIFFERENCE_COLUMNS = ("kind", "reference", "expected", "actual", "detail")


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = readonly_fields = REFUND_COLUMNS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "source",
        "amount_minor",
        "currency",
        "status",
        "amount_refunded_minor",
        "paid_at",
        "settlement",
    ]
    list_filter = ["status", "source", "currency"]
    search_fields = ["reference", "stripe_payment_intent_id", "stripe_checkout_session_id", "payer_email"]
    list_select_related = ["settlement"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "party",
        "source",
        "amount_minor",
        "refunded_minor",
        "currency",
        "release_at",
        "released_at",
    ]
    list_filter = ["source", "currency", "released_at"]
    search_fields = ["=party"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "payment", "amount_minor", "currency", "status", "requested_by", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["payment__reference", "stripe_refund_id"]
    list_select_related = ["payment", "requested_by"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "party",
        "amount_minor",
        "currency",
        "status",
        "run_key",
        "stripe_transfer_id",
        "failure_message",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=party", "stripe_transfer_id", "stripe_payout_id", "run_key"]
    actions = ["retry"]

    @reason_action(
        description=_("Retry the selected failed payouts"),
        intro=_("Each failed payout is issued again, for the same amount, from the available balance."),
    )
    def retry(self, request: HttpRequest, queryset: QuerySet[Payout], form: ReasonForm) -> None:
        from payments.payouts import payout_retry

        done = audited_each(
            self,
            request,
            queryset,
            change=lambda payout: payout_retry(payout=payout, actor=request.user),
            action=AuditAction.PAYOUT_RETRY,
            reason=form.cleaned_data["reason"],
            before=lambda payout: {"status": payout.status},
            details=lambda payout, retry: {
                "party": payout.party,
                "amount_minor": retry.amount_minor,
                "currency": retry.currency,
                "retry_payout": retry.pk,
            },
        )
        if done:
            self.message_user(request, _("%(label)s: %(count)d done.") % {"label": _("Retry"), "count": done})


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["stripe_event_id", "type", "account", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_event_id", "type", "account"]
    show_full_result_count = False
    actions = ["reprocess"]

    @admin.action(description=_("Process the selected events again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        from payments.webhooks import webhook_event_reprocess

        _run_each(
            self, request, queryset, lambda event: webhook_event_reprocess(event=event), str(_("Reprocess"))
        )


class ReconciliationDifferenceInline(admin.TabularInline):
    model = ReconciliationDifference
    extra = 0
    can_delete = False
    fields = readonly_fields = DIFFERENCE_COLUMNS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "status", "triggered_by"]
    list_filter = ["status"]
    inlines = [ReconciliationDifferenceInline]
    change_list_template = "admin/payments/reconciliationreport/change_list.html"

    def get_urls(self) -> list:
        run = path("run/", self.admin_site.admin_view(self.run_now_view), name="payments_reconciliation_run")
        return [run, *super().get_urls()]

    def run_now_view(self, request: HttpRequest) -> HttpResponse:
        """Run a reconciliation now (POST only: it writes a report)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = reconciliation_run(triggered_by=request.user)
        level = messages.SUCCESS if report.status == ReconciliationStatus.CLEAN else messages.WARNING
        self.message_user(
            request,
            _("Reconciliation finished: %(status)s.") % {"status": report.get_status_display()},
            level,
        )
        return redirect("admin:payments_reconciliationreport_change", report.pk)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "key", "endpoint", "status_code", "created_at"]
    search_fields = ["key", "endpoint", "user__email"]
    list_select_related = ["user"]
