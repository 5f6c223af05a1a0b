"""Bonus runs: computing a period's awards in chunks, approving them into the ledger, reversing them.

A run's enrolled creators are cut into chunks (creator ids ascending, ``chunk_size`` each).
A worker claims one pending chunk with SELECT … FOR UPDATE SKIP LOCKED and computes and writes
its awards and receipts in the same database transaction that marks it done, so:

- any number of workers share a run without waiting on each other;
- a worker killed mid-chunk leaves the chunk pending (its transaction rolls back) and another
  worker, the task's redelivery (acks_late) or the beat resume task finishes it;
- the formula is pure (bonuses.formula) and each chunk's input is fixed by its creator ids, so
  the awards are the same to the minor unit however the chunks were spread or retried.

The worker that completes the last chunk finalises the run (a pool is split among all
creators of a country only then), under the run's row lock so it happens once.

On PostgreSQL a chunk is computed set-based, inside the database (bonuses.runs_sql: one
INSERT … SELECT writing the same rows); creators_compute below is the reference, and the path
on SQLite and for the daily estimates.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from bonuses import runs_sql
from bonuses.enums import (
    COUNTRY_CURRENCIES,
    DEFAULT_CHUNK_SIZE,
    ChunkStatus,
    FundingMode,
    Ineligible,
    RunStatus,
)
from bonuses.formula import (
    SCALE,
    CreatorResult,
    Line,
    PostInput,
    Terms,
    creator_compute,
    pool_split,
    pool_split_minor,
)
from bonuses.models import (
    Award,
    Enrolment,
    Estimate,
    FormulaVersion,
    Period,
    PoolBudget,
    Receipt,
    Run,
    RunChunk,
)
from bonuses.services import (
    eligibility_problems,
    formula_for_period,
    formula_latest,
    formula_versions_lock,
    period_bounds,
    standings_during,
    terms_for,
    version_for_period,
)
from common.bulk import bulk_set
from common.db import psycopg_cursor
from common.errors import ApplicationError
from common.money import Money
from creators.models import Post, User
from payments.bonus_posting import BonusAward, bonus_award_reverse, bonus_awards_post_many
from payments.models import Hold

logger = logging.getLogger(__name__)

RECEIPT_BATCH = 5_000
# Awards posted to the ledger per ledger_post_many() call at approval.
APPROVE_BATCH = 500


@dataclass(slots=True)
class Computed:
    """One creator's computation for a period: what was applied and what it gave."""

    enrolment: Enrolment
    version: FormulaVersion
    terms: Terms
    currency: str
    problems: list[Ineligible]
    result: CreatorResult


# ---------------------------------------------------------------- the computation of creators


def creators_compute(
    *, period: Period, enrolments: Sequence[Enrolment], versions: Sequence[FormulaVersion]
) -> list[Computed]:
    """Eligibility, qualification, scoring and rate-card caps for some enrolled creators of a period.

    Reads the creators' posts published in the period (one query, deleted ones included so
    their receipt says why they do not count) and their standing history; writes nothing.
    """
    programme = period.programme
    start, end = period_bounds(period)
    creator_ids = [e.creator_id for e in enrolments]
    posts: dict[int, list[PostInput]] = defaultdict(list)
    rows = (
        Post.objects.filter(creator_id__in=creator_ids, published_at__gte=start, published_at__lt=end)
        .order_by()
        .values_list(
            "creator_id",
            "id",
            "format",
            "published_at",
            "is_branded",
            "is_deleted",
            "views",
            "likes",
            "comments",
            "shares",
            "invalid_views",
        )
    )
    for creator_id, post_id, format_, published_at, branded, deleted, *counters in rows.iterator(
        chunk_size=5_000
    ):
        views, likes, comments, shares, invalid_views = counters
        posts[creator_id].append(
            PostInput(
                post_id,
                format_,
                published_at,
                branded,
                deleted,
                views,
                likes,
                comments,
                shares,
                invalid_views,
            )
        )
    standings = standings_during(creator_ids=creator_ids, start=start, end=end)
    computed = []
    for enrolment in enrolments:
        creator = enrolment.creator
        version = formula_for_period(enrolment=enrolment, period=period, versions=versions)
        country = creator.country if creator.country in COUNTRY_CURRENCIES else programme.countries[0]
        terms = terms_for(version=version, programme=programme, country=country)
        problems = eligibility_problems(
            creator=creator,
            programme=programme,
            standings=sorted(standings.get(creator.pk, {creator.policy_standing})),
        )
        result = creator_compute(
            posts.get(creator.pk, []),
            terms=terms,
            period_start=start,
            period_end=end,
            enrolled_at=enrolment.enrolled_at,
        )
        if problems:  # eligibility is rechecked for the period: an ineligible creator earns nothing
            result.amount_minor = 0
        computed.append(
            Computed(
                enrolment=enrolment,
                version=version,
                terms=terms,
                currency=COUNTRY_CURRENCIES[country],
                problems=problems,
                result=result,
            )
        )
    return computed


CREATOR_FIELDS = (
    "country",
    "account_type",
    "age_attested_at",
    "followers",
    "policy_standing",
    "user_id",
    "handle",
)


def _enrolments(period: Period, creator_ids: Sequence[int] | None = None) -> list[Enrolment]:
    """The period's enrolments (creator ascending) with what the computation reads of each creator.

    The programme and the pinned versions are attached from one load each rather than joined
    per row: a chunk holds a thousand enrolments of one programme and a handful of versions.
    """
    _start, end = period_bounds(period)
    qs = Enrolment.objects.filter(programme_id=period.programme_id, enrolled_at__lt=end)
    if creator_ids is not None:
        qs = qs.filter(creator_id__in=creator_ids)
    enrolments = list(
        qs.select_related("creator")
        .only(
            "id",
            "creator_id",
            "formula_version_id",
            "enrolled_at",
            "invitation_id",
            "programme_id",
            *(f"creator__{name}" for name in CREATOR_FIELDS),
        )
        .order_by("creator_id")
    )
    programme = period.programme
    versions = {v.pk: v for v in programme.formula_versions.all()}
    for enrolment in enrolments:
        enrolment.programme = programme
        enrolment.formula_version = versions[enrolment.formula_version_id]
    return enrolments


# ---------------------------------------------------------------- runs


def run_create(*, period: Period, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Run:
    """A draft run for ``period``.

    Refuses a second live run for the period (``run_exists``) and a programme without a formula
    (``no_formula``).
    """
    version = formula_latest(programme=period.programme)
    if version is None:
        raise ApplicationError(_("The programme has no formula yet."), code="no_formula")
    if chunk_size < 1:
        raise ApplicationError(_("A chunk holds at least one creator."), code="invalid_chunk_size")
    if Run.objects.filter(period=period).exclude(status=RunStatus.CANCELLED).exists():
        raise ApplicationError(
            _("This period already has a run: cancel it before computing a new one."), code="run_exists"
        )
    return Run.objects.create(
        programme=period.programme,
        period=period,
        formula_version=version,
        chunk_size=chunk_size,
        created_by=actor,
    )


@transaction.atomic
def run_compute(*, run: Run) -> Run:
    """Start (or restart) computing a run: its chunks are created and queued for the workers.

    Allowed from draft or computed (a recomputation replaces the awards). Refuses an approved
    run (``run_already_approved``), a cancelled or computing one (``run_not_computable``), a run
    whose formula changed since it was created (``formula_changed``: create a new run) and a pool
    without a budget for a country (``pool_budget_missing``). Locks the formula versions it uses.
    """
    run = Run.objects.select_for_update().select_related("period__programme").get(pk=run.pk)
    if run.status in (RunStatus.APPROVED, RunStatus.PAID):
        raise ApplicationError(
            _("This run is approved: it cannot be computed again."), code="run_already_approved"
        )
    if run.status not in (RunStatus.DRAFT, RunStatus.COMPUTED):
        raise ApplicationError(
            _("A %(status)s run cannot be computed.") % {"status": run.get_status_display()},
            code="run_not_computable",
        )
    period, programme = run.period, run.period.programme
    latest = formula_latest(programme=programme)
    if latest is None or latest.pk != run.formula_version_id:
        raise ApplicationError(
            _("The formula changed after this run was created: cancel it and create a new run."),
            code="formula_changed",
        )
    if programme.funding_mode == FundingMode.POOL:
        funded = set(PoolBudget.objects.filter(period=period).values_list("country", flat=True))
        if missing := sorted(set(programme.countries) - funded):
            raise ApplicationError(
                _("No pool is set for %(countries)s.") % {"countries": ", ".join(missing)},
                code="pool_budget_missing",
            )
    if run.status == RunStatus.COMPUTED:
        _awards_delete(run)  # a recomputation replaces them
    run.chunks.all().delete()
    _start, end = period_bounds(period)
    rows = list(
        Enrolment.objects.filter(programme=programme, enrolled_at__lt=end)
        .order_by("creator_id")
        .values_list("creator_id", "formula_version_id")
    )
    versions = {v.pk: v for v in programme.formula_versions.all()}
    formula_versions_lock(
        version_ids={
            version_for_period(
                pinned=versions[pinned_id],
                notice_days=programme.notice_days,
                period=period,
                versions=[*versions.values()],
            ).pk
            for pinned_id in {pinned_id for _creator_id, pinned_id in rows}
        }
    )
    ids = [creator_id for creator_id, _pinned_id in rows]
    chunks = [
        RunChunk(run=run, index=i, creator_ids=ids[offset : offset + run.chunk_size])
        for i, offset in enumerate(range(0, len(ids), run.chunk_size))
    ]
    RunChunk.objects.bulk_create(chunks)
    run.status = RunStatus.COMPUTING
    run.chunks_total, run.chunks_done = len(chunks), 0
    run.totals, run.computed_at = {}, None
    run.save(update_fields=["status", "chunks_total", "chunks_done", "totals", "computed_at", "updated_at"])
    from bonuses.tasks import (  # tasks import services: import here, not at the top
        compute_chunk,
        finalize_run,
    )

    run_id = run.pk
    if chunks:
        transaction.on_commit(lambda: [compute_chunk.delay(run_id) for _chunk in chunks])
    else:
        transaction.on_commit(lambda: finalize_run.delay(run_id))
    return run


def _awards_delete(run: Run) -> None:
    """Delete a computed run's awards and receipts in two statements (never approved: nothing refers to them).

    Django's delete() would load every award to cascade to its receipts: 100,000 objects for a large run.
    """
    Receipt.objects.filter(award__run=run).delete()  # no dependants: one DELETE
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Award._meta.db_table} WHERE run_id = %s", [run.pk])  # noqa: S608


def run_chunk_compute_next(*, run_id: int) -> bool:
    """Claim one pending chunk of the run, compute it and write its awards; False when none is left.

    The claim, the writes and the chunk's "done" commit together. Finalises the run after its
    last chunk, and when no chunk is left (a redelivered task, the resume task): only then, as
    the finalisation waits for the run's row, which every chunk's commit holds for a moment.
    """
    claimed = last = False
    with transaction.atomic():
        chunk = (
            RunChunk.objects.select_for_update(skip_locked=True)
            .filter(run_id=run_id, status=ChunkStatus.PENDING)
            .order_by("index")
            .first()
        )
        if chunk is not None:
            run = Run.objects.select_related("period__programme").get(pk=run_id)
            if run.status != RunStatus.COMPUTING:
                return False
            _chunk_write(run, chunk)
            chunk.status, chunk.finished_at, chunk.attempts = (
                ChunkStatus.DONE,
                timezone.now(),
                chunk.attempts + 1,
            )
            chunk.save(update_fields=["status", "finished_at", "attempts"])
            Run.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1, updated_at=timezone.now())
            # Read under the row lock the update took: of two chunks finishing together, the
            # second to commit sees both counted.
            done, total = Run.objects.filter(pk=run_id).values_list("chunks_done", "chunks_total").get()
            claimed, last = True, done >= total
    if last or not claimed:
        run_finalize(run_id=run_id)
    return claimed


def run_compute_all(*, run_id: int) -> None:
    """Compute every chunk still pending, one after the other (a worker helping until none is left)."""
    while run_chunk_compute_next(run_id=run_id):
        pass


def _chunk_write(run: Run, chunk: RunChunk) -> None:
    """Compute one chunk and write its awards and receipts. Caller holds the chunk's row lock.

    On PostgreSQL the chunk is computed set-based in the database (bonuses.runs_sql): the same
    rows, without loading every post into the worker. Setting ``BONUS_RUNS_IN_SQL = False``
    computes in Python there too, the reference path (and the only one on SQLite).
    """
    if connection.vendor == "postgresql" and getattr(settings, "BONUS_RUNS_IN_SQL", True):
        runs_sql.chunk_write(run=run, chunk=chunk)
        return
    period = run.period
    enrolments = _enrolments(period, chunk.creator_ids)
    versions = list(period.programme.formula_versions.all())
    computed = creators_compute(period=period, enrolments=enrolments, versions=versions)
    awards = [_award(run, item) for item in computed]
    if connection.vendor == "postgresql":
        _awards_copy(awards)
    else:
        awards = Award.objects.bulk_create(awards)
    lines = [
        (award.pk, line)
        for award, item in zip(awards, computed, strict=True)
        if not item.problems
        for line in item.result.lines
    ]
    if connection.vendor == "postgresql":
        _receipts_copy(lines)
    else:
        Receipt.objects.bulk_create(
            [_receipt(award_id, line) for award_id, line in lines], batch_size=RECEIPT_BATCH
        )


RECEIPT_COLUMNS = runs_sql.RECEIPT_COLUMNS  # one list of a receipt's columns for both paths


AWARD_COLUMNS = ("id", *runs_sql.AWARD_COLUMNS)  # the Python path writes ids it reserved


def _awards_copy(awards: list[Award]) -> None:
    """Write awards with COPY, their ids taken from the table's own sequence first (receipts need them).

    The same rows as bulk_create; sets ``pk`` on each award. Caller holds a database transaction.
    """
    if not awards:
        return
    table = Award._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(awards)],
        )
        for award, (pk,) in zip(awards, cursor.fetchall(), strict=True):
            award.pk = pk
    columns = ", ".join(AWARD_COLUMNS)
    with (
        psycopg_cursor() as raw,
        raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for a in awards:
            copy.write_row(
                (
                    a.pk,
                    a.run_id,
                    a.creator_id,
                    a.enrolment_id,
                    a.formula_version_id,
                    a.country,
                    a.currency,
                    a.eligible,
                    a.ineligible_reason,
                    a.posts_considered,
                    a.posts_counted,
                    a.score,
                    a.amount_minor,
                    a.cap_minor,
                    json.dumps(a.details),
                )
            )


def _receipts_copy(lines: list[tuple[int, Line]]) -> None:
    """Write receipt rows with COPY: a run writes one row per post, and COPY is what keeps that cheap.

    Same rows as bulk_create would write (the columns above), inside the caller's transaction.
    """
    table, columns = Receipt._meta.db_table, ", ".join(RECEIPT_COLUMNS)
    with (
        psycopg_cursor() as raw,
        raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for award_id, line in lines:
            post = line.post
            copy.write_row(
                (
                    award_id,
                    post.post_id,
                    post.format,
                    line.counted,
                    post.views,
                    post.likes,
                    post.comments,
                    post.shares,
                    post.invalid_views,
                    line.q_views,
                    line.q_likes,
                    line.q_comments,
                    line.q_shares,
                    line.multiplier_bps,
                    line.uncapped_value,
                    line.value,
                    json.dumps(line.rules),
                )
            )


def _award(run: Run, item: Computed) -> Award:
    result, terms = item.result, item.terms
    details = {
        "formula_version": item.version.number,
        "mode": terms.mode,
        "rates": dict(terms.rates),
        "branded_multiplier_bps": terms.branded_multiplier_bps,
        "max_posts": terms.max_posts,
        "post_cap_minor": terms.post_cap_minor,
        "creator_cap_minor": terms.creator_cap_minor,
        "creator_cap_applied": result.creator_cap_applied,
        "ineligible": [str(p) for p in item.problems],
    }
    if terms.mode == FundingMode.RATE_CARD:
        details["uncapped_minor"] = result.uncapped_score // SCALE
    return Award(
        run=run,
        creator=item.enrolment.creator,
        enrolment=item.enrolment,
        formula_version=item.version,
        country=item.enrolment.creator.country,
        currency=item.currency,
        eligible=not item.problems,
        ineligible_reason=str(item.problems[0]) if item.problems else "",
        posts_considered=len(result.lines),
        posts_counted=0 if item.problems else result.posts_counted,
        score=Decimal(0 if item.problems else result.score),
        amount_minor=result.amount_minor,
        cap_minor=result.cap_minor,
        details=details,
    )


def _receipt(award_id: int, line: Line) -> Receipt:
    post = line.post
    return Receipt(
        award_id=award_id,
        post_id=post.post_id,
        format=post.format,
        counted=line.counted,
        views=post.views,
        likes=post.likes,
        comments=post.comments,
        shares=post.shares,
        invalid_views=post.invalid_views,
        q_views=line.q_views,
        q_likes=line.q_likes,
        q_comments=line.q_comments,
        q_shares=line.q_shares,
        multiplier_bps=line.multiplier_bps,
        uncapped_value=Decimal(line.uncapped_value),
        value=Decimal(line.value),
        rules=line.rules,
    )


@transaction.atomic
def run_finalize(*, run_id: int) -> Run:
    """Once every chunk is done: split pools, total the run, mark it computed. Idempotent."""
    run = Run.objects.select_for_update().select_related("period__programme").get(pk=run_id)
    if run.status != RunStatus.COMPUTING or run.chunks_done < run.chunks_total:
        return run
    if run.programme.funding_mode == FundingMode.POOL:
        _pools_split(run)
    totals = (
        Award.objects.filter(run=run)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
        .values_list("currency", "total")
    )
    run.totals = {currency: int(total) for currency, total in totals}
    run.status, run.computed_at = RunStatus.COMPUTED, timezone.now()
    run.save(update_fields=["status", "computed_at", "totals", "updated_at"])
    return run


def _pools_split(run: Run) -> None:
    """Split each country's pool among its eligible creators by score, within their caps.

    One read of the run's awards, the split in Python (formula.pool_split_minor: the rounding
    of formula.pool_split), then each award written once: its share, its country's pool and the
    country's total score.
    """
    budgets = {b.country: b for b in PoolBudget.objects.filter(period=run.period)}
    rows = _pool_rows(run, countries=list(budgets))
    eligible: dict[str, list[tuple[int, int, int | None]]] = defaultdict(list)
    for pk, country, is_eligible, score, cap in rows:
        if is_eligible:
            eligible[country].append((pk, int(score), cap))
    amounts: dict[int, int] = {}
    pools: dict[str, tuple[int, int]] = {}
    for country, budget in budgets.items():
        scores = [score for _pk, score, _cap in eligible[country]]
        shares = pool_split_minor(
            budget.amount_minor, scores, [cap for _pk, _score, cap in eligible[country]]
        )
        amounts.update(
            {pk: share for (pk, _score, _cap), share in zip(eligible[country], shares, strict=True)}
        )
        pools[country] = (budget.amount_minor, sum(scores))
    if connection.vendor != "postgresql":
        for country, (total, score_total) in pools.items():
            Award.objects.filter(run=run, country=country).update(
                pool_total_minor=total, pool_score_total=Decimal(score_total)
            )
        bulk_set(Award, column="amount_minor", sql_type="bigint", values=amounts)
        return
    _pool_shares_write(ids=[pk for pk, *_ in rows], amounts=amounts, pools=pools)


def _pool_rows(run: Run, *, countries: list[str]) -> list[tuple[int, str, bool, Decimal, int | None]]:
    """(id, country, eligible, score, cap) of the run's awards in ``countries``, by creator.

    By creator: the split's order (a tie in rounding goes to the first). On PostgreSQL a raw
    cursor in binary: a run holds 100,000 awards, and the ORM's handling of them took half the
    time of this read.
    """
    if connection.vendor != "postgresql":
        return list(
            Award.objects.filter(run=run, country__in=countries)
            .order_by("creator_id")
            .values_list("pk", "country", "eligible", "score", "cap_minor")
        )
    with psycopg_cursor() as raw:
        raw.execute(
            f"SELECT id, country, eligible, score, cap_minor FROM {Award._meta.db_table} "  # noqa: S608
            "WHERE run_id = %s AND country = ANY(%s) ORDER BY creator_id",
            [run.pk, countries],
            binary=True,
        )
        return raw.fetchall()


def _pool_shares_write(*, ids: list[int], amounts: dict[int, int], pools: dict[str, tuple[int, int]]) -> None:
    """Write the pool split on PostgreSQL: each award of ``ids`` gets its share (if any) and its
    country's pool and total score, in one UPDATE.

    Each row is rewritten once, not once per column, and in place: no indexed column changes and
    the table keeps half of each page free (fillfactor, migration 0004), so these are HOT updates
    that touch no index. The countries' figures come from a three-row table; only the ids and
    the shares travel, as binary arrays (Django's cursor would quote every number into the SQL).
    """
    countries = list(pools)
    with psycopg_cursor() as raw:
        raw.execute(
            f"UPDATE {Award._meta.db_table} AS a SET pool_total_minor = c.total, "  # noqa: S608
            "pool_score_total = c.score_total, amount_minor = coalesce(u.amount, a.amount_minor) "
            "FROM unnest(%b::bigint[], %b::bigint[]) AS u (id, amount), "
            "unnest(%s::text[], %s::bigint[], %s::numeric[]) AS c (country, total, score_total) "
            "WHERE a.id = u.id AND a.country = c.country",
            [
                ids,
                [amounts.get(pk) for pk in ids],
                countries,
                [pools[country][0] for country in countries],
                [Decimal(pools[country][1]) for country in countries],
            ],
        )


# ---------------------------------------------------------------- approval and reversal


@transaction.atomic
def run_approve(*, run: Run, actor: User) -> Run:
    """Post every award of a computed run to the ledger (one transaction each) and mark it approved.

    Refuses a second approval (``run_already_approved``) and a run that is not computed
    (``run_not_computed``); nothing is posted then. Each posting's reference is
    ``bonus:award:<id>``, so a retried approval never pays twice.
    """
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status in (RunStatus.APPROVED, RunStatus.PAID):
        raise ApplicationError(
            _("This run is already approved."), code="run_already_approved", status_code=409
        )
    if run.status != RunStatus.COMPUTED:
        raise ApplicationError(_("Only a computed run can be approved."), code="run_not_computed")
    now = timezone.now()
    posted: dict[int, int] = {}
    awards = list(
        Award.objects.filter(run=run, eligible=True, amount_minor__gt=0)
        .order_by("pk")
        .values_list("pk", "creator__user_id", "amount_minor", "currency", "country")
    )
    for offset in range(0, len(awards), APPROVE_BATCH):
        batch = awards[offset : offset + APPROVE_BATCH]
        transactions = bonus_awards_post_many(
            awards=[
                BonusAward(
                    reference=f"bonus:award:{pk}",
                    party=f"user:{user_id}",
                    amount=Money(amount, currency),
                    country=country,
                    description=f"Bonus run {run.pk} ({run.period})",
                    metadata={"run_id": run.pk, "award_id": pk},
                )
                for pk, user_id, amount, currency, country in batch
            ],
            at=now,
        )
        posted.update({row[0]: t.pk for row, t in zip(batch, transactions, strict=True)})
    bulk_set(Award, column="ledger_transaction_id", sql_type="bigint", values=posted)
    run.status, run.approved_at, run.approved_by = RunStatus.APPROVED, now, actor
    run.save(update_fields=["status", "approved_at", "approved_by", "updated_at"])
    return run


@transaction.atomic
def run_cancel(*, run: Run, actor: User, reason: str) -> Run:
    """Cancel a run. An approved or paid run is reversed: one reversing transaction per award, never edits.

    Refuses a run already cancelled (``run_cancelled``) and an empty reason (``reason_required``).
    A correction is a cancellation followed by a new run for the period.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for the cancellation."), code="reason_required")
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.status == RunStatus.CANCELLED:
        raise ApplicationError(_("This run is already cancelled."), code="run_cancelled")
    reversed_: dict[int, int] = {}
    awards = Award.objects.filter(run=run, ledger_transaction__isnull=False).select_related(
        "ledger_transaction"
    )
    for award in awards.order_by("pk"):
        assert award.ledger_transaction is not None
        reversal = bonus_award_reverse(
            posted=award.ledger_transaction,
            reference=f"bonus:award:{award.pk}:reverse",
            description=f"Bonus run {run.pk} cancelled: {reason}"[:200],
        )
        reversed_[award.pk] = reversal.pk
    bulk_set(Award, column="reversal_id", sql_type="bigint", values=reversed_)
    run.status, run.cancelled_at, run.cancel_reason = RunStatus.CANCELLED, timezone.now(), reason[:300]
    run.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    logger.info("bonus run %s cancelled by %s: %s", run.pk, actor.pk, reason)
    return run


def runs_mark_paid() -> int:
    """Approved runs whose every award hold has been released are paid (their money is available)."""
    done = 0
    for run in Run.objects.filter(status=RunStatus.APPROVED).order_by("pk"):
        unreleased = Hold.objects.filter(origin__bonus_award__run=run, released_at__isnull=True).exists()
        if not unreleased:
            Run.objects.filter(pk=run.pk, status=RunStatus.APPROVED).update(
                status=RunStatus.PAID, updated_at=timezone.now()
            )
            done += 1
    return done


def runs_resume() -> list[int]:
    """Run ids still computing with pending chunks (a worker died, a message was lost), or with
    every chunk done but never finalised (the finalisation failed after the last chunk's commit,
    and its task was acknowledged): to queue again. A queued compute_chunk finalises the run
    when no chunk is left."""
    return list(
        Run.objects.filter(status=RunStatus.COMPUTING)
        .filter(Q(chunks__status=ChunkStatus.PENDING) | Q(chunks_done=F("chunks_total")))
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# ---------------------------------------------------------------- daily estimates


def estimates_refresh(*, now: datetime | None = None) -> int:
    """Provisional figures for every enrolled creator in each running period; return how many.

    ``approximate``: what the posts so far earn, projected at the same pace to the period's end
    (rate card), or the creator's share of the pool on today's scores; both within the caps.
    ``maximum``: the most the creator can be paid this period (the per-creator cap, and for a
    pool the pool itself); None when nothing caps it.
    """
    now = now or timezone.now()
    today = now.date()
    count = 0
    for period in Period.objects.filter(starts_on__lte=today, ends_on__gte=today).select_related("programme"):
        enrolments = [e for e in _enrolments(period) if e.enrolled_at <= now]
        if not enrolments:
            continue
        versions = list(period.programme.formula_versions.all())
        computed = creators_compute(period=period, enrolments=enrolments, versions=versions)
        count += _estimates_write(period, computed, now)
    return count


@transaction.atomic
def _estimates_write(period: Period, computed: list[Computed], now: datetime) -> int:
    start, end = period_bounds(period)
    # Whole seconds: the projection is integer arithmetic, rounded down like the rate card.
    length = int((end - start).total_seconds())
    elapsed = min(max(int((now - start).total_seconds()), 1), length)
    pools = {}
    if period.programme.funding_mode == FundingMode.POOL:
        budgets = {b.country: b for b in PoolBudget.objects.filter(period=period)}
        for country, budget in budgets.items():
            results = {
                i: c.result
                for i, c in enumerate(computed)
                if c.enrolment.creator.country == country and not c.problems
            }
            for i, share in pool_split(Money(budget.amount_minor, budget.currency), results).items():
                pools[i] = (share.amount_minor, budget.amount_minor)
    for i, item in enumerate(computed):
        cap = (
            item.result.cap_minor
            if item.terms.mode == FundingMode.RATE_CARD
            else item.terms.creator_cap_minor
        )
        if item.terms.mode == FundingMode.POOL:
            earned, pool_total = pools.get(i, (0, None))
            approximate = earned
            limits = [x for x in (cap, pool_total) if x is not None]
            maximum = min(limits) if limits else None
        else:
            earned = item.result.amount_minor
            approximate = earned * length // elapsed
            maximum = cap
        if maximum is not None:
            approximate = min(approximate, maximum)
        if item.problems:
            earned = approximate = 0
        Estimate.objects.update_or_create(
            enrolment=item.enrolment,
            period=period,
            defaults={
                "currency": item.currency,
                "approximate_minor": approximate,
                "maximum_minor": maximum,
                "earned_so_far_minor": earned,
                "posts_counted": item.result.posts_counted,
                "max_posts": item.terms.max_posts,
                "computed_at": now,
                "details": {"ineligible": [str(p) for p in item.problems]},
            },
        )
    return len(computed)
