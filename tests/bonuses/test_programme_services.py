"""Programmes, periods, pools, formula versions, invitations and enrolment: the rules and their codes."""

from datetime import UTC, date, datetime

import pytest

from bonuses.enums import FundingMode, Ineligible, InvitationStatus
from bonuses.models import Enrolment, FormulaVersion, Invitation, Period, PoolBudget, Programme
from bonuses.services import (
    eligibility_problems,
    formula_for_period,
    formula_version_update,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitations_bulk_create,
    period_create,
    pool_budget_set,
    programme_auto_invite,
)
from common.errors import ApplicationError, NotFoundError
from common.money import Money
from creators.services import creator_strike_add, creator_suspend
from tests.bonuses.factories import INVITED_AT, enrol, make_formula, make_programme, march
from tests.conftest import make_creator

pytestmark = pytest.mark.django_db


def code_of(excinfo) -> str:
    return excinfo.value.code


def test_a_programme_gets_monthly_periods_inside_its_window():
    programme = make_programme(starts_on=date(2026, 3, 15), ends_on=date(2026, 5, 10))
    assert [(p.starts_on, p.ends_on) for p in programme.periods.all()] == [
        (date(2026, 3, 15), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 5, 10)),
    ]
    assert programme.countries == ["KR", "JP", "US"] and programme.invitation_only


def test_a_window_that_ends_before_it_starts_is_refused():
    with pytest.raises(ApplicationError) as excinfo:
        make_programme(starts_on=date(2026, 5, 1), ends_on=date(2026, 4, 1))
    assert code_of(excinfo) == "invalid_window"
    assert not Programme.objects.exists()


def test_unsupported_countries_and_negative_minimums_are_refused():
    with pytest.raises(ApplicationError) as excinfo:
        make_programme(countries=["FR"])
    assert code_of(excinfo) == "unsupported_country"
    with pytest.raises(ApplicationError) as excinfo:
        make_programme(min_followers=-1)
    assert code_of(excinfo) == "negative_value"
    assert not Programme.objects.exists()


def test_a_period_outside_the_window_is_refused():
    programme = make_programme()
    with pytest.raises(ApplicationError) as excinfo:
        period_create(programme=programme, starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30))
    assert code_of(excinfo) == "period_outside_window"
    assert programme.periods.count() == 3


def test_negative_rates_and_caps_are_refused():
    programme = make_programme()
    with pytest.raises(ApplicationError) as excinfo:
        make_formula(programme, rates={"KRW": {"reel": -1}, "JPY": {}, "USD": {}})
    assert code_of(excinfo) == "negative_value"
    with pytest.raises(ApplicationError) as excinfo:
        make_formula(programme, caps={"USD": {"post": -5, "creator": None}})
    assert code_of(excinfo) == "negative_value"
    assert not FormulaVersion.objects.exists()


def test_a_rate_card_in_a_foreign_currency_is_refused():
    programme = make_programme(countries=["US"])
    with pytest.raises(ApplicationError) as excinfo:
        make_formula(programme, rates={"EUR": {"reel": 10}})
    assert code_of(excinfo) == "foreign_currency"


def test_a_pool_in_a_currency_foreign_to_its_country_is_refused():
    programme = make_programme(funding_mode=FundingMode.POOL)
    with pytest.raises(ApplicationError) as excinfo:
        pool_budget_set(period=march(programme), country="JP", amount=Money(100_00, "USD"))
    assert code_of(excinfo) == "foreign_currency"
    assert not PoolBudget.objects.exists()
    pool_budget_set(period=march(programme), country="JP", amount=Money(1_000_000, "JPY"))
    assert PoolBudget.objects.get().amount_minor == 1_000_000


def test_formula_versions_are_numbered_and_immutable_once_used(creator):
    programme = make_programme()
    first = make_formula(programme)
    assert first.number == 1
    formula_version_update(version=first, max_posts=100)  # unused: may still change
    enrol(programme, creator)
    first.refresh_from_db()
    assert first.locked_at is not None
    with pytest.raises(ApplicationError) as excinfo:
        formula_version_update(version=first, max_posts=10)
    assert code_of(excinfo) == "formula_locked"
    assert make_formula(programme).number == 2


def test_a_new_version_applies_to_an_enrolled_creator_only_after_the_notice_period(creator):
    programme = make_programme()
    pinned = make_formula(programme)
    enrolment = enrol(programme, creator)
    newer = make_formula(programme, published_at=datetime(2026, 3, 20, tzinfo=UTC))
    versions = [pinned, newer]
    april, may = Period.objects.filter(programme=programme).order_by("starts_on")[1:3]
    # Published 20 March: 30 days later is 19 April — after April starts, before May starts.
    assert formula_for_period(enrolment=enrolment, period=april, versions=versions) == pinned
    assert formula_for_period(enrolment=enrolment, period=may, versions=versions) == newer


def test_eligibility_reasons(creator):
    programme = make_programme(min_followers=1000)
    assert eligibility_problems(creator=creator, programme=programme) == [Ineligible.FOLLOWERS]
    personal = make_creator("personal.one", professional=False)
    assert Ineligible.NOT_PROFESSIONAL in eligibility_problems(creator=personal, programme=programme)
    french = make_creator("pierre", country="FR")
    assert Ineligible.COUNTRY in eligibility_problems(creator=french, programme=programme)


def test_invite_accept_enrols_with_the_current_version_pinned(creator):
    programme = make_programme()
    version = make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    enrolment = invitation_accept(invitation_id=invitation.pk, creator=creator, now=INVITED_AT)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert enrolment.formula_version == version


def test_an_invitation_is_answered_once(creator):
    programme = make_programme()
    make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    invitation_decline(invitation_id=invitation.pk, creator=creator)
    with pytest.raises(ApplicationError) as excinfo:
        invitation_accept(invitation_id=invitation.pk, creator=creator, now=INVITED_AT)
    assert code_of(excinfo) == "invitation_answered"
    assert not Enrolment.objects.exists()


def test_another_creator_cannot_answer_an_invitation(creator, other_creator):
    programme = make_programme()
    make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    with pytest.raises(NotFoundError):
        invitation_accept(invitation_id=invitation.pk, creator=other_creator, now=INVITED_AT)


def test_enrolment_after_the_window_closed_is_refused(creator):
    programme = make_programme()
    make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    with pytest.raises(ApplicationError) as excinfo:
        invitation_accept(invitation_id=invitation.pk, creator=creator, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert code_of(excinfo) == "programme_closed"
    assert not Enrolment.objects.exists()


def test_accepting_after_a_suspension_is_refused(creator, staff):
    programme = make_programme()
    make_formula(programme)
    invitation = invitation_create(programme=programme, creator=creator, invited_by=None, now=INVITED_AT)
    creator_suspend(creator=creator, actor=staff, reason="spam")
    with pytest.raises(ApplicationError) as excinfo:
        invitation_accept(invitation_id=invitation.pk, creator=creator, now=INVITED_AT)
    assert code_of(excinfo) == "not_eligible"


def test_bulk_invite_reports_who_was_not_invited(creator, other_creator, staff):
    programme = make_programme(ends_on=date(2099, 1, 1))
    creator_strike_add(creator=other_creator, actor=staff, reason="a")
    creator_strike_add(creator=other_creator, actor=staff, reason="b")  # restricted
    other_creator.refresh_from_db()
    made, refused = invitations_bulk_create(
        programme=programme, creators=[creator, other_creator], invited_by=staff
    )
    assert [i.creator for i in made] == [creator]
    assert refused == {"sora": "not_eligible"}
    _made, refused = invitations_bulk_create(programme=programme, creators=[creator], invited_by=staff)
    assert refused == {"minji": "already_invited"}


def test_no_invitation_once_the_season_is_over(creator, staff):
    programme = make_programme()  # ended 31 May 2026
    with pytest.raises(ApplicationError) as excinfo:
        invitation_create(programme=programme, creator=creator, invited_by=staff)
    assert code_of(excinfo) == "programme_closed"


def test_the_programme_rule_invites_every_eligible_creator(creator, other_creator):
    programme = make_programme(auto_invite=True, ends_on=date(2099, 1, 1))
    make_creator("amateur", professional=False)
    assert programme_auto_invite(programme=programme) == 2
    assert set(Invitation.objects.values_list("creator__handle", flat=True)) == {"minji", "sora"}
    assert programme_auto_invite(programme=programme) == 0
