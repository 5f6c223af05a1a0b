"""Bonus programmes, formula versions, invitations and enrolment (writes; staff and creators).

Runs, approval and estimates live in bonuses.runs. Every refusal is an ApplicationError with a
code, raised before anything is written.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bonuses.enums import (
    ACTION_KEYS,
    COUNTRY_CURRENCIES,
    DEFAULT_BRANDED_MULTIPLIER_BPS,
    DEFAULT_MAX_POSTS,
    FundingMode,
    Ineligible,
    InvitationSource,
    InvitationStatus,
)
from bonuses.formula import Terms
from bonuses.models import Enrolment, FormulaVersion, Interest, Invitation, Period, PoolBudget, Programme
from common.errors import ApplicationError, NotFoundError
from common.money import Money
from creators.enums import PolicyStanding, PostFormat
from creators.models import CreatorProfile, StandingEvent, User

BAD_STANDINGS = frozenset({PolicyStanding.RESTRICTED, PolicyStanding.SUSPENDED})


def day_start(day: date) -> datetime:
    """Periods and windows are whole UTC days: a day starts at 00:00 UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start, end) of a period: its first day at 00:00 UTC to the day after its last."""
    return day_start(period.starts_on), day_start(period.ends_on + timedelta(days=1))


# ---------------------------------------------------------------- programmes


@transaction.atomic
def programme_create(
    *,
    name: str,
    slug: str,
    starts_on: date,
    ends_on: date,
    countries: Sequence[str] = ("KR", "JP", "US"),
    formats: Sequence[str] = tuple(PostFormat.values),
    funding_mode: str = FundingMode.RATE_CARD,
    min_followers: int = 0,
    public_description: str = "",
    monthly_periods: bool = True,
    **options: Any,
) -> Programme:
    """Create a programme and, by default, its monthly periods inside the season window.

    Refuses a window that ends before it starts (``invalid_window``), countries outside the pilot
    (``unsupported_country``), unknown formats (``invalid_format``), an unknown funding mode and
    negative follower minimums (``negative_value``).
    """
    countries = programme_validate(
        starts_on=starts_on,
        ends_on=ends_on,
        countries=countries,
        formats=formats,
        funding_mode=funding_mode,
        min_followers=min_followers,
    )
    programme = Programme.objects.create(
        name=name,
        slug=slug,
        starts_on=starts_on,
        ends_on=ends_on,
        countries=countries,
        formats=list(formats),
        funding_mode=funding_mode,
        min_followers=min_followers,
        public_description=public_description,
        **options,
    )
    if monthly_periods:
        for first, last in _months(starts_on, ends_on):
            Period.objects.create(programme=programme, starts_on=first, ends_on=last)
    return programme


def programme_validate(
    *,
    starts_on: date,
    ends_on: date,
    countries: Sequence[str],
    formats: Sequence[str],
    funding_mode: str,
    min_followers: int,
) -> list[str]:
    """The checks of programme_create (admin forms call it too); returns the normalised countries."""
    if ends_on < starts_on:
        raise ApplicationError(
            _("The season must end on or after the day it starts."),
            code="invalid_window",
            fields={"ends_on": [_("Must be on or after the start.")]},
        )
    countries = [c.strip().upper() for c in countries]
    if not countries or any(c not in COUNTRY_CURRENCIES for c in countries):
        raise ApplicationError(
            _("Countries must be among %(list)s.") % {"list": ", ".join(COUNTRY_CURRENCIES)},
            code="unsupported_country",
            fields={"countries": [_("Unsupported country.")]},
        )
    if not formats or any(f not in PostFormat.values for f in formats):
        raise ApplicationError(_("Unknown post format."), code="invalid_format", fields={"formats": []})
    if funding_mode not in FundingMode.values:
        raise ApplicationError(_("Unknown funding mode."), code="invalid_funding_mode")
    _non_negative(min_followers, "min_followers")
    return countries


def _months(start: date, end: date) -> Iterable[tuple[date, date]]:
    first = start
    while first <= end:
        next_month = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        yield first, min(end, next_month - timedelta(days=1))
        first = next_month


def period_create(*, programme: Programme, starts_on: date, ends_on: date) -> Period:
    """A period of the programme; refuses one outside the season window (``period_outside_window``)."""
    if ends_on < starts_on:
        raise ApplicationError(_("A period must end on or after its start."), code="invalid_period")
    if starts_on < programme.starts_on or ends_on > programme.ends_on:
        raise ApplicationError(
            _("A period must lie inside the programme's season (%(start)s to %(end)s).")
            % {"start": programme.starts_on, "end": programme.ends_on},
            code="period_outside_window",
        )
    try:
        with transaction.atomic():
            return Period.objects.create(programme=programme, starts_on=starts_on, ends_on=ends_on)
    except IntegrityError as exc:
        raise ApplicationError(_("A period already starts on that day."), code="period_exists") from exc


def pool_budget_set(*, period: Period, country: str, amount: Money) -> PoolBudget:
    """Set a country's pool for a period, in that country's currency (``foreign_currency`` otherwise)."""
    programme = period.programme
    if programme.funding_mode != FundingMode.POOL:
        raise ApplicationError(_("This programme pays by rate card, not from a pool."), code="not_a_pool")
    if country not in programme.countries:
        raise ApplicationError(_("The country is not part of the programme."), code="unsupported_country")
    if amount.currency != COUNTRY_CURRENCIES[country]:
        raise ApplicationError(
            _("A pool for %(country)s is paid in %(currency)s.")
            % {"country": country, "currency": COUNTRY_CURRENCIES[country]},
            code="foreign_currency",
            fields={"currency": [_("Use the country's currency.")]},
        )
    _non_negative(amount.amount_minor, "amount")
    budget, _created = PoolBudget.objects.update_or_create(
        period=period,
        country=country,
        defaults={"currency": amount.currency, "amount_minor": amount.amount_minor},
    )
    return budget


# ---------------------------------------------------------------- formula versions


@transaction.atomic
def formula_version_create(
    *,
    programme: Programme,
    rates: Mapping[str, Mapping[str, int]] | None = None,
    weights: Mapping[str, int] | None = None,
    caps: Mapping[str, Mapping[str, int | None]] | None = None,
    branded_multiplier_bps: int = DEFAULT_BRANDED_MULTIPLIER_BPS,
    max_posts: int = DEFAULT_MAX_POSTS,
    published_at: datetime | None = None,
) -> FormulaVersion:
    """A new version of the programme's formula (the previous ones never change).

    A rate card needs ``rates`` for the currency of every country; a pool needs ``weights``.
    Refuses negative rates, weights or caps (``negative_value``), unknown keys (``invalid_formula``),
    a currency foreign to the programme's countries (``foreign_currency``), a multiplier above
    100% and a post limit below one.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    rates, weights, caps = dict(rates or {}), dict(weights or {}), dict(caps or {})
    formula_terms_validate(
        programme=programme,
        rates=rates,
        weights=weights,
        caps=caps,
        branded_multiplier_bps=branded_multiplier_bps,
        max_posts=max_posts,
    )
    latest = programme.formula_versions.order_by("-number").first()
    return FormulaVersion.objects.create(
        programme=programme,
        number=(latest.number + 1) if latest else 1,
        rates=rates,
        weights=weights,
        caps=caps,
        branded_multiplier_bps=branded_multiplier_bps,
        max_posts=max_posts,
        published_at=published_at or timezone.now(),
    )


def formula_terms_validate(
    *,
    programme: Programme,
    rates: Mapping[str, Mapping[str, int]],
    weights: Mapping[str, int],
    caps: Mapping[str, Mapping[str, int | None]],
    branded_multiplier_bps: int,
    max_posts: int,
) -> None:
    """The checks of formula_version_create (admin forms call it too); see there."""
    currencies = {COUNTRY_CURRENCIES[c] for c in programme.countries}
    shapes_ok = (
        isinstance(rates, Mapping)
        and all(isinstance(table, Mapping) for table in rates.values())
        and isinstance(weights, Mapping)
        and isinstance(caps, Mapping)
        and all(isinstance(table, Mapping) for table in caps.values())
    )
    if not shapes_ok:
        raise ApplicationError(
            _("Rates, weights and caps are JSON objects: see the formula version's help text."),
            code="invalid_formula",
        )
    if programme.funding_mode == FundingMode.RATE_CARD:
        if set(rates) != currencies:
            raise ApplicationError(
                _("A rate card needs rates in exactly these currencies: %(list)s.")
                % {"list": ", ".join(sorted(currencies))},
                code="foreign_currency",
                fields={"rates": []},
            )
        for table in rates.values():
            _rate_table_validate(table, "rates")
    else:
        if not weights:
            raise ApplicationError(_("A pool needs weights."), code="invalid_formula", fields={"weights": []})
        _rate_table_validate(weights, "weights")
    for currency, cap_table in caps.items():
        if currency not in currencies:
            raise ApplicationError(
                _("Caps in %(currency)s: no country of the programme pays in it.") % {"currency": currency},
                code="foreign_currency",
                fields={"caps": []},
            )
        if set(cap_table) - {"post", "creator"}:
            raise ApplicationError(
                _('Caps are "post" and "creator".'), code="invalid_formula", fields={"caps": []}
            )
        for value in cap_table.values():
            if value is not None:
                _non_negative(value, "caps")
    if not (isinstance(branded_multiplier_bps, int) and 0 <= branded_multiplier_bps <= 10_000):
        raise ApplicationError(_("The branded multiplier is between 0% and 100%."), code="invalid_multiplier")
    if not (isinstance(max_posts, int) and max_posts >= 1):
        raise ApplicationError(_("At least one post must count."), code="invalid_formula")


def _rate_table_validate(table: Mapping[str, int], name: str) -> None:
    allowed = set(PostFormat.values) | set(ACTION_KEYS)
    if set(table) - allowed:
        raise ApplicationError(
            _("Unknown keys in %(name)s: %(keys)s.")
            % {"name": name, "keys": ", ".join(sorted(set(table) - allowed))},
            code="invalid_formula",
            fields={name: []},
        )
    for value in table.values():
        _non_negative(value, name)


def _non_negative(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ApplicationError(
            _("%(name)s must be whole numbers of zero or more.") % {"name": name},
            code="negative_value",
            fields={name: [_("Must be zero or more.")]},
        )


def formula_version_update(*, version: FormulaVersion, **changes: Any) -> FormulaVersion:
    """Change a version nobody has used yet; a used one is ``formula_locked`` (create a new one)."""
    locked = FormulaVersion.objects.select_for_update().get(pk=version.pk)
    if locked.locked_at is not None:
        raise ApplicationError(
            _("This formula version is in use and cannot change: publish a new version."),
            code="formula_locked",
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changes))
    return locked


def formula_versions_lock(*, version_ids: Iterable[int]) -> None:
    """Mark versions as used: from now on they never change."""
    FormulaVersion.objects.filter(pk__in=set(version_ids), locked_at__isnull=True).update(
        locked_at=timezone.now()
    )


def formula_latest(*, programme: Programme) -> FormulaVersion | None:
    return programme.formula_versions.order_by("-number").first()


def formula_for_period(
    *, enrolment: Enrolment, period: Period, versions: Sequence[FormulaVersion]
) -> FormulaVersion:
    """The version that applies to an enrolled creator in a period.

    The version pinned at enrolment, unless a newer version was published at least the
    programme's notice period before the period starts (then the newest such version).
    ``versions``: the programme's versions, any order.
    """
    return version_for_period(
        pinned=enrolment.formula_version,
        notice_days=enrolment.programme.notice_days,
        period=period,
        versions=versions,
    )


def version_for_period(
    *, pinned: FormulaVersion, notice_days: int, period: Period, versions: Sequence[FormulaVersion]
) -> FormulaVersion:
    """formula_for_period() from the pinned version alone (a run resolves each pinned version once)."""
    start, _end = period_bounds(period)
    notice = timedelta(days=notice_days)
    applicable = [v for v in versions if v.number > pinned.number and v.published_at + notice <= start]
    return max(applicable, key=lambda v: v.number) if applicable else pinned


def terms_for(*, version: FormulaVersion, programme: Programme, country: str) -> Terms:
    """A version's terms for a creator in ``country`` (amounts in that country's currency)."""
    currency = COUNTRY_CURRENCIES[country]
    caps = version.caps.get(currency, {})
    if programme.funding_mode == FundingMode.RATE_CARD:
        rates = version.rates.get(currency, {})
    else:
        rates = version.weights
    return Terms(
        mode=programme.funding_mode,
        formats=frozenset(programme.formats),
        rates=rates,
        branded_multiplier_bps=version.branded_multiplier_bps,
        max_posts=version.max_posts,
        post_cap_minor=caps.get("post"),
        creator_cap_minor=caps.get("creator"),
    )


# ---------------------------------------------------------------- eligibility


def eligibility_problems(
    *, creator: CreatorProfile, programme: Programme, standings: Sequence[str] | None = None
) -> list[Ineligible]:
    """Why ``creator`` is not eligible for ``programme`` (empty: eligible).

    ``standings``: every policy standing the creator had during the period being computed
    (see standings_during); the current standing when None.
    """
    problems = []
    if creator.country not in programme.countries:
        problems.append(Ineligible.COUNTRY)
    if programme.require_professional and not creator.is_professional:
        problems.append(Ineligible.NOT_PROFESSIONAL)
    if programme.require_adult and not creator.is_adult:
        problems.append(Ineligible.NOT_ADULT)
    if creator.followers < programme.min_followers:
        problems.append(Ineligible.FOLLOWERS)
    seen = standings if standings is not None else [creator.policy_standing]
    if programme.require_good_standing and BAD_STANDINGS & set(seen):
        problems.append(Ineligible.STANDING)
    return problems


def standings_during(*, creator_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, set[str]]:
    """Every standing each creator had at some moment in [start, end), from the standing history.

    Creators without history in or after the period keep their current standing; that is
    read by the caller, so only creators with events appear here.
    """
    events = (
        StandingEvent.objects.filter(creator_id__in=list(creator_ids))
        .order_by("creator_id", "created_at", "id")
        .values_list("creator_id", "created_at", "standing_before", "standing_after")
    )
    timeline: dict[int, list[tuple[datetime, str, str]]] = {}
    for creator_id, at, before, after in events:
        timeline.setdefault(creator_id, []).append((at, before, after))
    result = {}
    for creator_id, items in timeline.items():
        before_start = [after for at, _before, after in items if at < start]
        later = [before for at, before, _after in items if at >= start]
        at_start = before_start[-1] if before_start else later[0]
        seen = {at_start} | {after for at, _before, after in items if start <= at < end}
        result[creator_id] = seen
    return result


# ---------------------------------------------------------------- invitations and enrolment


def invitation_create(
    *,
    programme: Programme,
    creator: CreatorProfile,
    invited_by: User | None,
    source: str = InvitationSource.ADMIN,
    now: datetime | None = None,
) -> Invitation:
    """Invite one eligible creator (``not_eligible`` with the reasons otherwise; ``already_invited``).

    Refuses a programme whose season is over (``programme_closed``).
    """
    now = now or timezone.now()
    problems = eligibility_problems(creator=creator, programme=programme)
    if problems:
        raise ApplicationError(
            _("@%(handle)s is not eligible: %(reasons)s.")
            % {"handle": creator.handle, "reasons": ", ".join(problems)},
            code="not_eligible",
        )
    if programme.ends_on < now.date():
        raise ApplicationError(_("The programme's season is over."), code="programme_closed")
    try:
        with transaction.atomic():
            return Invitation.objects.create(
                programme=programme, creator=creator, invited_by=invited_by, source=source
            )
    except IntegrityError as exc:
        raise ApplicationError(
            _("@%(handle)s is already invited.") % {"handle": creator.handle}, code="already_invited"
        ) from exc


def invitations_bulk_create(
    *, programme: Programme, creators: Iterable[CreatorProfile], invited_by: User | None
) -> tuple[list[Invitation], dict[str, str]]:
    """Invite several creators; returns the invitations made and, by handle, why others were not."""
    made, refused = [], {}
    for creator in creators:
        try:
            made.append(invitation_create(programme=programme, creator=creator, invited_by=invited_by))
        except ApplicationError as exc:
            refused[creator.handle] = exc.code
    return made, refused


def programme_auto_invite(*, programme: Programme) -> int:
    """The programme rule: invite every eligible creator not invited yet; return how many."""
    if not programme.auto_invite or programme.ends_on < timezone.now().date():
        return 0
    candidates: QuerySet[CreatorProfile] = CreatorProfile.objects.filter(
        country__in=programme.countries, followers__gte=programme.min_followers
    ).exclude(bonus_invitations__programme=programme)
    count = 0
    for creator in candidates.order_by("id").iterator(chunk_size=500):
        if not eligibility_problems(creator=creator, programme=programme):
            invitation_create(
                programme=programme, creator=creator, invited_by=None, source=InvitationSource.RULE
            )
            count += 1
    return count


def _invitation_for_creator(invitation_id: int, creator: CreatorProfile) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("programme", "creator")
        .filter(pk=invitation_id, creator=creator)
        .first()
    )
    if invitation is None:
        raise NotFoundError()
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation_id: int, creator: CreatorProfile, now: datetime | None = None
) -> Enrolment:
    """Accept an invitation: enrol with the current formula version pinned.

    Refuses an invitation already answered (``invitation_answered``), a season already over
    (``programme_closed``), a creator no longer eligible (``not_eligible``) and a programme
    without a formula yet (``no_formula``). Posts published from now count.
    """
    now = now or timezone.now()
    invitation = _invitation_for_creator(invitation_id, creator)
    if invitation.status != InvitationStatus.INVITED:
        raise ApplicationError(_("You have already answered this invitation."), code="invitation_answered")
    programme, creator = invitation.programme, invitation.creator  # fresh: standing may have changed
    if day_start(programme.ends_on + timedelta(days=1)) <= now:
        raise ApplicationError(_("This programme's season is over."), code="programme_closed")
    problems = eligibility_problems(creator=creator, programme=programme)
    if problems:
        raise ApplicationError(_("You are not eligible for this programme right now."), code="not_eligible")
    version = formula_latest(programme=programme)
    if version is None:
        raise ApplicationError(_("This programme has no formula yet: try again later."), code="no_formula")
    invitation.status = InvitationStatus.ACCEPTED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    formula_versions_lock(version_ids=[version.pk])
    return Enrolment.objects.create(
        programme=programme, creator=creator, invitation=invitation, formula_version=version, enrolled_at=now
    )


@transaction.atomic
def invitation_decline(*, invitation_id: int, creator: CreatorProfile) -> Invitation:
    """Decline an invitation (``invitation_answered`` if it was already answered)."""
    invitation = _invitation_for_creator(invitation_id, creator)
    if invitation.status != InvitationStatus.INVITED:
        raise ApplicationError(_("You have already answered this invitation."), code="invitation_answered")
    invitation.status = InvitationStatus.DECLINED
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "responded_at", "updated_at"])
    return invitation


def interest_register(*, programme_id: int, creator: CreatorProfile, now: datetime | None = None) -> Interest:
    """Put a creator on an open programme's waiting list (idempotent: registering twice is one entry).

    Only programmes whose season is not over (NotFoundError otherwise: closed programmes are not
    shown); a creator already invited is ``already_invited``.
    """
    now = now or timezone.now()
    programme = Programme.objects.filter(pk=programme_id, ends_on__gte=now.date()).first()
    if programme is None:
        raise NotFoundError()
    if Invitation.objects.filter(programme=programme, creator=creator).exists():
        raise ApplicationError(_("You are already invited to this programme."), code="already_invited")
    interest, _created = Interest.objects.get_or_create(programme=programme, creator=creator)
    return interest
