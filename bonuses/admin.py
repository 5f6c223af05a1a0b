"""Staff workflows for bonus programmes: every write goes through bonuses.services / bonuses.runs.

Programmes and formula versions are created through their services (validation, periods,
numbering); a used formula version is read-only. Runs are created, computed, approved and
cancelled by actions; awards and receipts are read-only records, exported as CSV per run.
"""

import csv
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from audit.enums import AuditAction
from audit.services import audit_record
from bonuses.enums import COUNTRY_CURRENCIES, RunStatus
from bonuses.models import (
    Award,
    Enrolment,
    Estimate,
    FormulaVersion,
    Interest,
    InvitableCreator,
    Invitation,
    Period,
    PoolBudget,
    Programme,
    Receipt,
    Run,
    RunChunk,
)
from bonuses.runs import run_approve, run_cancel, run_compute, run_create
from bonuses.services import (
    eligibility_problems,
    formula_terms_validate,
    formula_version_create,
    formula_version_update,
    invitations_bulk_create,
    programme_create,
    programme_validate,
)
from common.admin import ReadOnlyAdminMixin
from common.admin_reason import REASON_FIELD, AuditedChangeAdminMixin, ReasonForm, reason_action
from common.errors import ApplicationError
from creators.enums import Niche
from creators.selectors import user_from_request

# ---------------------------------------------------------------- programmes and formulas


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0
    fields = ["starts_on", "ends_on"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _form_error(error: ApplicationError) -> forms.ValidationError:
    return forms.ValidationError(error.message, code=error.code)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "slug",
            "public_description",
            "starts_on",
            "ends_on",
            "countries",
            "formats",
            "invitation_only",
            "funding_mode",
            "require_professional",
            "require_good_standing",
            "require_adult",
            "min_followers",
            "notice_days",
            "auto_invite",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            programme_validate(
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                countries=data.get("countries") or [],
                formats=data.get("formats") or [],
                funding_mode=data["funding_mode"],
                min_followers=data.get("min_followers") or 0,
            )
        except KeyError:
            pass  # a required field is missing: the form already says so
        except ApplicationError as exc:
            raise _form_error(exc) from exc
        return data


@admin.register(Programme)
class ProgrammeAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    form = ProgrammeForm
    audit_action = AuditAction.PROGRAMME_CHANGE
    audit_fields = tuple(ProgrammeForm.Meta.fields)
    list_display = [
        "name",
        "starts_on",
        "ends_on",
        "funding_mode",
        "invitation_only",
        "auto_invite",
        "countries",
    ]
    list_filter = ["funding_mode", "invitation_only", "auto_invite"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PeriodInline]

    def save_model(self, request: HttpRequest, obj: Programme, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {name: value for name, value in form.cleaned_data.items() if name != REASON_FIELD}
        obj.pk = programme_create(**data).pk  # validated by ProgrammeForm.clean


class FormulaVersionForm(forms.ModelForm):
    class Meta:
        model = FormulaVersion
        fields = [
            "programme",
            "rates",
            "weights",
            "caps",
            "branded_multiplier_bps",
            "max_posts",
            "published_at",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        programme = data.get("programme") or getattr(self.instance, "programme", None)
        if programme is None:
            return data
        try:
            formula_terms_validate(
                programme=programme,
                rates=data.get("rates") or {},
                weights=data.get("weights") or {},
                caps=data.get("caps") or {},
                branded_multiplier_bps=data.get("branded_multiplier_bps", 0),
                max_posts=data.get("max_posts", 0),
            )
        except ApplicationError as exc:
            raise _form_error(exc) from exc
        return data


@admin.register(FormulaVersion)
class FormulaVersionAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    form = FormulaVersionForm
    audit_fields = ("programme", "number", *FormulaVersionForm.Meta.fields[1:])
    list_display = ["programme", "number", "published_at", "locked_at", "branded_multiplier_bps", "max_posts"]
    list_filter = ["programme"]
    fields = ["programme", "rates", "weights", "caps", "branded_multiplier_bps", "max_posts", "published_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: FormulaVersion | None = None) -> list[str]:
        return ["programme"] if obj else []

    def audit_action_for(self, obj: Any, operation: str) -> str:
        return AuditAction.FORMULA_PUBLISH if operation == "add" else AuditAction.FORMULA_CHANGE

    def has_change_permission(self, request: HttpRequest, obj: FormulaVersion | None = None) -> bool:
        # A used version never changes: creators are held to it.
        return super().has_change_permission(request, obj) and (obj is None or obj.locked_at is None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: FormulaVersion, form: forms.ModelForm, change: bool
    ) -> None:
        data = dict(form.cleaned_data)
        data.pop(REASON_FIELD, None)
        if change:
            data.pop("programme", None)
            formula_version_update(version=obj, **data)
        else:
            obj.pk = formula_version_create(**data).pk


class PoolBudgetForm(forms.ModelForm):
    class Meta:
        model = PoolBudget
        fields = ["country", "currency", "amount_minor"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        country, currency = data.get("country"), data.get("currency")
        if country and COUNTRY_CURRENCIES.get(country) != currency:
            raise forms.ValidationError(
                _("A pool for %(country)s is paid in %(currency)s.")
                % {"country": country, "currency": COUNTRY_CURRENCIES.get(country, "?")},
                code="foreign_currency",
            )
        if (data.get("amount_minor") or 0) < 0:
            raise forms.ValidationError(_("A pool cannot be negative."), code="negative_value")
        return data


class PoolBudgetInline(admin.TabularInline):
    model = PoolBudget
    form = PoolBudgetForm
    extra = 0


@admin.register(Period)
class PeriodAdmin(AuditedChangeAdminMixin, admin.ModelAdmin):
    """A period's pool budgets (inline) are money: each save asks for a reason and is audited."""

    list_display = ["programme", "starts_on", "ends_on"]
    list_filter = ["programme"]
    inlines = [PoolBudgetInline]
    audit_action = AuditAction.POOL_BUDGET_CHANGE

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        pools = obj.pool_budgets.order_by("country") if obj.pk else []
        return {"pools": {p.country: {"currency": p.currency, "amount_minor": p.amount_minor} for p in pools}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # periods come with the programme (programme_create)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["programme", "starts_on", "ends_on"]


@admin.register(PoolBudget)
class PoolBudgetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["period", "country", "currency", "amount_minor"]
    list_filter = ["country"]


# ---------------------------------------------------------------- invitations


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["creator", "programme", "status", "source", "created_at", "responded_at"]
    list_filter = ["programme", "status", "source"]
    search_fields = ["creator__handle"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["creator", "programme", "formula_version", "enrolled_at"]
    list_filter = ["programme"]
    search_fields = ["creator__handle"]


class FollowersFilter(admin.SimpleListFilter):
    title = _("followers")
    parameter_name = "followers"
    BUCKETS = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, _("at least %(n)s") % {"n": f"{n:,}"}) for key, n in self.BUCKETS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in self.BUCKETS:
            return queryset.filter(followers__gte=self.BUCKETS[self.value()])
        return queryset


class NicheFilter(admin.SimpleListFilter):
    title = _("niche")
    parameter_name = "niche"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Niche.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(niches__has_item=self.value()) if self.value() else queryset


class InviteForm(ReasonForm):
    programme = forms.ModelChoiceField(queryset=Programme.objects.all(), label=_("Programme"))
    field_order = ["programme", "reason"]


def _invite_audited(
    modeladmin: admin.ModelAdmin, request: HttpRequest, programme: Programme, creators: Any, reason: str
) -> None:
    """Invite the creators (the service) and record one audit entry for the programme, together.

    When every creator is refused nothing changed, and nothing is recorded.
    """
    with transaction.atomic():
        made, refused = invitations_bulk_create(
            programme=programme, creators=creators, invited_by=request.user
        )
        if made:
            audit_record(
                actor=user_from_request(request),
                action=AuditAction.PROGRAMME_INVITE,
                target=programme,
                reason=reason,
                details={"invited": sorted(i.creator.handle for i in made), "refused": refused},
                request=request,
            )
    modeladmin.message_user(request, _("%(n)d creator(s) invited.") % {"n": len(made)})
    for handle, code in refused.items():
        modeladmin.message_user(request, f"@{handle}: {code}", messages.WARNING)


@reason_action(description=_("Invite to programme"), form_class=InviteForm)
def invite_to_programme(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: InviteForm
) -> None:
    """Ask for the programme and a reason on an intermediate page, then invite the selected creators."""
    _invite_audited(
        modeladmin, request, form.cleaned_data["programme"], queryset, form.cleaned_data["reason"]
    )


@admin.register(InvitableCreator)
class InvitableCreatorAdmin(admin.ModelAdmin):
    """Creators to invite: filter by country, followers, niche, account and standing; then invite."""

    list_display = [
        "handle",
        "country",
        "followers",
        "account_type",
        "policy_standing",
        "niche_list",
        "eligible",
    ]
    list_filter = ["country", FollowersFilter, NicheFilter, "account_type", "policy_standing"]
    search_fields = ["handle", "display_name"]
    actions = [invite_to_programme]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("niches"))
    def niche_list(self, obj: InvitableCreator) -> str:
        return ", ".join(obj.niches)

    @admin.display(description=_("eligible for the newest programme"))
    def eligible(self, obj: InvitableCreator) -> str:
        programme = Programme.objects.order_by("-starts_on").first()
        if programme is None:
            return "—"
        problems = eligibility_problems(creator=obj, programme=programme)
        return ", ".join(problems) or "✓"


@reason_action(description=_("Invite to their programme"))
def invite_from_waiting_list(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: ReasonForm
) -> None:
    """Invite the selected creators of the waiting list to the programme they asked for (the service)."""
    by_programme: dict[Programme, list[Any]] = {}
    for interest in queryset.select_related("programme", "creator"):
        by_programme.setdefault(interest.programme, []).append(interest.creator)
    for programme, creators in by_programme.items():
        _invite_audited(modeladmin, request, programme, creators, form.cleaned_data["reason"])


@admin.register(Interest)
class InterestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The waiting list: each creator's figures and eligibility, and an action to invite them."""

    list_display = [
        "creator",
        "programme",
        "country",
        "followers",
        "posts",
        "eligibility",
        "invited",
        "created_at",
    ]
    list_filter = ["programme", "creator__country"]
    search_fields = ["creator__handle"]
    actions = [invite_from_waiting_list]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("programme", "creator")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("country"))
    def country(self, obj: Interest) -> str:
        return obj.creator.country

    @admin.display(description=_("followers"))
    def followers(self, obj: Interest) -> int:
        return obj.creator.followers

    @admin.display(description=_("posts"))
    def posts(self, obj: Interest) -> int:
        return obj.creator.posts.filter(is_deleted=False).count()

    @admin.display(description=_("eligibility"))
    def eligibility(self, obj: Interest) -> str:
        return ", ".join(eligibility_problems(creator=obj.creator, programme=obj.programme)) or "✓"

    @admin.display(description=_("invited"), boolean=True)
    def invited(self, obj: Interest) -> bool:
        return obj.programme.invitations.filter(creator=obj.creator).exists()


# ---------------------------------------------------------------- runs, awards, receipts


def _error(obj: object, exc: ApplicationError) -> str:
    return _("%(object)s: %(error)s (%(code)s)") % {"object": obj, "error": exc.message, "code": exc.code}


class RunForm(forms.ModelForm):
    class Meta:
        model = Run
        fields = ["period", "chunk_size"]


def _each_run(service: Callable[..., Any], label: str, name: str) -> Callable[..., None]:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for run in queryset.order_by("pk"):
            try:
                service(run, request)
            except ApplicationError as exc:
                modeladmin.message_user(request, _error(run, exc), messages.ERROR)
            else:
                modeladmin.message_user(request, _("%(object)s: %(error)s") % {"object": run, "error": label})

    action.__name__ = name
    action.short_description = label  # type: ignore[attr-defined]
    return action


def _compute(run: Run, request: HttpRequest) -> None:
    run_compute(run=run)


def _audited_runs(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    change: Callable[[Run], Run],
    action: str,
    reason: str,
    done_message: Callable[[Run], str],
) -> None:
    """Each run's change with its audit entry (status and totals before and after)."""
    for run in queryset.order_by("pk"):
        try:
            with transaction.atomic():
                before = {"status": run.status, "totals": run.totals}
                changed = change(run)
                audit_record(
                    actor=user_from_request(request),
                    action=action,
                    target=changed,
                    reason=reason,
                    details={"before": before, "after": {"status": changed.status, "totals": changed.totals}},
                    request=request,
                )
        except ApplicationError as exc:
            modeladmin.message_user(request, _error(run, exc), messages.ERROR)
        else:
            modeladmin.message_user(request, done_message(run))


@reason_action(
    description=_("Approve and post to the ledger"),
    intro=_("Every eligible award of each run is posted to the ledger and paid with the next payouts."),
)
def approve_runs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: ReasonForm
) -> None:
    _audited_runs(
        modeladmin,
        request,
        queryset,
        change=lambda run: run_approve(run=run, actor=request.user),
        action=AuditAction.BONUS_RUN_APPROVE,
        reason=form.cleaned_data["reason"],
        done_message=lambda run: (
            _("%(object)s: %(error)s") % {"object": run, "error": _("Approve and post to the ledger")}
        ),
    )


@reason_action(
    description=_("Cancel (reverse approved awards)"),
    intro=_("Cancel these runs. Approved awards are reversed with reversing ledger transactions."),
)
def cancel_runs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, form: ReasonForm
) -> None:
    reason = form.cleaned_data["reason"]
    _audited_runs(
        modeladmin,
        request,
        queryset,
        change=lambda run: run_cancel(run=run, actor=request.user, reason=reason),
        action=AuditAction.BONUS_RUN_CANCEL,
        reason=reason,
        done_message=lambda run: _("%(run)s: cancelled") % {"run": run},
    )


CSV_COLUMNS = [
    "award_id",
    "creator",
    "country",
    "currency",
    "eligible",
    "ineligible_reason",
    "posts_counted",
    "amount_minor",
    "pool_total_minor",
    "ledger_reference",
    "reversed",
]


@admin.action(description=_("Export awards as CSV"))
def export_csv(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="bonus-runs.csv"'
    writer = csv.writer(response)
    writer.writerow(["run_id", *CSV_COLUMNS])
    awards = (
        Award.objects.filter(run__in=queryset)
        .select_related("creator", "ledger_transaction")
        .order_by("run_id", "creator_id")
    )
    for a in awards.iterator(chunk_size=2_000):
        writer.writerow(
            [
                a.run_id,
                a.pk,
                a.creator.handle,
                a.country,
                a.currency,
                a.eligible,
                a.ineligible_reason,
                a.posts_counted,
                a.amount_minor,
                "" if a.pool_total_minor is None else a.pool_total_minor,
                a.ledger_transaction.reference if a.ledger_transaction else "",
                a.reversal_id is not None,
            ]
        )
    return response


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "programme",
        "period",
        "status",
        "progress",
        "totals",
        "computed_at",
        "approved_at",
    ]
    list_filter = ["status", "programme"]
    actions = [
        _each_run(_compute, _("Compute (chunks queued for the workers)"), "compute_runs"),
        approve_runs,
        cancel_runs,
        export_csv,
    ]
    readonly_fields = [
        "programme",
        "status",
        "formula_version",
        "progress",
        "chunks_total",
        "chunks_done",
        "computed_at",
        "approved_at",
        "approved_by",
        "cancelled_at",
        "cancel_reason",
        "totals",
        "created_by",
    ]

    def get_form(
        self, request: HttpRequest, obj: Run | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RunForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Run | None = None) -> list[str]:
        return ["period", "chunk_size"] if obj is None else ["period", "chunk_size", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Run | None = None) -> list[str]:
        return [] if obj is None else ["period", "chunk_size", *self.readonly_fields]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress (chunks)"))
    def progress(self, obj: Run) -> str:
        if obj.chunks_total == 0:
            return "—" if obj.status == RunStatus.DRAFT else "0/0"
        return f"{obj.chunks_done}/{obj.chunks_total} ({obj.chunks_done * 100 // obj.chunks_total}%)"

    def save_model(self, request: HttpRequest, obj: Run, form: forms.ModelForm, change: bool) -> None:
        if change:
            return
        obj.pk = run_create(
            period=form.cleaned_data["period"], actor=request.user, chunk_size=form.cleaned_data["chunk_size"]
        ).pk


@admin.register(RunChunk)
class RunChunkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["run", "index", "status", "attempts", "finished_at"]
    list_filter = ["status"]


class ReceiptInline(admin.TabularInline):
    model = Receipt
    extra = 0
    can_delete = False
    fields = [
        "post",
        "format",
        "counted",
        "views",
        "invalid_views",
        "q_views",
        "likes",
        "q_likes",
        "comments",
        "q_comments",
        "shares",
        "q_shares",
        "multiplier_bps",
        "value",
        "rules",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["creator", "run", "country", "currency", "amount_minor", "eligible", "ineligible_reason"]
    list_filter = ["eligible", "currency", "run"]
    search_fields = ["creator__handle"]
    inlines = [ReceiptInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the change page shows the award read-only with its receipts


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["award", "post", "format", "counted", "q_views", "value"]
    list_filter = ["counted", "format"]


@admin.register(Estimate)
class EstimateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["enrolment", "period", "currency", "approximate_minor", "maximum_minor", "computed_at"]
