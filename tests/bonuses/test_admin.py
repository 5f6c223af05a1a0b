"""Staff workflows in admin: every model listed, bulk invitations, runs computed/approved/cancelled, CSV."""

from datetime import date

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from bonuses.enums import RunStatus
from bonuses.models import Award, FormulaVersion, Invitation, Programme, Run
from tests.bonuses.factories import enrol, ingest, make_programme, march
from tests.conftest import make_creator

pytestmark = pytest.mark.django_db

# The periods inline of the programme form (read-only, but its management form is posted).
INLINE_MANAGEMENT = {"periods-TOTAL_FORMS": "0", "periods-INITIAL_FORMS": "0"}

MODELS = [
    "programme",
    "formulaversion",
    "period",
    "poolbudget",
    "invitation",
    "enrolment",
    "invitablecreator",
    "run",
    "runchunk",
    "award",
    "receipt",
    "estimate",
    "interest",
]


def test_every_bonus_model_has_a_working_admin_list(client, staff, approved_award):
    client.force_login(staff)
    for name in MODELS:
        assert client.get(reverse(f"admin:bonuses_{name}_changelist")).status_code == 200, name
    award_page = client.get(reverse("admin:bonuses_award_change", args=[approved_award.pk])).content.decode()
    assert "spring-reel" in award_page or "Receipt" in award_page


def test_creators_cannot_open_the_bonus_admin(client, creator):
    client.force_login(creator.user)
    assert client.get(reverse("admin:bonuses_run_changelist")).status_code == 302


def test_bulk_invite_from_a_filtered_creator_list(client, staff, creator, other_creator):
    programme = make_programme(ends_on=date(2099, 1, 1), monthly_periods=False)
    make_creator("amateur", country="US", professional=False)
    client.force_login(staff)
    changelist = reverse("admin:bonuses_invitablecreator_changelist")
    filtered = client.get(changelist, {"country__exact": "KR"}).content.decode()
    assert "minji" in filtered and "sora" not in filtered
    everyone = [creator.pk, other_creator.pk]
    amateur = make_creator("amateur2", country="US", professional=False)
    ask = client.post(changelist, {"action": "invite_to_programme", ACTION_CHECKBOX_NAME: everyone})
    assert ask.status_code == 200 and "Programme" in ask.content.decode()
    done = client.post(
        changelist,
        {
            "action": "invite_to_programme",
            ACTION_CHECKBOX_NAME: [*everyone, amateur.pk],
            "apply": "1",
            "programme": programme.pk,
            "reason": "spring pilot",
        },
        follow=True,
    ).content.decode()
    assert "2 creator(s) invited." in done and "@amateur2: not_eligible" in done
    assert set(Invitation.objects.values_list("creator__handle", flat=True)) == {"minji", "sora"}


def test_a_programme_with_a_backwards_window_is_refused_in_admin(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:bonuses_programme_add"),
        {
            "name": "Bad",
            "slug": "bad",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
            "countries": '["KR"]',
            "formats": '["reel"]',
            "funding_mode": "rate_card",
            "min_followers": "0",
            "notice_days": "30",
            **INLINE_MANAGEMENT,
        },
    )
    assert response.status_code == 200 and "end on or after" in response.content.decode()
    assert not Programme.objects.exists()


def test_a_programme_created_in_admin_gets_its_periods(client, staff):
    client.force_login(staff)
    client.post(
        reverse("admin:bonuses_programme_add"),
        {
            "name": "Spring",
            "slug": "spring",
            "starts_on": "2026-03-01",
            "ends_on": "2026-04-30",
            "countries": '["KR", "JP", "US"]',
            "formats": '["reel", "carousel"]',
            "funding_mode": "rate_card",
            "invitation_only": "on",
            "min_followers": "0",
            "notice_days": "30",
            "audit_reason": "spring pilot",
            **INLINE_MANAGEMENT,
        },
    )
    assert Programme.objects.get().periods.count() == 2


def test_a_used_formula_version_cannot_be_edited_in_admin(client, staff, approved_award):
    version = approved_award.formula_version
    client.force_login(staff)
    client.post(
        reverse("admin:bonuses_formulaversion_change", args=[version.pk]),
        {"rates": "{}", "weights": "{}", "caps": "{}", "branded_multiplier_bps": "0", "max_posts": "1"},
    )
    assert FormulaVersion.objects.get(pk=version.pk).max_posts == 150


def test_a_negative_rate_is_refused_in_admin(client, staff, programme):
    client.force_login(staff)
    response = client.post(
        reverse("admin:bonuses_formulaversion_add"),
        {
            "programme": programme.pk,
            "rates": '{"KRW": {"reel": -1}, "JPY": {}, "USD": {}}',
            "weights": "{}",
            "caps": "{}",
            "branded_multiplier_bps": "5000",
            "max_posts": "150",
            "published_at_0": "2026-02-01",
            "published_at_1": "00:00:00",
            "audit_reason": "test",
        },
    )
    assert response.status_code == 200 and "zero or more" in response.content.decode()
    assert programme.formula_versions.count() == 1


def test_runs_are_created_computed_approved_and_exported_from_admin(
    client, staff, programme, creator, django_capture_on_commit_callbacks
):
    enrol(programme, creator)
    ingest(creator, {"views": 10_000, "day": 10})  # ₩500
    client.force_login(staff)
    client.post(reverse("admin:bonuses_run_add"), {"period": march(programme).pk, "chunk_size": "100"})
    run = Run.objects.get()
    changelist = reverse("admin:bonuses_run_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "compute_runs", ACTION_CHECKBOX_NAME: [run.pk]})
    run.refresh_from_db()
    assert run.status == RunStatus.COMPUTED
    assert "1/1 (100%)" in client.get(changelist).content.decode()
    client.post(
        changelist, {"action": "approve_runs", ACTION_CHECKBOX_NAME: [run.pk], "apply": "1", "reason": "test"}
    )
    again = client.post(
        changelist,
        {"action": "approve_runs", ACTION_CHECKBOX_NAME: [run.pk], "apply": "1", "reason": "test"},
        follow=True,
    )
    assert "run_already_approved" in again.content.decode()
    csv = client.post(changelist, {"action": "export_csv", ACTION_CHECKBOX_NAME: [run.pk]})
    lines = csv.content.decode().strip().splitlines()
    award = Award.objects.get()
    assert lines[0].startswith("run_id,award_id,creator")
    assert lines[1].split(",")[:3] == [str(run.pk), str(award.pk), "minji"]
    assert f"bonus:award:{award.pk}" in lines[1] and ",500," in lines[1]


def test_cancel_from_admin_asks_for_a_reason_and_reverses(client, staff, approved_award):
    run = approved_award.run
    client.force_login(staff)
    changelist = reverse("admin:bonuses_run_changelist")
    ask = client.post(changelist, {"action": "cancel_runs", ACTION_CHECKBOX_NAME: [run.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    client.post(
        changelist,
        {"action": "cancel_runs", ACTION_CHECKBOX_NAME: [run.pk], "apply": "1", "reason": "bad data"},
    )
    run.refresh_from_db()
    approved_award.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and approved_award.reversal is not None


def test_staff_invite_from_the_waiting_list(client, staff, other_creator):
    from django.utils import timezone

    from bonuses.services import interest_register

    programme = make_programme(ends_on=timezone.now().date().replace(year=2099), monthly_periods=False)
    interest = interest_register(programme_id=programme.pk, creator=other_creator)
    client.force_login(staff)
    changelist = reverse("admin:bonuses_interest_changelist")
    listing = client.get(changelist).content.decode()
    assert "@sora" in listing and "✓" in listing  # eligible
    client.post(
        changelist,
        {
            "action": "invite_from_waiting_list",
            ACTION_CHECKBOX_NAME: [interest.pk],
            "apply": "1",
            "reason": "test",
        },
    )
    assert Invitation.objects.get().creator == other_creator
