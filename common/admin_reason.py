"""Staff changes to money, standing or programmes in admin: ask "why?", then audit them.

- Actions go through ``reason_action``: the first POST (from the changelist's action menu)
  answers an intermediate page with a required reason; the confirmation POST (``apply``) calls
  the action with the cleaned form. ``audited_each`` then runs the change for each selected
  object inside one transaction with its audit_record(), so a refused or failed change leaves
  no entry and no change happens without one.
- Change forms go through ``AuditedChangeAdminMixin``: the add, change and delete pages ask for
  a reason and record the audited fields before and after, inside the admin view's own
  transaction (Django runs changeform_view and delete_view in transaction.atomic).
"""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.db import transaction
from django.db.models import Field, Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from common.errors import ApplicationError
from creators.selectors import user_from_request

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a dev dependency: for mypy only
else:
    StrOrPromise = str

TEMPLATE = "admin/action_reason.html"
REASON_FIELD = "audit_reason"  # the reason field that AuditedChangeAdminMixin adds to change forms
M = TypeVar("M", bound=Model)


class ReasonForm(forms.Form):
    """The reason for a staff action. Subclass it to ask for more (a programme, a share…)."""

    reason = forms.CharField(
        label=_("Reason"),
        # The services keep the reason on their own rows too (standing events, cancelled runs,
        # commission reviews), in 300 characters.
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required. Kept in the audit log with your name, the time and what changed."),
    )


# body(modeladmin, request, queryset, form): a ModelAdmin method or a plain function.
ReasonActionBody = Callable[..., HttpResponse | None]


def reason_action(
    *,
    description: StrOrPromise,
    form_class: type[forms.Form] = ReasonForm,
    intro: StrOrPromise = "",
    permissions: list[str] | None = None,
) -> Callable[[ReasonActionBody], Callable[..., HttpResponse | None]]:
    """Decorate ``body(modeladmin, request, queryset, form)`` into an admin action that asks for a reason.

    Works on ModelAdmin methods (``self`` is the modeladmin) and on plain functions alike. The
    action keeps the body's ``__name__``, which is its value in the action menu.
    """

    def decorate(body: ReasonActionBody) -> Callable[..., HttpResponse | None]:
        def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
            form = form_class(request.POST if "apply" in request.POST else None)
            if form.is_valid():
                return body(modeladmin, request, queryset, form)
            return reason_page(modeladmin, request, queryset, form=form, title=description, intro=intro)

        action.__name__ = body.__name__
        action.__doc__ = body.__doc__
        return admin.action(description=description, permissions=permissions)(action)

    return decorate


def reason_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form: forms.Form,
    title: StrOrPromise,
    intro: StrOrPromise = "",
) -> TemplateResponse:
    """The intermediate page: what is about to change, the form, and Confirm / Back."""
    opts = modeladmin.model._meta
    objects = list(queryset[:101])  # a page, not the whole table, when "select all" was used
    return TemplateResponse(
        request,
        TEMPLATE,
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "objects": objects[:100],
            "more": len(objects) > 100,
            "count": queryset.count(),
            "action_name": request.POST.get("action"),
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "opts": opts,
            "app_label": opts.app_label,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def audited_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[M],
    *,
    change: Callable[[M], Any],
    action: str,
    reason: str,
    before: Callable[[M], dict[str, Any]] | None = None,
    details: Callable[[M, Any], dict[str, Any]] | None = None,
    label: Callable[[M], str] = str,
) -> int:
    """For each object: ``change(obj)`` and its audit entry in one transaction; return how many succeeded.

    ``before(obj)``, taken just before the change, is kept as the entry's ``details["before"]``;
    ``details(obj, result)`` adds to it from the object and what ``change`` returned (amounts,
    the state after). An ApplicationError rolls that object's change back (and its entry with it) and
    is shown to staff as an error message; the other objects carry on.
    """
    actor = user_from_request(request)
    done = 0
    for obj in objects:
        try:
            with transaction.atomic():
                recorded = {"before": before(obj)} if before else {}
                result = change(obj)
                recorded.update(details(obj, result) if details else {})
                # Services that return the row they changed (locked and fresh) give the better repr.
                fresh = type(result) is type(obj) and result.pk == obj.pk
                audit_record(
                    actor=actor,
                    action=action,
                    target=result if fresh else obj,
                    reason=reason,
                    details=recorded,
                    request=request,
                )
        except ApplicationError as exc:
            modeladmin.message_user(
                request,
                _("%(object)s: %(error)s") % {"object": label(obj), "error": exc.message},
                messages.ERROR,
            )
        else:
            done += 1
    return done


def _change_reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for this change"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_(
            "Required. Kept in the audit log with your name, the time and the values before and after."
        ),
    )


class AuditedChangeAdminMixin:
    """ModelAdmin mixin: adding, changing or deleting a row asks for a reason and records an audit entry.

    Set ``audit_action`` (or override ``audit_action_for``) and ``audit_fields``, the fields whose
    values are recorded before and after; override ``audit_snapshot`` to record more (inlines).
    The bulk "delete selected" action is removed: a deletion goes through the delete page, which
    asks for the reason.
    """

    audit_action: str = ""
    audit_fields: tuple[str, ...] = ()
    delete_confirmation_template: Any = "admin/delete_with_reason.html"

    def audit_action_for(self, obj: Model, operation: str) -> str:
        return self.audit_action

    def audit_snapshot(self, obj: Model) -> dict[str, Any]:
        return {
            name: cast(Field, obj._meta.get_field(name)).value_from_object(obj) for name in self.audit_fields
        }

    def _may_edit(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return self.has_add_permission(request)  # type: ignore[attr-defined]
        return self.has_change_permission(request, obj)  # type: ignore[attr-defined]

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # The reason is a form field, not a model field: the model form is built without it.
        # (The change view passes the flattened fieldsets, which include it.)
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        if kwargs["fields"] is not None:
            kwargs["fields"] = [name for name in kwargs["fields"] if name != REASON_FIELD]
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if not self._may_edit(request, obj):
            return form
        return type(form.__name__, (form,), {REASON_FIELD: _change_reason_field()})

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != REASON_FIELD]})
            for name, options in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]
        if self._may_edit(request, obj):
            fieldsets.append((_("Audit log"), {"fields": [REASON_FIELD]}))
        return fieldsets

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            obj._audit_before = self.audit_snapshot(obj)  # before the form writes into it
        return obj

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        saved = type(form.instance)._default_manager.get(pk=form.instance.pk)
        operation = "change" if change else "add"
        audit_record(
            actor=user_from_request(request),
            action=self.audit_action_for(saved, operation),
            target=saved,
            reason=form.cleaned_data[REASON_FIELD],
            details={
                "operation": operation,
                "changed": [name for name in form.changed_data if name != REASON_FIELD],
                "before": getattr(form.instance, "_audit_before", None) if change else None,
                "after": self.audit_snapshot(saved),
            },
            request=request,
        )

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST" and not (request.POST.get(REASON_FIELD) or "").strip():
            self.message_user(  # type: ignore[attr-defined]
                request, _("Give a reason to delete it: it is kept in the audit log."), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        audit_record(
            actor=user_from_request(request),
            action=self.audit_action_for(obj, "delete"),
            target=obj,
            reason=request.POST.get(REASON_FIELD, ""),
            details={"operation": "delete", "before": self.audit_snapshot(obj), "after": None},
            request=request,
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions
