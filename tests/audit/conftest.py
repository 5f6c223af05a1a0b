"""Helpers for the audit tests: run an admin action through its reason page, find the one entry."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEntry

REASON = "Ticket #4521: confirmed with the customer by phone"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def changelist(model: str) -> str:
    """``model`` as "app_model", e.g. "shops_order"."""
    return reverse(f"admin:{model}_changelist")


def ask(client, model: str, action: str, pks: list, **extra):
    """The first POST, from the changelist's action menu: answers the reason page."""
    return client.post(changelist(model), {"action": action, ACTION_CHECKBOX_NAME: pks, **extra})


def confirm(client, model: str, action: str, pks: list, reason: str = REASON, **extra):
    """The confirmation POST of the reason page."""
    data = {"action": action, ACTION_CHECKBOX_NAME: pks, "apply": "1", "reason": reason, **extra}
    return client.post(changelist(model), data, follow=True)


def the_entry(*, action: str, target, actor, reason: str = REASON) -> AuditEntry:
    """The only audit entry there is: of ``action`` on ``target`` by ``actor`` with ``reason``."""
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.reason) == (action, actor, reason)
    assert entry.target == target and entry.target_repr == str(target)[:255]
    assert entry.ip_address == "127.0.0.1"
    return entry
