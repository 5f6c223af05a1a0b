"""Writing the audit log. Reading it is admin's job (audit/admin.py)."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.enums import AuditAction
from audit.models import AuditEntry
from common.errors import ApplicationError
from creators.models import User

REASON_MAX_LENGTH = 2_000


def audit_record(
    *,
    actor: User,
    action: AuditAction | str,
    target: models.Model,
    reason: str,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record that staff member ``actor`` did ``action`` to ``target`` because of ``reason``.

    Precondition: the caller is inside the ``transaction.atomic`` block that makes the change, so
    the change and its entry commit together or not at all; outside one this raises RuntimeError
    rather than write an entry that could outlive a rolled-back change. Refuses a blank reason
    (``reason_required``) and an actor who is not staff (``permission_denied``). ``details`` holds
    amounts and before/after values (JSON; dates and decimals are encoded as text). ``request``
    gives the IP address (REMOTE_ADDR: the address the server saw, which behind a proxy is the
    proxy's unless the deployment rewrites it).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record() must run inside the transaction of the change it records")
    reason = (reason or "").strip()
    if not reason:
        message = _("Give a reason: it is kept in the audit log.")
        raise ApplicationError(message, code="reason_required", fields={"reason": [message]})
    if not (getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False)):
        raise ApplicationError(
            _("Only staff actions are recorded in the audit log."), code="permission_denied", status_code=403
        )
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if target.pk is None:
        raise ValueError("the target of an audit entry must be saved first")
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        reason=reason[:REASON_MAX_LENGTH],
        details=details or {},
        ip_address=(request.META.get("REMOTE_ADDR") or None) if request is not None else None,
    )
