from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.enums import AuditAction
from common.admin import ReadOnlyAdminMixin
from common.admin_reason import ReasonForm, audited_each, reason_action
from creators.login_lockout import login_lockout_clear, login_lockout_message, login_lockout_seconds_left
from creators.models import (
    CreatorProfile,
    FollowerSnapshot,
    MetricSnapshot,
    Post,
    ServiceToken,
    StandingEvent,
    User,
)
from creators.services import (
    creator_restore,
    creator_strike_add,
    creator_suspend,
    service_token_create,
    service_token_revoke,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = [
        "email",
        "display_name",
        "country",
        "preferred_language",
        "is_staff",
        "is_active",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_active", "preferred_language", "country"]
    search_fields = ["email", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name", "preferred_language", "country")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
        (_("Sign-in"), {"fields": ("sign_in_lock",)}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["sign_in_lock"]
    actions = ["unlock_sign_in"]

    @admin.display(description=_("Sign-in lock"))
    def sign_in_lock(self, user: User) -> str:
        seconds = login_lockout_seconds_left(email=user.email)
        if not seconds:
            return str(_("Not locked"))
        return (
            login_lockout_message(seconds=seconds)
            + " "
            + str(_("Use the “Unlock sign-in” action to lift it."))
        )

    @reason_action(description=_("Unlock sign-in (lift a lockout after failed logins)"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet, form: ReasonForm) -> None:
        locked = [user for user in queryset if login_lockout_seconds_left(email=user.email)]
        unlocked = audited_each(
            self,
            request,
            locked,
            change=lambda user: login_lockout_clear(email=user.email),
            action=AuditAction.ACCOUNT_UNLOCK,
            reason=form.cleaned_data["reason"],
            before=lambda user: {"locked_seconds_left": login_lockout_seconds_left(email=user.email)},
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d account was locked and can sign in again.",
                "%(count)d accounts were locked and can sign in again.",
                unlocked,
            )
            % {"count": unlocked},
            messages.SUCCESS,
        )


class StandingReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason (the creator sees it)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. Kept in the audit log with your name, the time and what changed."),
    )


def _standing_action(service, label: str, audit_action: str):
    """An admin action that asks for a reason on an intermediate page, then calls the service.

    Each creator's change and its audit entry (``audit_action``) commit together.
    """

    def body(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: StandingReasonForm
    ) -> None:
        reason = form.cleaned_data["reason"]
        done = audited_each(
            modeladmin,
            request,
            queryset,
            change=lambda creator: service(creator=creator, actor=request.user, reason=reason),
            action=audit_action,
            reason=reason,
            details=lambda creator, event: {
                "standing_event": event.pk,
                "kind": event.kind,
                "before": {"policy_standing": event.standing_before},
                "after": {"policy_standing": event.standing_after},
            },
            label=lambda creator: f"@{creator.handle}",
        )
        if done:
            modeladmin.message_user(
                request, _("%(action)s: %(count)d creator(s).") % {"action": label, "count": done}
            )

    body.__name__ = f"action_{service.__name__}"
    return reason_action(description=label, form_class=StandingReasonForm)(body)


class StandingEventInline(admin.TabularInline):
    model = StandingEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "standing_before", "standing_after", "reason", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = [
        "handle",
        "display_name",
        "country",
        "account_type",
        "policy_standing",
        "followers",
        "created_at",
    ]
    list_filter = ["policy_standing", "account_type", "country"]
    search_fields = ["handle", "display_name", "user__email"]
    readonly_fields = [
        "user",
        "policy_standing",
        "followers",
        "followers_observed_at",
        "age_attested_at",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["user"]
    inlines = [StandingEventInline]
    actions = [
        _standing_action(creator_strike_add, _("Add a strike"), AuditAction.STRIKE),
        _standing_action(creator_suspend, _("Suspend"), AuditAction.SUSPENSION),
        _standing_action(creator_restore, _("Restore to good standing"), AuditAction.REINSTATEMENT),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people become creators themselves, from the dashboard


@admin.register(StandingEvent)
class StandingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "creator", "kind", "standing_before", "standing_after", "actor", "reason"]
    list_filter = ["kind", "standing_after"]
    search_fields = ["creator__handle", "reason"]


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Counters come from ingestion only; staff read them, never type them."""


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = [
        "external_id",
        "creator",
        "format",
        "published_at",
        "views",
        "likes",
        "comments",
        "shares",
        "is_branded",
        "is_deleted",
    ]
    list_filter = ["format", "is_branded", "is_deleted"]
    search_fields = ["external_id", "creator__handle", "caption"]
    list_select_related = ["creator"]
    date_hierarchy = "published_at"


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "post",
        "observed_at",
        "views",
        "likes",
        "comments",
        "shares",
        "invalid_views",
        "received_at",
    ]
    search_fields = ["post__external_id"]
    list_select_related = ["post"]
    show_full_result_count = False


@admin.register(FollowerSnapshot)
class FollowerSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["creator", "observed_at", "followers", "received_at"]
    search_fields = ["creator__handle"]
    list_select_related = ["creator"]


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    fields = ["name"]
    actions = ["revoke"]

    def save_model(
        self, request: HttpRequest, obj: ServiceToken, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        token, raw = service_token_create(name=obj.name, created_by=request.user)
        obj.pk, obj.prefix, obj.token_hash, obj.created_by = (
            token.pk,
            token.prefix,
            token.token_hash,
            token.created_by,
        )
        obj.created_at = token.created_at
        obj._state.adding = False
        self.message_user(
            request,
            _("Copy this token now; it is not shown again: %(token)s") % {"token": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ServiceToken]) -> None:
        for token in queryset:
            service_token_revoke(token=token)
        self.message_user(request, _("Revoked %(count)d token(s).") % {"count": queryset.count()})
