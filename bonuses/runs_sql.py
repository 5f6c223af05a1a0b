"""A run's chunk computed set-based on PostgreSQL: the same awards and receipts as runs.creators_compute.

The Python path (bonuses.formula over posts loaded into the worker) stays the reference, and
the only path on SQLite. On PostgreSQL a chunk is one INSERT … SELECT that applies every step
of bonuses.formula inside the database, so a million posts never travel to a worker:

1. eligibility (services.eligibility_problems, with the standing history of
   services.standings_during) per enrolled creator of the chunk;
2. the terms of each creator (services.formula_for_period, services.terms_for), resolved in
   Python once per pinned version and currency and joined as a small VALUES table;
3. exclusions, qualified counters and each post's exact value (formula.qualify; the value is
   formula.post_value compiled by formula.post_value_sql, the rates as parameters);
4. the post limit, a window numbering each creator's qualifying posts in publication order,
   then id (as formula.creator_compute sorts);
5. the rate card's caps and its one rounding down, or a pool's creator cap;
6. the award rows, then one receipt per post of each eligible creator, with the same rules in
   the same order.

The pool split across a country's creators needs the whole run's scores: runs.run_finalize
still does it once, from one read and one UPDATE of the awards in place (HOT).

Neither awards nor receipts carry database foreign keys: the receipts' checks (a lookup and a
row lock each, at commit) were 40% of a chunk's time, the awards' four per award another eighth.
models.Receipt says why integrity holds without them; the awards' references are checked and
locked once per statement by a trigger (migration 0005).

tests/bonuses/test_run_sql_equivalence.py runs both paths on the same data and compares every
row. A change to the formula is made in both places (formula.py and here).
"""

import json
from typing import Any

from django.db import connection

from bonuses.enums import COUNTRY_CURRENCIES, FundingMode, Ineligible, Rule
from bonuses.formula import BPS, SCALE, post_value_sql
from bonuses.models import Award, Receipt, Run, RunChunk
from bonuses.services import BAD_STANDINGS, period_bounds, terms_for, version_for_period
from creators.enums import AccountType

AWARD_COLUMNS = (
    "run_id",
    "creator_id",
    "enrolment_id",
    "formula_version_id",
    "country",
    "currency",
    "eligible",
    "ineligible_reason",
    "posts_considered",
    "posts_counted",
    "score",
    "amount_minor",
    "cap_minor",
    "details",
)

RECEIPT_COLUMNS = (
    "award_id",
    "post_id",
    "format",
    "counted",
    "views",
    "likes",
    "comments",
    "shares",
    "invalid_views",
    "q_views",
    "q_likes",
    "q_comments",
    "q_shares",
    "multiplier_bps",
    "uncapped_value",
    "value",
    "rules",
)


class _Sql:
    """SQL text built from trusted fragments, with every value as a parameter, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> None:
        self.parts.append(sql)
        self.params.extend(params)

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def chunk_write(*, run: Run, chunk: RunChunk) -> None:
    """Compute one chunk in the database and write its awards and receipts (PostgreSQL only).

    The same rows as runs._chunk_write's Python path. Caller holds the chunk's row lock and
    the database transaction; ``run`` comes with ``period__programme``.
    """
    sql = _chunk_sql(run, chunk)
    with connection.cursor() as cursor:
        # A chunk is recomputed from scratch if its commit is lost (a crash right after it): the
        # chunk's "done" mark goes with it and runs_resume queues it again. So its commit need
        # not wait for the WAL flush. Local to this transaction.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(sql.text, sql.params)


def _terms_rows(run: Run) -> list[tuple[Any, ...]]:
    """(pinned version, currency) → the terms that apply: one row per pair, a handful per programme."""
    period, programme = run.period, run.period.programme
    versions = list(programme.formula_versions.all())
    currency_country = {currency: country for country, currency in COUNTRY_CURRENCIES.items()}
    rows = []
    for pinned in versions:
        version = version_for_period(
            pinned=pinned, notice_days=programme.notice_days, period=period, versions=versions
        )
        for currency, country in currency_country.items():
            terms = terms_for(version=version, programme=programme, country=country)
            details = {
                "formula_version": version.number,
                "mode": str(terms.mode),
                "rates": dict(terms.rates),
                "branded_multiplier_bps": terms.branded_multiplier_bps,
                "max_posts": terms.max_posts,
                "post_cap_minor": terms.post_cap_minor,
                "creator_cap_minor": terms.creator_cap_minor,
            }
            rows.append((pinned.pk, currency, version.pk, terms, details))
    return rows


def _chunk_sql(run: Run, chunk: RunChunk) -> _Sql:
    period, programme = run.period, run.period.programme
    start, end = period_bounds(period)
    rate_card = programme.funding_mode == FundingMode.RATE_CARD
    terms_rows = _terms_rows(run)
    sql = _Sql()

    # Named up front: pg_stat_activity shows only the first kilobyte of a statement.
    sql.add("/* bonuses.runs_sql chunk: INSERT INTO bonuses_award, INSERT INTO bonuses_receipt */")
    # The terms table: one index per distinct terms, which the value expression switches on.
    sql.add("WITH terms (pinned_id, currency, idx, version_id, max_posts, branded_bps, post_cap,")
    sql.add("    creator_cap, details) AS (VALUES")
    values = []
    for idx, (pinned_id, currency, version_id, terms, details) in enumerate(terms_rows):
        values.append(
            "(%s::bigint, %s::text, %s::int, %s::bigint, %s::bigint, %s::bigint, %s::bigint, "
            "%s::bigint, %s::jsonb)"
        )
        sql.params += [
            pinned_id,
            currency,
            idx,
            version_id,
            terms.max_posts,
            terms.branded_multiplier_bps,
            terms.post_cap_minor,
            terms.creator_cap_minor,
            json.dumps(details),
        ]
    sql.add(",\n".join(values) + "),")
    sql.add("currencies (country, currency) AS (VALUES")
    sql.add(",\n".join("(%s::text, %s::text)" for _ in COUNTRY_CURRENCIES) + "),")
    for country, currency in COUNTRY_CURRENCIES.items():
        sql.params += [country, currency]
    default_currency = COUNTRY_CURRENCIES[programme.countries[0]]

    # 1. The standing each creator of the chunk had during the period, from their history
    # (services.standings_during): the one at its start (the last change before it, else the
    # first change's "before") and every one a change inside the period left them in. One
    # aggregate over the chunk's few events; creators without history keep today's standing.
    bad = sorted(BAD_STANDINGS)
    sql.add(
        """standings AS (
    SELECT s.creator_id,
        coalesce(bool_or(s.standing_after = ANY(%s::text[]))
            FILTER (WHERE s.created_at >= %s AND s.created_at < %s), false)
        OR coalesce(
            (array_agg(s.standing_after ORDER BY s.created_at DESC, s.id DESC)
                FILTER (WHERE s.created_at < %s))[1],
            (array_agg(s.standing_before ORDER BY s.created_at, s.id)
                FILTER (WHERE s.created_at >= %s))[1]
        ) = ANY(%s::text[]) AS bad
    FROM creators_standingevent s WHERE s.creator_id = ANY(%s::bigint[])
    GROUP BY s.creator_id
),""",
        bad,
        start,
        end,
        start,
        start,
        bad,
        list(chunk.creator_ids),
    )

    # 1–2. The chunk's enrolled creators, their terms and why they are not eligible (in the order
    # of services.eligibility_problems).
    sql.add(
        """creators AS MATERIALIZED (
    SELECT e.id AS enrolment_id, e.creator_id, e.enrolled_at, cp.country,
        coalesce(cc.currency, %s::text) AS currency,
        t.idx, t.version_id, t.max_posts, t.branded_bps, t.post_cap, t.creator_cap, t.details,
        array_remove(ARRAY[
            CASE WHEN NOT cp.country = ANY(%s::text[]) THEN %s::text END,
            CASE WHEN %s AND cp.account_type <> %s::text THEN %s::text END,
            CASE WHEN %s AND cp.age_attested_at IS NULL THEN %s::text END,
            CASE WHEN cp.followers < %s::bigint THEN %s::text END,
            CASE WHEN %s AND coalesce(st.bad, cp.policy_standing = ANY(%s::text[])) THEN %s::text END
        ], NULL) AS problems
    FROM unnest(%s::bigint[]) AS chunk (creator_id)
    -- One index lookup per creator of the chunk (LIMIT: never flattened into a join that
    -- would read every enrolment or profile of a large programme to find a thousand).
    CROSS JOIN LATERAL (
        SELECT e.id, e.creator_id, e.formula_version_id, e.enrolled_at FROM bonuses_enrolment e
        WHERE e.programme_id = %s AND e.creator_id = chunk.creator_id AND e.enrolled_at < %s LIMIT 1
    ) e
    CROSS JOIN LATERAL (
        SELECT * FROM creators_creatorprofile cp WHERE cp.id = chunk.creator_id LIMIT 1
    ) cp
    LEFT JOIN standings st ON st.creator_id = chunk.creator_id
    LEFT JOIN currencies cc ON cc.country = cp.country
    JOIN terms t ON t.pinned_id = e.formula_version_id AND t.currency = coalesce(cc.currency, %s::text)
),""",
        default_currency,
        list(programme.countries),
        str(Ineligible.COUNTRY),
        programme.require_professional,
        str(AccountType.PROFESSIONAL),
        str(Ineligible.NOT_PROFESSIONAL),
        programme.require_adult,
        str(Ineligible.NOT_ADULT),
        programme.min_followers,
        str(Ineligible.FOLLOWERS),
        programme.require_good_standing,
        bad,
        str(Ineligible.STANDING),
        list(chunk.creator_ids),
        programme.pk,
        end,
        default_currency,
    )

    # 3. Exclusions (the first that applies, as formula.qualify returns early) and qualified
    # counters. Posts outside the period are not read at all (as creators_compute).
    sql.add(
        """qualified AS (
    SELECT c.creator_id, p.id AS post_id, p.format, p.published_at, p.is_branded, p.is_deleted,
        p.views, p.likes, p.comments, p.shares, p.invalid_views, c.idx, c.max_posts, c.branded_bps,
        c.post_cap, c.enrolled_at, x.excluded, x.qv,
        CASE WHEN x.excluded = 0 THEN x.qv ELSE 0 END AS q_views,
        CASE WHEN x.excluded = 0 THEN least(p.likes, x.qv) ELSE 0 END AS q_likes,
        CASE WHEN x.excluded = 0 THEN least(p.comments, x.qv) ELSE 0 END AS q_comments,
        CASE WHEN x.excluded = 0 THEN least(p.shares, x.qv) ELSE 0 END AS q_shares,
        CASE WHEN x.excluded = 0 AND p.is_branded THEN c.branded_bps ELSE %s END AS multiplier_bps,
        x.excluded = 0 AND NOT (p.is_branded AND c.branded_bps = 0) AS qualifies
    FROM creators_post p
    JOIN creators c ON c.creator_id = p.creator_id
    CROSS JOIN LATERAL (SELECT
        CASE WHEN p.is_deleted THEN 1 WHEN NOT p.format = ANY(%s::text[]) THEN 2
            WHEN p.published_at < c.enrolled_at THEN 3 ELSE 0 END AS excluded,
        greatest(p.views - p.invalid_views, 0) AS qv) x
    -- The chunk's ids again, on the posts: the (creator, published_at) index finds their posts
    -- of the period, never a scan of every post.
    WHERE p.creator_id = ANY(%s::bigint[]) AND p.published_at >= %s AND p.published_at < %s
),""",
        BPS,
        list(programme.formats),
        list(chunk.creator_ids),
        start,
        end,
    )

    # 3–4. The exact value (the formula compiled, one branch per terms) and the post limit:
    # the first max_posts qualifying posts in publication order, then id.
    branches = []
    value_params: list[Any] = []
    for idx, (_pinned, _currency, _version, terms, _details) in enumerate(terms_rows):
        expression, params = post_value_sql(
            terms.rates,
            format_="q.format",
            q_views="q.q_views",
            q_likes="q.q_likes",
            q_comments="q.q_comments",
            q_shares="q.q_shares",
            multiplier_bps="q.multiplier_bps",
        )
        branches.append(f"WHEN {idx} THEN {expression}")
        value_params += params
    sql.add(
        f"""valued AS (
    SELECT q.*,
        CASE WHEN q.qualifies THEN CASE q.idx {" ".join(branches)} END ELSE 0 END AS uncapped_value,
        -- Among the creator's qualifying posts, its rank in publication order, then id. (Rows
        -- come out in the receipts' order, which the final sort then finds already sorted.)
        count(*) FILTER (WHERE q.qualifies) OVER (PARTITION BY q.creator_id
            ORDER BY q.published_at, q.post_id ROWS UNBOUNDED PRECEDING) AS position
    FROM qualified q
),""",  # noqa: S608 (trusted fragments; values are parameters)
        *value_params,
    )

    # 4–5. Counted or beyond the limit; a rate card caps each counted post's value.
    post_capped = (
        "v.qualifies AND v.position <= v.max_posts AND v.post_cap IS NOT NULL "
        "AND v.uncapped_value > v.post_cap::numeric * %s"
        if rate_card
        else "false"
    )
    sql.add(
        f"""lines AS MATERIALIZED (
    SELECT v.*, v.qualifies AND v.position <= v.max_posts AS counted,
        v.qualifies AND v.position > v.max_posts AS limited, {post_capped} AS post_capped
    FROM valued v
),""",  # noqa: S608 (trusted fragments; values are parameters)
        *([SCALE] if rate_card else []),
    )

    # 5. Per creator: posts considered and counted, the uncapped and capped scores.
    sql.add(
        """totals AS (
    SELECT l.creator_id, count(*) AS considered, count(*) FILTER (WHERE l.counted) AS counted,
        coalesce(sum(l.uncapped_value) FILTER (WHERE l.counted), 0) AS uncapped_score,
        coalesce(sum(CASE WHEN l.post_capped THEN l.post_cap::numeric * %s ELSE l.uncapped_value END)
            FILTER (WHERE l.counted), 0) AS score
    FROM lines l GROUP BY l.creator_id
),
figures AS (
    SELECT c.*, cardinality(c.problems) = 0 AS eligible,
        coalesce(t.considered, 0) AS considered, coalesce(t.counted, 0) AS counted,
        coalesce(t.uncapped_score, 0) AS uncapped_score, coalesce(t.score, 0) AS score
    FROM creators c LEFT JOIN totals t ON t.creator_id = c.creator_id
),""",
        SCALE,
    )

    # 6. The awards. A rate card pays its total rounded down once, within the creator cap; a
    # pool's amount is its split, written when the run is finalised. An ineligible creator's
    # figures stay on record but earn nothing (posts counted and score 0, as the Python path).
    if rate_card:
        award_figures = """
        CASE WHEN f.eligible THEN f.score ELSE 0 END,
        CASE WHEN f.eligible THEN least(div(f.score, %s), f.creator_cap) ELSE 0 END,
        f.creator_cap,
        f.details || jsonb_build_object(
            'creator_cap_applied', f.creator_cap IS NOT NULL AND div(f.score, %s) > f.creator_cap,
            'ineligible', to_jsonb(f.problems),
            'uncapped_minor', div(f.uncapped_score, %s))"""
        figure_params: list[Any] = [SCALE, SCALE, SCALE]
    else:
        award_figures = """
        CASE WHEN f.eligible THEN f.uncapped_score ELSE 0 END,
        0,
        least(f.creator_cap, f.post_cap * f.counted),
        f.details || jsonb_build_object('creator_cap_applied', false, 'ineligible', to_jsonb(f.problems))"""
        figure_params = []
    sql.add(
        f"""awards AS (
    INSERT INTO {Award._meta.db_table} ({", ".join(AWARD_COLUMNS)})
    SELECT %s, f.creator_id, f.enrolment_id, f.version_id, f.country, f.currency, f.eligible,
        coalesce(f.problems[1], ''), f.considered, CASE WHEN f.eligible THEN f.counted ELSE 0 END,
        {award_figures}
    FROM figures f
    ORDER BY f.creator_id
    RETURNING id, creator_id, eligible
)""",  # noqa: S608 (trusted fragments; values are parameters)
        run.pk,
        *figure_params,
    )

    # 6. One receipt per post of each eligible creator, rules in the order formula.qualify and
    # formula.creator_compute note them; ids in creator, then publication order (as written by
    # the Python path).
    rule = {r: str(r) for r in Rule}
    sql.add(
        f"""INSERT INTO {Receipt._meta.db_table} ({", ".join(RECEIPT_COLUMNS)})
SELECT a.id, l.post_id, l.format, l.counted, l.views, l.likes, l.comments, l.shares,
    l.invalid_views, l.q_views, l.q_likes, l.q_comments, l.q_shares, l.multiplier_bps,
    l.uncapped_value,
    CASE WHEN NOT l.counted THEN 0 WHEN l.post_capped THEN l.post_cap::numeric * %s
        ELSE l.uncapped_value END,
    CASE l.excluded
        WHEN 1 THEN jsonb_build_array(jsonb_build_object('rule', %s::text))
        WHEN 2 THEN jsonb_build_array(jsonb_build_object('rule', %s::text, 'format', l.format))
        WHEN 3 THEN jsonb_build_array(jsonb_build_object('rule', %s::text, 'enrolled_at',
            -- datetime.isoformat() of the UTC instant: microseconds only when there are some
            to_char(l.enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN to_char(l.enrolled_at, 'US') = '000000' THEN ''
                ELSE '.' || to_char(l.enrolled_at, 'US') END || '+00:00'))
        ELSE CASE WHEN l.q_views = l.views AND l.q_likes = l.likes AND l.q_comments = l.comments
                AND l.q_shares = l.shares AND NOT l.is_branded AND NOT l.limited AND NOT l.post_capped
            THEN '[]'::jsonb
            ELSE to_jsonb(array_remove(ARRAY[
                CASE WHEN l.q_views <> l.views
                    THEN jsonb_build_object('rule', %s::text, 'removed', l.views - l.q_views) END,
                CASE WHEN l.q_likes <> l.likes
                    THEN jsonb_build_object('rule', %s::text, 'before', l.likes, 'after', l.q_views) END,
                CASE WHEN l.q_comments <> l.comments
                    THEN jsonb_build_object('rule', %s::text, 'before', l.comments, 'after', l.q_views) END,
                CASE WHEN l.q_shares <> l.shares
                    THEN jsonb_build_object('rule', %s::text, 'before', l.shares, 'after', l.q_views) END,
                CASE WHEN l.is_branded AND l.multiplier_bps = 0
                    THEN jsonb_build_object('rule', %s::text) END,
                CASE WHEN l.is_branded AND l.multiplier_bps <> 0
                    THEN jsonb_build_object('rule', %s::text, 'multiplier_bps', l.multiplier_bps) END,
                CASE WHEN l.limited THEN jsonb_build_object('rule', %s::text, 'limit', l.max_posts) END,
                CASE WHEN l.post_capped THEN jsonb_build_object('rule', %s::text, 'cap_minor', l.post_cap) END
            ]::jsonb[], NULL))
        END
    END
FROM lines l JOIN awards a ON a.creator_id = l.creator_id AND a.eligible
ORDER BY l.creator_id, l.published_at, l.post_id""",  # noqa: S608 (trusted fragments; values are parameters)
        SCALE,
        rule[Rule.DELETED],
        rule[Rule.FORMAT_NOT_COUNTED],
        rule[Rule.BEFORE_ENROLMENT],
        rule[Rule.INVALID_VIEWS_REMOVED],
        rule[Rule.LIKES_CAPPED],
        rule[Rule.COMMENTS_CAPPED],
        rule[Rule.SHARES_CAPPED],
        rule[Rule.BRANDED_EXCLUDED],
        rule[Rule.BRANDED_MULTIPLIER],
        rule[Rule.POST_LIMIT],
        rule[Rule.POST_CAP],
    )
    return sql
