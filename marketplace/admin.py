"""Staff tools: verify brands, look into campaigns and deals (with their events), resolve disputes.

Actions call the same services as the API. Events, offers and ratings are records: read-only.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.enums import AuditAction
from common.admin_reason import ReasonForm, audited_each, reason_action
from common.money import Money
from creators.selectors import user_from_request
from marketplace.models import (
    Brand,
    BrandInvitation,
    BrandMembership,
    Campaign,
    Deal,
    DealEvent,
    DealMessage,
    Deliverable,
    Dispute,
    Listing,
    Negotiation,
    Offer,
    Rating,
    SavedList,
    SavedListEntry,
)
from marketplace.services.brands import brand_verify
from marketplace.services.deals import dispute_resolve


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = BrandMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "industry", "verified_at", "rating_count"]
    list_filter = ["country", ("verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "website", "industry"]
    readonly_fields = ["verified_at", "verified_by", "rating_sum", "rating_count"]
    inlines = [MembershipInline]
    actions = ["verify"]

    @reason_action(description=_("Verify the selected brands"))
    def verify(self, request: HttpRequest, queryset: QuerySet[Brand], form: ReasonForm) -> None:
        done = audited_each(
            self,
            request,
            queryset,
            change=lambda brand: brand_verify(brand=brand, staff=user_from_request(request)),
            action=AuditAction.BRAND_VERIFY,
            reason=form.cleaned_data["reason"],
            before=lambda brand: {"verified_at": brand.verified_at},
            details=lambda brand, verified: {"after": {"verified_at": verified.verified_at}},
        )
        self.message_user(request, _("%(count)d brands verified.") % {"count": done})


@admin.register(BrandMembership)
class BrandMembershipAdmin(admin.ModelAdmin):
    list_display = ["brand", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["brand__name", "user__email"]
    raw_id_fields = ["brand", "user"]


@admin.register(BrandInvitation)
class BrandInvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["brand", "email", "role", "expires_at", "accepted_at"]
    search_fields = ["brand__name", "email"]
    exclude = ["token"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = [
        "handle",
        "country",
        "is_listed",
        "followers",
        "engagement_rate_bps",
        "currency",
        "measured_at",
    ]
    list_filter = ["is_listed", "country", "follower_band", "availability"]
    search_fields = ["handle", "display_name"]
    raw_id_fields = ["creator", "showcased_posts"]
    readonly_fields = ["measured_at", "rating_sum", "rating_count"]


class EntryInline(admin.TabularInline):
    model = SavedListEntry
    extra = 0
    raw_id_fields = ["listing", "added_by"]


@admin.register(SavedList)
class SavedListAdmin(admin.ModelAdmin):
    list_display = ["name", "brand", "created_by", "created_at"]
    search_fields = ["name", "brand__name"]
    inlines = [EntryInline]


@admin.register(SavedListEntry)
class SavedListEntryAdmin(admin.ModelAdmin):
    list_display = ["saved_list", "listing", "added_by", "added_at"]
    search_fields = ["saved_list__name", "listing__handle"]
    raw_id_fields = ["saved_list", "listing", "added_by"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "brand",
        "visibility",
        "status",
        "currency",
        "budget_min_minor",
        "budget_max_minor",
        "created_at",
    ]
    list_filter = ["visibility", "status", "currency"]
    search_fields = ["title", "brand__name"]
    raw_id_fields = ["brand", "created_by"]


class OfferInline(ReadOnlyMixin, admin.TabularInline):
    model = Offer
    extra = 0
    fields = readonly_fields = ("side", "author", "amount_minor", "currency", "status", "created_at")


@admin.register(Negotiation)
class NegotiationAdmin(admin.ModelAdmin):
    list_display = ["pk", "brand", "creator", "campaign", "origin", "status", "updated_at"]
    list_filter = ["origin", "status"]
    search_fields = ["brand__name", "creator__handle"]
    raw_id_fields = ["brand", "creator", "campaign"]
    inlines = [OfferInline]


@admin.register(Offer)
class OfferAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "negotiation", "side", "amount_minor", "currency", "status", "created_at"]
    list_filter = ["side", "status", "currency"]


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0
    fields = readonly_fields = (
        "position",
        "format",
        "due_date",
        "share_minor",
        "status",
        "post_url",
        "revisions",
        "auto_approve_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = DealEvent
    extra = 0
    fields = readonly_fields = ("created_at", "kind", "actor", "data")


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "brand",
        "creator",
        "status",
        "amount_minor",
        "currency",
        "released_minor",
        "refunded_minor",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["brand__name", "creator__handle", "=id"]
    inlines = [DeliverableInline, EventInline]
    # Money and state change only through the services (funding, approvals, disputes).
    readonly_fields = [f.name for f in Deal._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Deliverable)
class DeliverableAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: deliverables change through submissions, reviews and the automatic approval."""

    list_display = ["deal", "position", "format", "due_date", "status", "revisions", "auto_approve_at"]
    list_filter = ["status", "format"]


@admin.register(DealEvent)
class DealEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["deal", "kind", "actor", "created_at"]
    list_filter = ["kind"]


@admin.register(DealMessage)
class DealMessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["deal", "author", "side", "created_at"]
    search_fields = ["body"]


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Staff enter the creator's share of the remaining escrow, save, then run "Resolve"."""

    list_display = ["deal", "status", "opened_by", "creator_share_minor", "created_at", "resolved_at"]
    list_filter = ["status"]
    fields = [
        "deal",
        "opened_by",
        "reason",
        "status",
        "creator_share_minor",
        "resolution_note",
        "resolved_by",
        "resolved_at",
    ]
    readonly_fields = ["deal", "opened_by", "reason", "status", "resolved_by", "resolved_at"]
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @reason_action(
        description=_("Resolve: split the remaining escrow as entered"),
        intro=_("The creator is paid the share entered on each dispute; the rest is refunded to the brand."),
    )
    def resolve(self, request: HttpRequest, queryset: QuerySet[Dispute], form: ReasonForm) -> None:
        reason = form.cleaned_data["reason"]
        for dispute in queryset.select_related("deal"):
            if dispute.creator_share_minor is None:
                self.message_user(
                    request,
                    _("Dispute on deal %(id)s: enter the creator's share first.") % {"id": dispute.deal_id},
                    messages.ERROR,
                )
                continue
            escrow = dispute.deal.escrow_remaining.amount_minor  # what the split shares out
            done = audited_each(
                self,
                request,
                [dispute],
                change=lambda dispute: dispute_resolve(
                    dispute=dispute,
                    staff=user_from_request(request),
                    creator_share=Money(dispute.creator_share_minor, dispute.deal.currency),
                    note=dispute.resolution_note,
                ),
                action=AuditAction.DISPUTE_SPLIT,
                reason=reason,
                details=lambda dispute, resolved, escrow=escrow: {
                    "deal": dispute.deal_id,
                    "currency": dispute.deal.currency,
                    "escrow_remaining_minor": escrow,
                    "creator_share_minor": resolved.creator_share_minor,
                    "brand_refund_minor": escrow - resolved.creator_share_minor,
                },
            )
            if done:
                self.message_user(request, _("Dispute on deal %(id)s resolved.") % {"id": dispute.deal_id})


@admin.register(Rating)
class RatingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["deal", "side", "author", "score", "created_at"]
    list_filter = ["side", "score"]
    search_fields = ["comment"]
