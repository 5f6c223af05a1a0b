"""Reads of bonus data, for the creator who earned it (and nobody else: others get NotFoundError).

Amounts are confidential between the platform and each creator: every read here starts from the
creator of the signed-in user, so another creator, a brand or an anonymous visitor finds nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bonuses.enums import (
    COUNTRY_CURRENCIES,
    INELIGIBLE_TEXT,
    RULE_TEXT,
    FundingMode,
    Ineligible,
    InvitationStatus,
    Rule,
    RunStatus,
)
from bonuses.formula import Line, PostInput, contributions, tips_per_thousand_views
from bonuses.models import (
    Award,
    Enrolment,
    Estimate,
    FormulaVersion,
    Interest,
    Invitation,
    Period,
    PoolBudget,
    Programme,
    Receipt,
)
from bonuses.services import formula_for_period, formula_latest
from common.errors import NotFoundError
from common.money import Money, format_money
from creators.enums import PostFormat
from creators.models import CreatorProfile, User

VISIBLE_RUNS = (RunStatus.APPROVED, RunStatus.PAID, RunStatus.CANCELLED)


def creator_for_bonus(*, user: User | Any) -> CreatorProfile:
    """The creator profile of the signed-in user; NotFoundError for anonymous visitors and non-creators."""
    if not getattr(user, "is_authenticated", False):
        raise NotFoundError()
    creator = CreatorProfile.objects.filter(user=user).first()
    if creator is None:
        raise NotFoundError()
    return creator


def invitation_list_for_creator(*, creator: CreatorProfile) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(creator=creator).select_related("programme").order_by("-created_at", "-id")
    )


def invitation_get_for_creator(*, creator: CreatorProfile, invitation_id: int) -> Invitation:
    invitation = invitation_list_for_creator(creator=creator).filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFoundError()
    return invitation


def programme_get_for_creator(*, creator: CreatorProfile, programme_id: int) -> Programme:
    """A programme the creator was invited to (its terms are for them to read)."""
    programme = Programme.objects.filter(pk=programme_id, invitations__creator=creator).first()
    if programme is None:
        raise NotFoundError()
    return programme


def enrolment_list_for_creator(*, creator: CreatorProfile) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(creator=creator)
        .select_related("programme", "formula_version", "creator")
        .order_by("-enrolled_at")
    )


def award_list_for_creator(*, creator: CreatorProfile) -> QuerySet[Award]:
    """Awards of approved (and paid, or later reversed) runs only: a computed run may still change."""
    return (
        Award.objects.filter(creator=creator, run__status__in=VISIBLE_RUNS)
        .select_related("run__period__programme")
        .order_by("-run__period__starts_on", "-id")
    )


def award_get_for_creator(*, creator: CreatorProfile, award_id: int) -> Award:
    award = award_list_for_creator(creator=creator).filter(pk=award_id).first()
    if award is None:
        raise NotFoundError()
    return award


# ---------------------------------------------------------------- receipts


@dataclass(frozen=True)
class ReceiptLine:
    receipt: Receipt
    contribution: Money
    rules: list[dict[str, Any]]


def receipt_lines(*, award: Award) -> list[ReceiptLine]:
    """The award's per-post lines, each with its contribution (they add up exactly to the award)."""
    receipts = list(award.receipts.select_related("post").order_by("post__published_at", "post_id"))
    lines = [
        Line(
            post=PostInput(post_id=r.post_id, format=r.format, published_at=r.post.published_at),
            value=int(r.value),
            counted=r.counted,
        )
        for r in receipts
    ]
    shares = contributions(
        Money(award.amount_minor, award.currency), lines, post_cap_minor=award.details.get("post_cap_minor")
    )
    return [
        ReceiptLine(
            receipt=r, contribution=shares[r.post_id], rules=[_rule_explained(rule) for rule in r.rules]
        )
        for r in receipts
    ]


def _rule_explained(rule: dict[str, Any]) -> dict[str, Any]:
    return {**rule, "text": str(RULE_TEXT.get(Rule(rule["rule"]), rule["rule"]))}


def award_explained(*, award: Award) -> dict[str, Any]:
    """What the award page says above the receipts: caps, the pool share, why nothing was earned."""
    details = award.details
    explained: dict[str, Any] = {
        "amount": Money(award.amount_minor, award.currency),
        "creator_cap_applied": bool(details.get("creator_cap_applied")),
        "reversed": award.reversal_id is not None,
        "ineligible_text": str(INELIGIBLE_TEXT.get(Ineligible(award.ineligible_reason), ""))
        if not award.eligible
        else "",
    }
    if award.pool_total_minor is not None:
        explained["pool_total"] = Money(award.pool_total_minor, award.currency)
        total = int(award.pool_score_total or 0)
        explained["pool_share_bps"] = int(award.score) * 10_000 // total if total else 0
    return explained


# ---------------------------------------------------------------- terms in plain language


def terms_plain(*, programme: Programme, version: FormulaVersion, country: str) -> list[str]:
    """The formula as sentences the creator can check their receipts against."""
    currency = COUNTRY_CURRENCIES.get(country, "USD")
    formats = dict(PostFormat.choices)
    counted = ", ".join(str(formats.get(f, f)) for f in programme.formats)
    lines = [
        _("Counts your %(formats)s published after you accept, from %(start)s to %(end)s.")
        % {
            "formats": counted,
            "start": date_format(programme.starts_on),
            "end": date_format(programme.ends_on),
        },
    ]
    if programme.funding_mode == FundingMode.RATE_CARD:
        rates = version.rates.get(currency, {})
        per_view = ", ".join(
            _("%(amount)s per 1,000 views of a %(format)s")
            % {
                "amount": format_money(Money(rates.get(f, 0), currency)),
                "format": str(formats.get(f, f)).lower(),
            }
            for f in programme.formats
        )
        lines.append(
            _("You earn %(per_view)s; %(like)s per like, %(comment)s per comment and %(share)s per share.")
            % {
                "per_view": per_view,
                "like": format_money(Money(rates.get("like", 0), currency)),
                "comment": format_money(Money(rates.get("comment", 0), currency)),
                "share": format_money(Money(rates.get("share", 0), currency)),
            }
        )
    else:
        weights = version.weights
        per_view = ", ".join(
            _("%(points)s points per 1,000 views of a %(format)s")
            % {"points": weights.get(f, 0), "format": str(formats.get(f, f)).lower()}
            for f in programme.formats
        )
        lines.append(
            _(
                "Each month a fixed pool for your country is shared among enrolled creators in proportion "
                "to their engagement score: %(per_view)s; %(like)s per like, %(comment)s per comment, "
                "%(share)s per share."
            )
            % {
                "per_view": per_view,
                "like": weights.get("like", 0),
                "comment": weights.get("comment", 0),
                "share": weights.get("share", 0),
            }
        )
    lines.append(
        _(
            "Views flagged invalid by the platform are removed; likes, comments and shares "
            "above the valid views do not count."
        )
    )
    if version.branded_multiplier_bps == 0:
        lines.append(_("Branded (paid partnership) posts do not count."))
    else:
        lines.append(
            _("Branded (paid partnership) posts count at %(pct)s%% of their value.")
            % {"pct": version.branded_multiplier_bps / 100}
        )
    lines.append(
        _("At most %(n)s posts count each month: the first %(n)s you publish.") % {"n": version.max_posts}
    )
    caps = version.caps.get(currency, {})
    if caps.get("post") is not None:
        lines.append(
            _("A single post earns at most %(cap)s.") % {"cap": format_money(Money(caps["post"], currency))}
        )
    if caps.get("creator") is not None:
        lines.append(
            _("You earn at most %(cap)s a month.") % {"cap": format_money(Money(caps["creator"], currency))}
        )
    lines.append(
        _("Awards stay pending for %(days)s days of review, then become available for payout.")
        % {"days": settings.PAYMENTS_HOLD_DAYS["bonus"]}
    )
    return lines


# ---------------------------------------------------------------- the bonus page


@dataclass
class EnrolmentView:
    enrolment: Enrolment
    version: FormulaVersion
    terms: list[str]
    period: Period | None
    estimate: Estimate | None
    notice: str


def current_period(*, programme: Programme, now: datetime) -> Period | None:
    return programme.periods.filter(starts_on__lte=now.date(), ends_on__gte=now.date()).first()


def enrolment_views(*, creator: CreatorProfile, now: datetime | None = None) -> list[EnrolmentView]:
    """Each enrolled programme with the terms that apply now, a new version's notice, the estimate."""
    now = now or timezone.now()
    views = []
    for enrolment in enrolment_list_for_creator(creator=creator).prefetch_related(
        Prefetch("estimates", queryset=Estimate.objects.select_related("period"))
    ):
        programme = enrolment.programme
        versions = list(programme.formula_versions.all())
        period = current_period(programme=programme, now=now)
        version = (
            formula_for_period(enrolment=enrolment, period=period, versions=versions)
            if period
            else enrolment.formula_version
        )
        estimate = next((e for e in enrolment.estimates.all() if period and e.period_id == period.pk), None)
        views.append(
            EnrolmentView(
                enrolment=enrolment,
                version=version,
                terms=terms_plain(programme=programme, version=version, country=creator.country),
                period=period,
                estimate=estimate,
                notice=_version_notice(enrolment, version, versions),
            )
        )
    return views


def _version_notice(enrolment: Enrolment, current: FormulaVersion, versions: list[FormulaVersion]) -> str:
    newer = [v for v in versions if v.number > current.number]
    if not newer:
        return ""
    upcoming = max(newer, key=lambda v: v.number)
    applies = upcoming.published_at + timedelta(days=enrolment.programme.notice_days)
    return _(
        "A new version of the formula (version %(number)s) applies to you from the first period starting on "
        "or after %(date)s. Until then your current terms stay."
    ) % {"number": upcoming.number, "date": date_format(applies.date())}


def pool_total_for(*, period: Period, country: str) -> Money | None:
    budget = PoolBudget.objects.filter(period=period, country=country).first()
    return Money(budget.amount_minor, budget.currency) if budget else None


@dataclass(frozen=True)
class Tip:
    format: str
    label: str
    per_thousand_views: Money


def tips_for_creator(*, creator: CreatorProfile) -> list[Tip]:
    """What each format earned per 1,000 qualified views across the creator's awards, best first."""
    by_currency: dict[str, list[tuple[str, int, int]]] = {}
    for award in award_list_for_creator(creator=creator).filter(amount_minor__gt=0, reversal__isnull=True):
        for line in receipt_lines(award=award):
            if line.receipt.counted:
                by_currency.setdefault(award.currency, []).append(
                    (line.receipt.format, line.receipt.q_views, line.contribution.amount_minor)
                )
    labels = dict(PostFormat.choices)
    tips = [
        Tip(format=f, label=str(labels.get(f, f)), per_thousand_views=Money(amount, currency))
        for currency, rows in by_currency.items()
        for f, amount in tips_per_thousand_views(rows).items()
    ]
    return sorted(tips, key=lambda tip: -tip.per_thousand_views.amount_minor)


def pending_invitations(*, creator: CreatorProfile) -> QuerySet[Invitation]:
    return invitation_list_for_creator(creator=creator).filter(status=InvitationStatus.INVITED)


def formula_current(*, programme: Programme) -> FormulaVersion | None:
    return formula_latest(programme=programme)


@dataclass(frozen=True)
class OpenProgramme:
    """What a creator who was not invited may know of a programme: never any amount."""

    programme: Programme
    formats: list[str]
    funding: str
    registered: bool


def programmes_open_for_creator(
    *, creator: CreatorProfile, now: datetime | None = None
) -> list[OpenProgramme]:
    """Programmes whose season is not over and to which the creator is not invited."""
    today = (now or timezone.now()).date()
    programmes = (
        Programme.objects.filter(ends_on__gte=today)
        .exclude(invitations__creator=creator)
        .order_by("starts_on")
    )
    registered = set(
        Interest.objects.filter(creator=creator, programme__in=programmes).values_list(
            "programme_id", flat=True
        )
    )
    labels = dict(PostFormat.choices)
    funding = {
        FundingMode.RATE_CARD: _("A fixed amount per 1,000 qualified views and per like, comment and share."),
        FundingMode.POOL: _("A monthly pool per country, shared in proportion to engagement."),
    }
    return [
        OpenProgramme(
            programme=p,
            formats=[str(labels.get(f, f)) for f in p.formats],
            funding=str(funding[FundingMode(p.funding_mode)]),
            registered=p.pk in registered,
        )
        for p in programmes
    ]
