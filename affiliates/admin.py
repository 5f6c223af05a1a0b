"""Admin: offers, memberships, click counters, commissions with the review actions (they call services)."""

from django.contrib import admin, messages
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from affiliates.models import ClickDaily, ClickFlush, Commission, FraudSignal, Membership, Offer
from affiliates.services import commission_approve, commission_hold, commission_reject
from audit.enums import AuditAction
from common.admin_reason import AuditedChangeAdminMixin, ReasonForm, audited_each, reason_action


@admin.register(Offer)
class OfferAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    # The rate is what affiliates earn: staff edits ask for a reason and are audited.
    audit_action = AuditAction.AFFILIATE_OFFER_CHANGE
    audit_fields = ("shop", "product", "rate_bps", "window_days", "join_mode", "status", "code_discount_bps")
    list_display = ["id", "shop", "product", "rate_bps", "window_days", "join_mode", "status", "created_at"]
    list_filter = ["status", "join_mode", "shop__currency"]
    search_fields = ["shop__name", "shop__slug", "product__title"]
    raw_id_fields = ["shop", "product"]


@admin.register(Membership)
class MembershipAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    audit_action = AuditAction.AFFILIATE_MEMBERSHIP_CHANGE
    audit_fields = ("offer", "affiliate", "status", "code", "discount_code", "ended_at")
    list_display = ["id", "affiliate", "offer", "status", "code", "discount_code", "joined_at", "raw_clicks"]
    list_filter = ["status"]
    search_fields = ["code", "affiliate__handle", "offer__shop__name"]
    raw_id_fields = ["offer", "affiliate", "discount_code", "decided_by"]

    @admin.display(description=_("raw clicks"))
    def raw_clicks(self, membership: Membership) -> int:
        return membership.click_days.aggregate(n=Sum("raw"))["n"] or 0


@admin.register(ClickDaily)
class ClickDailyAdmin(admin.ModelAdmin):
    """The clicks summary: one row per link and day (raw and unique)."""

    list_display = ["day", "membership", "raw", "unique_clicks"]
    list_filter = ["day"]
    search_fields = ["membership__code", "membership__affiliate__handle"]
    raw_id_fields = ["membership"]
    date_hierarchy = "day"

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # counters are written by the flush only


@admin.register(ClickFlush)
class ClickFlushAdmin(admin.ModelAdmin):
    list_display = ["batch", "fields", "clicks", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(FraudSignal)
class FraudSignalAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "membership", "order", "detail"]
    list_filter = ["kind"]
    raw_id_fields = ["membership", "order"]


def _review(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, decision: str, reason: str
) -> None:
    """Apply one review decision to each commission, each with its audit entry (fraud_review_decision)."""
    services = {
        "approve": lambda commission: commission_approve(commission=commission, actor=request.user),
        "reject": lambda commission: commission_reject(
            commission=commission, actor=request.user, reason=reason
        ),
        "hold": lambda commission: commission_hold(commission=commission, actor=request.user, reason=reason),
    }
    done = audited_each(
        modeladmin,
        request,
        queryset,
        change=services[decision],
        action=AuditAction.FRAUD_REVIEW_DECISION,
        reason=reason,
        before=lambda commission: {"status": commission.status},
        details=lambda commission, reviewed: {
            "decision": decision,
            "amount_minor": reviewed.amount_minor,
            "currency": reviewed.currency,
            "after": {"status": reviewed.status},
        },
    )
    if done:
        modeladmin.message_user(
            request, _("%(count)d commission(s) updated.") % {"count": done}, messages.SUCCESS
        )


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "order",
        "membership",
        "amount_minor",
        "currency",
        "status",
        "review_reason",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["order__number", "membership__code", "membership__affiliate__handle"]
    raw_id_fields = ["order", "membership", "reviewed_by"]
    readonly_fields = [
        "rate_bps",
        "window_days",
        "eligible_minor",
        "amount_minor",
        "refunded_minor",
        "status",
    ]
    actions = ["approve", "reject", "hold"]

    @reason_action(description=_("Approve: release on the normal date"))
    def approve(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        _review(self, request, queryset, "approve", form.cleaned_data["reason"])

    @reason_action(description=_("Reject: the held money goes to the seller"))
    def reject(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        _review(self, request, queryset, "reject", form.cleaned_data["reason"])

    @reason_action(description=_("Put on hold for review"))
    def hold(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        _review(self, request, queryset, "hold", form.cleaned_data["reason"])
