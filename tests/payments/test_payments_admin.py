from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from payments.models import CommissionRule

MODELS = [
    "ledgeraccount",
    "ledgertransaction",
    "ledgerentry",
    "commissionrule",
    "connectedaccount",
    "payment",
    "hold",
    "refund",
    "payout",
    "webhookevent",
    "reconciliationreport",
    "idempotencyrecord",
]


def test_every_payments_model_has_an_admin_page(client, staff):
    client.force_login(staff)
    for model in MODELS:
        assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200, model


def test_the_default_commission_rules_are_seeded(db):
    rates = dict(CommissionRule.objects.filter(country="").values_list("source", "rate_bps"))
    assert rates == {"shop_sale": 500, "affiliate_commission": 1000, "sponsorship": 1000, "bonus": 0}


def test_a_rule_in_force_keeps_its_rate_but_can_be_closed(client, staff):
    client.force_login(staff)
    rule = CommissionRule.objects.get(source="shop_sale", country="")
    end = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    client.post(
        reverse("admin:payments_commissionrule_change", args=[rule.pk]),
        {
            "rate_bps": 1,
            "effective_to_0": end.strftime("%Y-%m-%d"),
            "effective_to_1": end.strftime("%H:%M:%S"),
            "note": "closing",
            "audit_reason": "closing",
        },
    )
    rule.refresh_from_db()
    assert (rule.rate_bps, rule.note) == (500, "closing")
    assert rule.effective_to is not None


def test_staff_add_a_country_rule_and_bad_rates_are_form_errors(client, staff):
    client.force_login(staff)
    url = reverse("admin:payments_commissionrule_add")
    start = timezone.now() + timedelta(days=1)
    form = {
        "source": "shop_sale",
        "country": "JP",
        "effective_from_0": start.strftime("%Y-%m-%d"),
        "effective_from_1": "00:00:00",
        "note": "Japan launch",
        "audit_reason": "Japan launch",
    }
    refused = client.post(url, {**form, "rate_bps": 20_000})
    assert refused.status_code == 200 and not CommissionRule.objects.filter(country="JP").exists()
    assert client.post(url, {**form, "rate_bps": 300}).status_code == 302
    assert CommissionRule.objects.get(country="JP").created_by == staff


def test_ledger_and_payments_are_read_only_to_staff(client, staff):
    client.force_login(staff)
    assert client.get(reverse("admin:payments_ledgerentry_add")).status_code == 403
    assert client.get(reverse("admin:payments_payment_add")).status_code == 403


def test_staff_run_a_reconciliation_from_the_report_list(client, staff, stripe_api):
    from payments.models import ReconciliationReport

    client.force_login(staff)
    page = client.get(reverse("admin:payments_reconciliationreport_changelist")).content.decode()
    assert "Run a reconciliation now" in page
    assert client.get(reverse("admin:payments_reconciliation_run")).status_code == 405
    response = client.post(reverse("admin:payments_reconciliation_run"), follow=True)
    report = ReconciliationReport.objects.get()
    assert (report.status, report.triggered_by) == ("clean", staff)
    assert "Reconciliation finished: Clean." in response.content.decode()
