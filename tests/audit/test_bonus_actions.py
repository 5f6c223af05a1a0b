"""Bonus programmes in admin: run approvals and cancellations, invitations, programmes, formulas and
pool budgets, each change with its one audit entry."""

from datetime import date

import pytest
from django.urls import reverse

from audit.enums import AuditAction
from audit.models import AuditEntry
from bonuses.enums import RunStatus
from bonuses.models import FormulaVersion, Invitation, PoolBudget, Programme, Run
from tests.audit.conftest import REASON, ask, confirm, the_entry
from tests.bonuses.conftest import approved_award, programme  # noqa: F401
from tests.bonuses.factories import computed_run, enrol, ingest, make_programme, march

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(programme, creator):  # noqa: F811
    enrol(programme, creator)
    ingest(creator, {"views": 10_000, "day": 10})  # ₩500
    return computed_run(march(programme))


def test_approving_a_run_is_recorded_with_its_totals(staff_client, staff, computed):
    assert ask(staff_client, "bonuses_run", "approve_runs", [computed.pk]).status_code == 200
    assert Run.objects.get().status == RunStatus.COMPUTED and not AuditEntry.objects.exists()
    confirm(staff_client, "bonuses_run", "approve_runs", [computed.pk])
    run = Run.objects.get()
    assert run.status == RunStatus.APPROVED and run.approved_by == staff
    entry = the_entry(action=AuditAction.BONUS_RUN_APPROVE, target=run, actor=staff)
    assert entry.details["before"]["status"] == RunStatus.COMPUTED
    assert entry.details["after"] == {"status": RunStatus.APPROVED, "totals": run.totals}


def test_a_second_approval_is_refused_and_not_recorded(staff_client, computed):
    confirm(staff_client, "bonuses_run", "approve_runs", [computed.pk])
    page = confirm(staff_client, "bonuses_run", "approve_runs", [computed.pk])
    assert "run_already_approved" in page.content.decode()
    assert AuditEntry.objects.count() == 1


def test_cancelling_an_approved_run_is_recorded(staff_client, staff, approved_award):  # noqa: F811
    run = approved_award.run
    confirm(staff_client, "bonuses_run", "cancel_runs", [run.pk], reason="Bad engagement data")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.cancel_reason == "Bad engagement data"
    entry = the_entry(
        action=AuditAction.BONUS_RUN_CANCEL, target=run, actor=staff, reason="Bad engagement data"
    )
    assert entry.details["before"]["status"] == RunStatus.APPROVED


def test_inviting_creators_records_one_entry_for_the_programme(staff_client, staff, creator, other_creator):
    season = make_programme(ends_on=date(2099, 1, 1), monthly_periods=False)
    page = ask(staff_client, "bonuses_invitablecreator", "invite_to_programme", [creator.pk])
    assert 'name="programme"' in page.content.decode() and 'name="reason"' in page.content.decode()
    confirm(
        staff_client,
        "bonuses_invitablecreator",
        "invite_to_programme",
        [creator.pk, other_creator.pk],
        programme=season.pk,
    )
    assert Invitation.objects.count() == 2
    entry = the_entry(action=AuditAction.PROGRAMME_INVITE, target=season, actor=staff)
    assert entry.details == {"invited": ["minji", "sora"], "refused": {}}


# ---------------------------------------------------------------- change forms

PROGRAMME_FORM = {
    "name": "Spring",
    "slug": "spring",
    "public_description": "",
    "starts_on": "2026-03-01",
    "ends_on": "2026-04-30",
    "countries": '["KR", "JP", "US"]',
    "formats": '["reel", "carousel"]',
    "funding_mode": "rate_card",
    "invitation_only": "on",
    "min_followers": "0",
    "notice_days": "30",
    "periods-TOTAL_FORMS": "0",
    "periods-INITIAL_FORMS": "0",
}


def test_creating_and_changing_a_programme_are_recorded_with_before_and_after(staff_client, staff):
    staff_client.post(reverse("admin:bonuses_programme_add"), PROGRAMME_FORM)
    assert not Programme.objects.exists()  # no reason, no programme

    staff_client.post(
        reverse("admin:bonuses_programme_add"), {**PROGRAMME_FORM, "audit_reason": "Spring pilot"}
    )
    spring = Programme.objects.get()
    assert spring.periods.count() == 2
    added = the_entry(action=AuditAction.PROGRAMME_CHANGE, target=spring, actor=staff, reason="Spring pilot")
    assert added.details["operation"] == "add" and added.details["after"]["min_followers"] == 0

    staff_client.post(
        reverse("admin:bonuses_programme_change", args=[spring.pk]),
        {**PROGRAMME_FORM, "min_followers": "1000", "audit_reason": REASON, "periods-INITIAL_FORMS": "0"},
    )
    spring.refresh_from_db()
    assert spring.min_followers == 1000
    changed = AuditEntry.objects.latest("id")
    assert (changed.action, changed.reason) == (AuditAction.PROGRAMME_CHANGE, REASON)
    assert (changed.details["before"]["min_followers"], changed.details["after"]["min_followers"]) == (
        0,
        1000,
    )


def test_publishing_a_formula_version_is_recorded(staff_client, staff, programme):  # noqa: F811
    data = {
        "programme": programme.pk,
        "rates": '{"KRW": {"reel": 60}, "JPY": {}, "USD": {}}',
        "weights": "{}",
        "caps": "{}",
        "branded_multiplier_bps": "5000",
        "max_posts": "150",
        "published_at_0": "2026-02-01",
        "published_at_1": "00:00:00",
        "audit_reason": "Higher reel rate for Korea",
    }
    staff_client.post(reverse("admin:bonuses_formulaversion_add"), data)
    version = FormulaVersion.objects.latest("number")
    assert version.number == 2 and version.rates["KRW"]["reel"] == 60
    entry = the_entry(
        action=AuditAction.FORMULA_PUBLISH, target=version, actor=staff, reason="Higher reel rate for Korea"
    )
    assert entry.details["after"]["rates"]["KRW"] == {"reel": 60}


def test_a_used_formula_version_shows_no_reason_field_and_records_nothing(staff_client, approved_award):  # noqa: F811
    version = approved_award.formula_version
    url = reverse("admin:bonuses_formulaversion_change", args=[version.pk])
    page = staff_client.get(url).content.decode()
    assert page and 'name="audit_reason"' not in page
    staff_client.post(url, {"max_posts": "1", "audit_reason": "sneaky"})
    assert FormulaVersion.objects.get(pk=version.pk).max_posts == 150 and not AuditEntry.objects.exists()


def test_a_pool_budget_change_is_recorded(staff_client, staff):
    period = make_programme(funding_mode="pool").periods.first()
    url = reverse("admin:bonuses_period_change", args=[period.pk])
    inline = {
        "pool_budgets-TOTAL_FORMS": "1",
        "pool_budgets-INITIAL_FORMS": "0",
        "pool_budgets-0-country": "KR",
        "pool_budgets-0-currency": "KRW",
        "pool_budgets-0-amount_minor": "5000000",
        "pool_budgets-0-period": period.pk,
    }
    staff_client.post(url, {**inline, "audit_reason": "Budget approved by finance"})
    assert PoolBudget.objects.get(period=period).amount_minor == 5_000_000
    entry = the_entry(
        action=AuditAction.POOL_BUDGET_CHANGE, target=period, actor=staff, reason="Budget approved by finance"
    )
    assert entry.details["before"] == {"pools": {}}
    assert entry.details["after"] == {"pools": {"KR": {"currency": "KRW", "amount_minor": 5_000_000}}}


def test_inviting_from_the_waiting_list_asks_for_a_reason_and_is_recorded(staff_client, staff, other_creator):
    from bonuses.services import interest_register

    season = make_programme(ends_on=date(2099, 1, 1), monthly_periods=False)
    interest = interest_register(programme_id=season.pk, creator=other_creator)
    assert ask(staff_client, "bonuses_interest", "invite_from_waiting_list", [interest.pk]).status_code == 200
    assert not Invitation.objects.exists()
    confirm(staff_client, "bonuses_interest", "invite_from_waiting_list", [interest.pk])
    assert Invitation.objects.get().creator == other_creator
    entry = the_entry(action=AuditAction.PROGRAMME_INVITE, target=season, actor=staff)
    assert entry.details == {"invited": ["sora"], "refused": {}}


def test_changing_an_unused_formula_version_is_recorded(staff_client, staff, programme):  # noqa: F811
    version = programme.formula_versions.get()
    url = reverse("admin:bonuses_formulaversion_change", args=[version.pk])
    data = {
        "rates": '{"KRW": {"reel": 55}, "JPY": {}, "USD": {}}',
        "weights": "{}",
        "caps": "{}",
        "branded_multiplier_bps": "5000",
        "max_posts": "150",
        "published_at_0": "2026-02-01",
        "published_at_1": "00:00:00",
        "audit_reason": "Typo in the Korean reel rate",
    }
    assert staff_client.post(url, data).status_code == 302
    version.refresh_from_db()
    assert version.rates["KRW"] == {"reel": 55}
    entry = the_entry(
        action=AuditAction.FORMULA_CHANGE, target=version, actor=staff, reason="Typo in the Korean reel rate"
    )
    assert entry.details["before"]["rates"]["KRW"]["reel"] == 50
    assert entry.details["after"]["rates"]["KRW"] == {"reel": 55}


def test_an_invitation_where_everyone_is_refused_records_nothing(staff_client, creator):
    season = make_programme(ends_on=date(2099, 1, 1), monthly_periods=False, min_followers=10_000_000)
    page = confirm(
        staff_client, "bonuses_invitablecreator", "invite_to_programme", [creator.pk], programme=season.pk
    )
    assert "@minji: not_eligible" in page.content.decode()
    assert not Invitation.objects.exists() and not AuditEntry.objects.exists()
