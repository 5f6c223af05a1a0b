"""The bonus formula: pure functions from a creator's posts and the terms to an award and receipts.

No database, no clock: the same input always gives the same output, which is what makes a
run deterministic whichever worker computes which chunk. Every step that changes a post's
figures is recorded as a rule on its receipt line, so the creator can follow every cent.

The steps, in order (each one is a rule code in enums.Rule):

1. Exclusions: deleted posts, formats the programme does not count, posts outside the
   period, posts published before the creator accepted the invitation.
2. Qualified counters: views flagged invalid by the content platform are removed; likes,
   comments and shares above the remaining views are impossible and are capped to them.
3. Value of a post, exact (no rounding):
   ``(q_views x rate[format] + 1000 x (q_likes x rate.like + q_comments x rate.comment
   + q_shares x rate.share)) x multiplier_bps``, where a format's rate is per 1,000 views and
   the multiplier is 10000 bps (100%), or the branded multiplier for branded posts (0 excludes
   them). For a rate card the unit of a value is 1 / SCALE of the currency's minor unit; for a
   pool, the same expression over the pool's weights is a score.
4. The post limit: only the first ``max_posts`` qualifying posts in publication order (then id)
   count; the creator knows in advance which posts count.
5. Rate card: each post's value is capped at the per-post cap; the creator's total at the
   per-creator cap; the award is the total rounded DOWN to the minor unit (the one rounding of
   a rate card: we never pay a fraction the formula did not earn).
6. Pool: each country's pool is split by score with common.money.split_by_weights; a creator's
   share is capped at the per-creator cap (and at the per-post cap x posts counted), the excess
   going again to the others (``capped_split``), so the shares add up exactly to the pool unless
   every creator reached a cap.
7. A post's contribution is the award split over the counted posts by value (again
   ``capped_split``, with the per-post cap): contributions add up exactly to the award.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from bonuses.enums import FundingMode, Rule

# The one rounding rule of every split (largest remainder), on plain integers: split_by_weights
# applies it too, one Money per share, which a pool of a hundred thousand creators cannot afford.
from common.money import Money, _largest_remainder

K = TypeVar("K", bound=Hashable)

BPS: Final = 10_000
PER_VIEWS: Final = 1_000
# One minor unit of a rate-card value: rates per 1,000 views and multipliers in bps.
SCALE: Final = PER_VIEWS * BPS


@dataclass(frozen=True, slots=True)
class PostInput:
    """A post as the content platform last reported it (cumulative counters)."""

    post_id: int
    format: str
    published_at: datetime
    is_branded: bool = False
    is_deleted: bool = False
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    invalid_views: int = 0


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms that apply to one creator: a formula version resolved for their currency.

    ``rates``: a rate card's amounts (minor units) or a pool's weights (points), keyed by
    format (per 1,000 views) and by "like", "comment", "share". Caps are minor units or None.
    """

    mode: str
    formats: frozenset[str]
    rates: Mapping[str, int]
    branded_multiplier_bps: int = 5_000
    max_posts: int = 150
    post_cap_minor: int | None = None
    creator_cap_minor: int | None = None


@dataclass(slots=True)
class Line:
    """One post's receipt line: what came in, what qualified, every rule applied, its value."""

    post: PostInput
    q_views: int = 0
    q_likes: int = 0
    q_comments: int = 0
    q_shares: int = 0
    multiplier_bps: int = BPS
    uncapped_value: int = 0
    value: int = 0
    counted: bool = False
    rules: list[dict[str, Any]] = field(default_factory=list)

    def note(self, rule: Rule, **detail: Any) -> None:
        self.rules.append({"rule": str(rule), **detail})


@dataclass(slots=True)
class CreatorResult:
    """A creator's figures for a period before any pool split.

    ``score`` is the sum of counted values after post caps; ``uncapped_score`` before any cap.
    For a rate card ``amount_minor`` is final; for a pool it is set by pool_split.
    ``cap_minor`` is the most the creator could be paid (None: no cap).
    """

    lines: list[Line]
    score: int = 0
    uncapped_score: int = 0
    amount_minor: int = 0
    cap_minor: int | None = None
    creator_cap_applied: bool = False

    @property
    def posts_counted(self) -> int:
        return sum(1 for line in self.lines if line.counted)


# ---------------------------------------------------------------- qualification


def qualify(
    post: PostInput, *, terms: Terms, period_start: datetime, period_end: datetime, enrolled_at: datetime
) -> Line:
    """Steps 1–3 for one post: exclusions, qualified counters, exact value (before caps and the limit)."""
    line = Line(post=post)
    if post.is_deleted:
        line.note(Rule.DELETED)
        return line
    if post.format not in terms.formats:
        line.note(Rule.FORMAT_NOT_COUNTED, format=post.format)
        return line
    if not period_start <= post.published_at < period_end:
        line.note(Rule.OUTSIDE_PERIOD)
        return line
    if post.published_at < enrolled_at:
        line.note(Rule.BEFORE_ENROLMENT, enrolled_at=enrolled_at.isoformat())
        return line
    line.q_views = max(post.views - post.invalid_views, 0)
    if line.q_views != post.views:
        line.note(Rule.INVALID_VIEWS_REMOVED, removed=post.views - line.q_views)
    line.q_likes = _capped_to_views(line, post.likes, Rule.LIKES_CAPPED)
    line.q_comments = _capped_to_views(line, post.comments, Rule.COMMENTS_CAPPED)
    line.q_shares = _capped_to_views(line, post.shares, Rule.SHARES_CAPPED)
    if post.is_branded:
        line.multiplier_bps = terms.branded_multiplier_bps
        if line.multiplier_bps == 0:
            line.note(Rule.BRANDED_EXCLUDED)
            return line
        line.note(Rule.BRANDED_MULTIPLIER, multiplier_bps=line.multiplier_bps)
    line.uncapped_value = line.value = post_value(line, terms.rates)
    line.counted = True
    return line


def _capped_to_views(line: Line, count: int, rule: Rule) -> int:
    if count > line.q_views:
        line.note(rule, before=count, after=line.q_views)
        return line.q_views
    return count


def post_value(line: Line, rates: Mapping[str, int]) -> int:
    """The exact value of a qualified line (step 3), in 1 / SCALE minor units or score points."""
    per_views = line.q_views * rates.get(line.post.format, 0)
    actions = line.q_likes * rates.get("like", 0)
    actions += line.q_comments * rates.get("comment", 0)
    actions += line.q_shares * rates.get("share", 0)
    return (per_views + PER_VIEWS * actions) * line.multiplier_bps


def post_value_sql(
    rates: Mapping[str, int],
    *,
    format_: str,
    q_views: str,
    q_likes: str,
    q_comments: str,
    q_shares: str,
    multiplier_bps: str,
) -> tuple[str, list[Any]]:
    """post_value() compiled to an SQL expression and its parameters (the set-based run, runs_sql).

    The other arguments are SQL expressions for the line's columns, written by the caller's code
    (never input). The rates are data: every key and amount travels as a parameter. The result
    is NUMERIC, exact like Python's integers, so both paths give the same value to the unit.
    """
    params: list[Any] = []
    per_view = "0"
    if rates:
        # rates.get(format, 0): every key, as the Python lookup would match any of them.
        whens = []
        for key, rate in rates.items():
            whens.append("WHEN %s THEN %s::numeric")
            params += [key, rate]
        per_view = f"CASE {format_} {' '.join(whens)} ELSE 0 END"
    actions = []
    for column, key in ((q_likes, "like"), (q_comments, "comment"), (q_shares, "share")):
        actions.append(f"({column})::numeric * %s::numeric")
        params.append(rates.get(key, 0))
    sql = (
        f"((({q_views})::numeric * {per_view} + {PER_VIEWS} * ({' + '.join(actions)})) * ({multiplier_bps}))"
    )
    return sql, params


# ---------------------------------------------------------------- one creator


def creator_compute(
    posts: Iterable[PostInput],
    *,
    terms: Terms,
    period_start: datetime,
    period_end: datetime,
    enrolled_at: datetime,
) -> CreatorResult:
    """Steps 1–5 for one creator: receipt lines, score and (rate card) the award."""
    ordered = sorted(posts, key=lambda post: (post.published_at, post.post_id))
    lines = [
        qualify(post, terms=terms, period_start=period_start, period_end=period_end, enrolled_at=enrolled_at)
        for post in ordered
    ]
    counted = 0
    for line in lines:
        if not line.counted:
            continue
        if counted >= terms.max_posts:
            line.counted = False
            line.value = 0
            line.note(Rule.POST_LIMIT, limit=terms.max_posts)
            continue
        counted += 1
    result = CreatorResult(lines=lines)
    result.uncapped_score = sum(line.uncapped_value for line in lines if line.counted)
    if terms.mode == FundingMode.RATE_CARD:
        _rate_card_caps(result, terms)
    else:
        result.score = result.uncapped_score
        result.cap_minor = _pool_creator_cap(terms, counted)
    return result


def _rate_card_caps(result: CreatorResult, terms: Terms) -> None:
    if terms.post_cap_minor is not None:
        cap = terms.post_cap_minor * SCALE
        for line in result.lines:
            if line.counted and line.value > cap:
                line.note(Rule.POST_CAP, cap_minor=terms.post_cap_minor)
                line.value = cap
    result.score = sum(line.value for line in result.lines if line.counted)
    amount = result.score // SCALE  # the one rounding of a rate card: down
    if terms.creator_cap_minor is not None and amount > terms.creator_cap_minor:
        amount = terms.creator_cap_minor
        result.creator_cap_applied = True
    result.amount_minor = amount
    result.cap_minor = terms.creator_cap_minor


def _pool_creator_cap(terms: Terms, counted: int) -> int | None:
    caps = []
    if terms.creator_cap_minor is not None:
        caps.append(terms.creator_cap_minor)
    if terms.post_cap_minor is not None:
        caps.append(terms.post_cap_minor * counted)
    return min(caps) if caps else None


# ---------------------------------------------------------------- splits


def capped_split(total: Money, weights: Mapping[K, int], caps: Mapping[K, int | None]) -> dict[K, Money]:
    """Split ``total`` by ``weights`` with each key capped, handing the excess to the others.

    Repeats common.money.split_by_weights over the keys not yet capped until no share
    exceeds its cap (at most one round per key): deterministic, exact, and the shares add up to
    ``total`` unless every key with weight reached its cap (the rest then stays unallocated).
    Keys with zero weight get zero. (capped_split_minor on plain integers.)
    """
    keys = list(weights)
    shares = capped_split_minor(total.amount_minor, [weights[k] for k in keys], [caps.get(k) for k in keys])
    return {key: Money(share, total.currency) for key, share in zip(keys, shares, strict=True)}


def capped_split_minor(total: int, weights: Sequence[int], caps: Sequence[int | None]) -> list[int]:
    """capped_split() on plain integers in minor units, position by position.

    The same rounds and the same rounding (money._largest_remainder, which is what
    split_by_weights applies, ties to the earlier position) without a Money per share: a run
    splits a pool among a hundred thousand creators. ``weights`` are whole and non-negative.
    """
    result = [0] * len(weights)
    active = [i for i, weight in enumerate(weights) if weight > 0]
    remaining = total
    while active and remaining > 0:
        shares = _largest_remainder(remaining, [weights[i] for i in active])
        over = {i for i, share in zip(active, shares, strict=True) if _above(share, caps[i])}
        if not over:
            for i, share in zip(active, shares, strict=True):
                result[i] = share
            return result
        for i in sorted(over):
            cap = caps[i]
            assert cap is not None
            result[i] = cap
            remaining -= cap
        active = [i for i in active if i not in over]
    return result


def _above(amount: int, cap: int | None) -> bool:
    return cap is not None and amount > cap


def pool_split(pool: Money, creators: Mapping[K, CreatorResult]) -> dict[K, Money]:
    """Step 6: one country's pool split among its creators by score, within their caps."""
    if not creators:
        return {}
    if not any(result.score for result in creators.values()):
        return {key: Money.zero(pool.currency) for key in creators}
    return capped_split(
        pool,
        {key: result.score for key, result in creators.items()},
        {key: result.cap_minor for key, result in creators.items()},
    )


def pool_split_minor(pool_minor: int, scores: Sequence[int], caps: Sequence[int | None]) -> list[int]:
    """pool_split() on plain integers, creator by creator in the order given (runs._pools_split)."""
    if not any(scores):
        return [0] * len(scores)
    return capped_split_minor(pool_minor, scores, caps)


def contributions(award: Money, lines: Sequence[Line], *, post_cap_minor: int | None) -> dict[int, Money]:
    """Step 7: the award split over its counted posts by value, each within the per-post cap.

    Adds up exactly to the award: the award never exceeds what the capped posts can hold (the
    rate card's total is rounded down; a pool's creator cap includes the post caps).
    """
    counted = {line.post.post_id: line.value for line in lines if line.counted and line.value > 0}
    if not counted or award.is_zero():
        return {line.post.post_id: Money.zero(award.currency) for line in lines}
    caps = {post_id: post_cap_minor for post_id in counted}
    shares = capped_split(award, counted, caps)
    return {line.post.post_id: shares.get(line.post.post_id, Money.zero(award.currency)) for line in lines}


def tips_per_thousand_views(lines: Iterable[tuple[str, int, int]]) -> dict[str, int]:
    """Minor units earned per 1,000 qualified views by format, from (format, q_views, amount) rows.

    Rounded down; formats with no qualified views are left out.
    """
    views: dict[str, int] = {}
    amounts: dict[str, int] = {}
    for format_, q_views, amount in lines:
        views[format_] = views.get(format_, 0) + q_views
        amounts[format_] = amounts.get(format_, 0) + amount
    return {f: amounts[f] * PER_VIEWS // views[f] for f in sorted(views) if views[f] > 0}
