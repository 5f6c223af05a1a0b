"""Payout retries and commission rules in admin: each change with its one audit entry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.enums import AuditAction
from audit.models import AuditEntry
from payments.enums import AccountKind, PayoutStatus
from payments.models import CommissionRule, ConnectedAccount, Payout, party_for_user
from tests.audit.conftest import REASON, ask, confirm, the_entry
from tests.payments.factories import balance_of, fund, user_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_payout(creator):
    """A failed payout whose money is back in `available`, and an account that is ready again."""
    user = creator.user
    connected = ConnectedAccount.objects.create(
        party=party_for_user(user),
        country="US",
        stripe_account_id="acct_audit",
        charges_enabled=True,
        payouts_enabled=True,
    )
    fund(user_account(user, AccountKind.AVAILABLE), 2500, reference="sale:audit")
    return Payout.objects.create(
        party=party_for_user(user),
        connected_account=connected,
        currency="USD",
        amount_minor=2500,
        run_key="2026-11-01",
        status=PayoutStatus.FAILED,
    )


def test_a_payout_retry_records_the_new_payout(staff_client, staff, failed_payout, creator):
    assert ask(staff_client, "payments_payout", "retry", [failed_payout.pk]).status_code == 200
    assert Payout.objects.count() == 1 and not AuditEntry.objects.exists()

    page = confirm(staff_client, "payments_payout", "retry", [failed_payout.pk])
    assert "Retry: 1 done." in page.content.decode()
    retry = Payout.objects.get(run_key=f"retry:{failed_payout.pk}")
    entry = the_entry(action=AuditAction.PAYOUT_RETRY, target=failed_payout, actor=staff)
    assert entry.details == {
        "before": {"status": "failed"},
        "party": failed_payout.party,
        "amount_minor": 2500,
        "currency": "USD",
        "retry_payout": retry.pk,
    }
    assert balance_of(user_account(creator.user, AccountKind.AVAILABLE)) == 0  # reserved for the retry


def test_a_payout_that_did_not_fail_is_not_retried_and_not_recorded(staff_client, failed_payout):
    Payout.objects.filter(pk=failed_payout.pk).update(status=PayoutStatus.PAID)
    page = confirm(staff_client, "payments_payout", "retry", [failed_payout.pk])
    assert "Only a failed payout can be retried." in page.content.decode()
    assert Payout.objects.count() == 1 and not AuditEntry.objects.exists()


# ---------------------------------------------------------------- commission rules (change form)


def rule_form(**fields):
    later = timezone.now() + timedelta(days=30)
    return {
        "source": "shop_sale",
        "country": "KR",
        "rate_bps": "800",
        "effective_from_0": later.strftime("%Y-%m-%d"),
        "effective_from_1": "00:00:00",
        "effective_to_0": "",
        "effective_to_1": "",
        "note": "Korea launch",
        **fields,
    }


def test_a_new_rule_needs_a_reason(staff_client):
    response = staff_client.post(reverse("admin:payments_commissionrule_add"), rule_form())
    assert response.status_code == 200 and "Reason for this change" in response.content.decode()
    assert not CommissionRule.objects.filter(country="KR").exists() and not AuditEntry.objects.exists()


def test_adding_changing_and_deleting_a_rule_are_each_recorded_with_before_and_after(staff_client, staff):
    staff_client.post(reverse("admin:payments_commissionrule_add"), rule_form(audit_reason="Korea pricing"))
    rule = CommissionRule.objects.get(country="KR")
    added = the_entry(
        action=AuditAction.COMMISSION_RULE_CHANGE, target=rule, actor=staff, reason="Korea pricing"
    )
    assert added.details["operation"] == "add" and added.details["before"] is None
    assert added.details["after"]["rate_bps"] == 800 and added.details["after"]["country"] == "KR"

    staff_client.post(
        reverse("admin:payments_commissionrule_change", args=[rule.pk]),
        rule_form(rate_bps="700", audit_reason=REASON),
    )
    rule.refresh_from_db()
    assert rule.rate_bps == 700
    changed = AuditEntry.objects.latest("id")
    assert (changed.reason, changed.details["operation"]) == (REASON, "change")
    assert (changed.details["before"]["rate_bps"], changed.details["after"]["rate_bps"]) == (800, 700)
    assert "rate_bps" in changed.details["changed"]

    delete_url = reverse("admin:payments_commissionrule_delete", args=[rule.pk])
    assert 'name="audit_reason"' in staff_client.get(delete_url).content.decode()
    staff_client.post(delete_url, {"post": "yes"})  # no reason: refused
    assert CommissionRule.objects.filter(pk=rule.pk).exists() and AuditEntry.objects.count() == 2
    staff_client.post(delete_url, {"post": "yes", "audit_reason": "Launch postponed"})
    assert not CommissionRule.objects.filter(pk=rule.pk).exists()
    deleted = AuditEntry.objects.latest("id")
    assert (deleted.action, deleted.reason, deleted.target_id) == (
        AuditAction.COMMISSION_RULE_CHANGE,
        "Launch postponed",
        str(rule.pk),
    )
    assert deleted.details["operation"] == "delete" and deleted.details["before"]["rate_bps"] == 700


def test_a_refused_rule_records_nothing(staff_client):
    staff_client.post(
        reverse("admin:payments_commissionrule_add"), rule_form(rate_bps="20000", audit_reason="typo")
    )
    assert not CommissionRule.objects.filter(country="KR").exists() and not AuditEntry.objects.exists()
