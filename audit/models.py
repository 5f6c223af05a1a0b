"""The staff audit log: one row per staff action on money, standing or programmes. Append-only.

Rows are written only by audit.services.audit_record(), inside the transaction of the change they
describe. They are never updated or deleted: PostgreSQL refuses it with a trigger
(migration 0002), and the model and its queryset refuse it in Python, which is all SQLite gets.
"""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.enums import AuditAction


class AuditLogImmutableError(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutableError("audit entries are append-only: UPDATE refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("audit entries are append-only: DELETE refused")

    # bulk_update goes through update(); _raw_delete is what cascades would use.
    def _raw_delete(self, using: Any) -> int:
        raise AuditLogImmutableError("audit entries are append-only: DELETE refused")


class AuditEntry(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("target type")
    )
    # Text, not an integer: the log outlives any assumption about the primary keys it points to.
    target_id = models.CharField(_("target id"), max_length=64)
    target = GenericForeignKey("target_type", "target_id")
    target_repr = models.CharField(_("target"), max_length=255)
    reason = models.TextField(_("reason"))
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="audit_reason_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutableError("audit entries are append-only: UPDATE refused")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutableError("audit entries are append-only: DELETE refused")
