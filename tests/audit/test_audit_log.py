"""The audit log itself: written only inside a transaction, never changed, read-only in admin."""

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, models, transaction
from django.urls import reverse
from django.utils.html import escape

from audit.enums import AuditAction
from audit.models import AuditEntry, AuditLogImmutableError
from audit.services import audit_record
from common.errors import ApplicationError
from tests.conftest import make_user
from tests.shops.factories import make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(staff, creator):
    shop = make_shop(creator)
    with transaction.atomic():
        return audit_record(
            actor=staff,
            action=AuditAction.SHOP_CLOSE,
            target=shop,
            reason="Counterfeit goods",
            details={"before": {"status": "open"}},
        )


# ---------------------------------------------------------------- the service


def test_an_entry_keeps_who_what_when_and_why(entry, staff):
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor == staff and entry.action == "shop_close" and entry.reason == "Counterfeit goods"
    assert entry.target_type.model == "shop" and entry.target_repr == "Minji's shop"
    assert entry.target_id == str(entry.target.pk) and entry.created_at is not None
    assert entry.details == {"before": {"status": "open"}} and entry.ip_address is None


def test_a_blank_reason_is_refused(staff, creator):
    with pytest.raises(ApplicationError) as error, transaction.atomic():
        audit_record(actor=staff, action=AuditAction.SHOP_CLOSE, target=make_shop(creator), reason=" \n ")
    assert error.value.code == "reason_required"
    assert not AuditEntry.objects.exists()


def test_only_staff_actions_are_recorded(creator):
    with pytest.raises(ApplicationError) as error, transaction.atomic():
        audit_record(actor=creator.user, action=AuditAction.SHOP_CLOSE, target=make_shop(creator), reason="x")
    assert error.value.code == "permission_denied"


def test_an_entry_is_written_only_inside_the_transaction_of_its_change(staff, creator, monkeypatch):
    shop = make_shop(creator)
    # What autocommit looks like to the service (pytest's own test transaction hides it otherwise).
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=staff, action=AuditAction.SHOP_CLOSE, target=shop, reason="x")
    monkeypatch.undo()
    assert not AuditEntry.objects.exists()


def test_a_rolled_back_change_leaves_no_entry(staff, creator):
    shop = make_shop(creator)
    with pytest.raises(ValueError), transaction.atomic():
        audit_record(actor=staff, action=AuditAction.SHOP_CLOSE, target=shop, reason="x")
        raise ValueError("the change failed after its entry was written")
    assert not AuditEntry.objects.exists()


# ---------------------------------------------------------------- immutable


def test_the_orm_refuses_to_change_or_delete_an_entry(entry):
    entry.reason = "something kinder"
    with pytest.raises(AuditLogImmutableError):
        entry.save()
    with pytest.raises(AuditLogImmutableError):
        entry.delete()
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AuditLogImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get().reason == "Counterfeit goods"


def test_postgres_refuses_update_and_delete_in_raw_sql(postgres_only, entry):
    for sql in (
        "UPDATE audit_auditentry SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get().reason == "Counterfeit goods"


def test_the_actor_of_an_entry_cannot_be_deleted(entry, staff):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        staff.delete()
    assert AuditEntry.objects.filter(actor=staff).exists()


# ---------------------------------------------------------------- admin


def test_staff_see_the_log_and_can_filter_and_search_it(client, staff, entry):
    client.force_login(staff)
    url = reverse("admin:audit_auditentry_changelist")
    html = client.get(url).content.decode()
    assert "Counterfeit goods" in html and escape(entry.target_repr) in html
    assert "Counterfeit goods" in client.get(url, {"q": "minji"}).content.decode()
    assert "Counterfeit goods" not in client.get(url, {"q": "no such shop"}).content.decode()
    assert "Counterfeit goods" in client.get(url, {"action__exact": "shop_close"}).content.decode()
    assert "Counterfeit goods" not in client.get(url, {"action__exact": "refund"}).content.decode()
    assert "Counterfeit goods" in client.get(url, {"actor__id__exact": staff.pk}).content.decode()
    detail = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


def test_not_even_a_superuser_can_add_change_or_delete_entries(client, staff, entry):
    client.force_login(staff)
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {"reason": "rewritten"})
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    assert (
        client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    changelist = client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert AuditEntry.objects.get().reason == "Counterfeit goods"


def test_non_staff_are_sent_to_the_admin_login(client, creator, entry):
    client.force_login(creator.user)
    response = client.get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 302


def test_staff_without_the_view_permission_are_refused_then_allowed_with_it(client, entry):
    clerk = make_user("clerk@example.com", display_name="Clerk")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    client.force_login(clerk)
    url = reverse("admin:audit_auditentry_changelist")
    assert client.get(url).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403


def test_postgres_refuses_orm_writes_that_go_around_the_model_guards(postgres_only, entry):
    rows = AuditEntry.objects.filter(pk=entry.pk)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        models.QuerySet.update(rows, reason="rewritten")  # the plain QuerySet.update, no guard
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        models.QuerySet._raw_delete(rows, rows.db)
    assert AuditEntry.objects.get().reason == "Counterfeit goods"


def test_the_changelist_costs_the_same_queries_for_one_entry_or_many(client, staff, entry):
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    url = reverse("admin:audit_auditentry_changelist")
    client.get(url)  # warm the content-type cache
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    with transaction.atomic():
        for n in range(5):
            audit_record(
                actor=staff,
                action=AuditAction.SHOP_REOPEN,
                target=make_user(f"user{n}@example.com", display_name=f"User {n}"),
                reason="x",
            )
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("Shop reopened") >= 5
    assert len(many) == len(one)
