"""Ingestion of posts, engagement counters and follower counts from the content platform.

Two phases, so that a rejected row never half-writes:

1. Validation, in Python, of every row: shape, types, formats, known creators, fields that
   may not change once stored. A row with any problem is rejected with codes; others go on.
2. Writing, in one database transaction, of every accepted row with set-based upserts:
   each counter is merged as the maximum of what is stored and what arrives, so a late or
   lower snapshot never lowers it; the post's caption and flags follow the newest
   observation only; each snapshot is kept once as history.

The same SQL runs on PostgreSQL and SQLite (both have ON CONFLICT … DO UPDATE and
RETURNING); only the name of the two-argument maximum differs.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.db import psycopg_cursor
from common.errors import ApplicationError
from creators.enums import COUNTER_FIELDS, PostFormat
from creators.models import CreatorProfile, FollowerSnapshot, MetricSnapshot, Post

MAX_BIGINT = 2**63 - 1
CLOCK_SKEW = timedelta(minutes=5)
REQUIRED_COUNTERS = ("views", "likes", "comments", "shares")
POST_FIELDS = frozenset(
    {"external_id", "creator", "format", "published_at", "caption", "is_branded", "is_deleted", "observed_at"}
    | set(COUNTER_FIELDS)
)
FOLLOWER_FIELDS = frozenset({"creator", "followers", "observed_at"})
IMMUTABLE_POST_FIELDS = ("creator_id", "format", "published_at")
# SQLite binds every value separately: 500 rows x 18 columns stays below its parameter limit.
# PostgreSQL gets a whole batch as arrays (see _row_source), so it takes one statement.
SQLITE_ROWS_PER_STATEMENT = 500
POST_FORMATS = frozenset(PostFormat.values)


@dataclass
class RowResult:
    index: int
    key: str | None
    status: str = "rejected"
    errors: list[dict[str, str]] = field(default_factory=list)
    stored: dict[str, Any] | None = None

    def reject(self, code: str, message: str) -> None:
        self.errors.append({"code": code, "message": message})

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "key": self.key, "status": self.status}
        if self.errors:
            data["errors"] = self.errors
        if self.stored is not None:
            data["stored"] = self.stored
        return data


@dataclass
class IngestReport:
    results: list[RowResult]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.status != "rejected")

    @property
    def rejected(self) -> int:
        return len(self.results) - self.accepted

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rows": [r.as_dict() for r in self.results],
        }


# ---------------------------------------------------------------- validation of one field


def _text(row: dict, name: str, result: RowResult, *, max_length: int, required: bool = True) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        if required:
            result.reject("missing_field", _("%(field)s is required.") % {"field": name})
        return None if required else ""
    if not isinstance(value, str):
        result.reject("invalid_field", _("%(field)s must be a string.") % {"field": name})
        return None
    if len(value) > max_length:
        result.reject(
            "invalid_field",
            _("%(field)s is longer than %(max)d characters.") % {"field": name, "max": max_length},
        )
        return None
    return value


def _moment(row: dict, name: str, result: RowResult) -> datetime | None:
    value = row.get(name)
    if value in (None, ""):
        result.reject("missing_field", _("%(field)s is required.") % {"field": name})
        return None
    parsed = _iso_datetime(value) if isinstance(value, str) else None
    if parsed is None or timezone.is_naive(parsed):
        result.reject(
            "invalid_datetime",
            _("%(field)s must be an ISO 8601 date and time with a UTC offset.") % {"field": name},
        )
        return None
    return parsed


def _iso_datetime(value: str) -> datetime | None:
    # fromisoformat is an order of magnitude faster than a regex, and since 3.11 reads
    # every ISO 8601 form the pipeline sends (offsets and "Z" included).
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parse_datetime(value)  # the few forms fromisoformat leaves out
    except ValueError:  # well-formed but impossible, like month 13
        return None


def _counter(row: dict, name: str, result: RowResult, *, required: bool) -> int | None:
    value = row.get(name)
    if value is None:
        if required:
            result.reject("missing_field", _("%(field)s is required.") % {"field": name})
            return None
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        result.reject("invalid_counter", _("%(field)s must be a whole number.") % {"field": name})
        return None
    if value < 0:
        result.reject("negative_counter", _("%(field)s cannot be negative.") % {"field": name})
        return None
    if value > MAX_BIGINT:
        result.reject("invalid_counter", _("%(field)s is too large.") % {"field": name})
        return None
    return value


def _flag(row: dict, name: str, result: RowResult) -> bool:
    value = row.get(name, False)
    if not isinstance(value, bool):
        result.reject("invalid_boolean", _("%(field)s must be true or false.") % {"field": name})
        return False
    return value


def _unknown_fields(row: dict, allowed: frozenset[str], result: RowResult) -> None:
    if allowed.issuperset(row):
        return  # the common case, without building a set
    for name in sorted(set(row) - allowed):
        result.reject("unknown_field", _("%(field)s is not a known field.") % {"field": name})


def _check_batch(rows: Any) -> Sequence[Any]:
    if not isinstance(rows, list):
        raise ApplicationError(
            _("The body must be a JSON object with a list of rows."), code="malformed_batch"
        )
    if not rows:
        raise ApplicationError(_("The batch is empty."), code="empty_batch")
    if len(rows) > settings.INGEST_MAX_BATCH:
        raise ApplicationError(
            _("A batch holds at most %(max)d rows; this one has %(count)d.")
            % {"max": settings.INGEST_MAX_BATCH, "count": len(rows)},
            code="batch_too_large",
            status_code=413,
        )
    return rows


def _creator_ids(handles: Iterable[str]) -> dict[str, int]:
    wanted = list({h.lower() for h in handles if h})
    if connection.vendor != "postgresql":
        return dict(CreatorProfile.objects.filter(handle__in=wanted).values_list("handle", "id"))
    # One array parameter instead of a thousand IN placeholders (see _row_source).
    with _bulk_cursor() as cursor:
        cursor.execute(
            f"SELECT handle, id FROM {CreatorProfile._meta.db_table} WHERE handle = ANY(%b::text[])", [wanted]
        )
        return dict(cursor.fetchall())


# ---------------------------------------------------------------- posts


@dataclass
class PostRow:
    external_id: str
    creator_id: int
    format: str
    published_at: datetime
    caption: str
    is_branded: bool
    is_deleted: bool
    observed_at: datetime
    counters: dict[str, int]


def _parse_post_row(index: int, row: Any, now: datetime) -> tuple[RowResult, dict[str, Any] | None]:
    if not isinstance(row, dict):
        result = RowResult(index=index, key=None)
        result.reject("row_not_object", _("Each row must be a JSON object."))
        return result, None
    result = RowResult(
        index=index, key=row.get("external_id") if isinstance(row.get("external_id"), str) else None
    )
    _unknown_fields(row, POST_FIELDS, result)
    parsed: dict[str, Any] = {
        "external_id": _text(row, "external_id", result, max_length=64),
        "handle": _text(row, "creator", result, max_length=30),
        "format": row.get("format"),
        "published_at": _moment(row, "published_at", result),
        "observed_at": _moment(row, "observed_at", result),
        "caption": _text(row, "caption", result, max_length=2200, required=False),
        "is_branded": _flag(row, "is_branded", result),
        "is_deleted": _flag(row, "is_deleted", result),
        "counters": {
            name: _counter(row, name, result, required=name in REQUIRED_COUNTERS) for name in COUNTER_FIELDS
        },
    }
    if parsed["format"] not in POST_FORMATS:
        result.reject(
            "unknown_format",
            _("format must be one of: %(choices)s.") % {"choices": ", ".join(PostFormat.values)},
        )
    observed, published = parsed["observed_at"], parsed["published_at"]
    if observed and observed > now + CLOCK_SKEW:
        result.reject("observed_in_future", _("observed_at is in the future."))
    if observed and published and observed < published:
        result.reject("observed_before_published", _("observed_at is before published_at."))
    counters = parsed["counters"]
    if (
        None not in (counters["invalid_views"], counters["views"])
        and counters["invalid_views"] > counters["views"]
    ):
        result.reject("invalid_views_exceed_views", _("invalid_views cannot exceed views."))
    return result, (None if result.errors else parsed)


def _resolve_rows(
    candidates: list[tuple[RowResult, dict[str, Any]]], creator_ids: dict[str, int]
) -> list[tuple[RowResult, PostRow]]:
    """Resolve creators and refuse duplicates within the batch.

    Changes to the fields fixed at first ingestion are refused by the upsert itself
    (see _post_upsert_sql), which saves a lookup of every post before writing.
    """
    seen: set[str] = set()
    accepted: list[tuple[RowResult, PostRow]] = []
    for result, parsed in candidates:
        creator_id = creator_ids.get(parsed["handle"].lower())
        if creator_id is None:
            result.reject(
                "unknown_creator", _("No creator has the handle “%(handle)s”.") % {"handle": parsed["handle"]}
            )
            continue
        if parsed["external_id"] in seen:
            result.reject("duplicate_in_batch", _("This post already appears earlier in the batch."))
            continue
        seen.add(parsed["external_id"])
        row = PostRow(
            external_id=parsed["external_id"],
            creator_id=creator_id,
            format=parsed["format"],
            published_at=parsed["published_at"],
            caption=parsed["caption"],
            is_branded=parsed["is_branded"],
            is_deleted=parsed["is_deleted"],
            observed_at=parsed["observed_at"],
            counters=parsed["counters"],
        )
        accepted.append((result, row))
    return accepted


def _greatest() -> str:
    return "GREATEST" if connection.vendor == "postgresql" else "MAX"


# Columns written for each post, with their PostgreSQL array types for unnest().
POST_COLUMNS = (
    ("creator_id", "bigint"), ("external_id", "text"), ("format", "text"), ("published_at", "timestamptz"),
    ("caption", "text"), ("is_branded", "boolean"), ("is_deleted", "boolean"),
    *((name, "bigint") for name in COUNTER_FIELDS),
    ("metrics_observed_at", "timestamptz"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
)  # fmt: skip
SNAPSHOT_COLUMNS = (
    ("post_id", "bigint"), ("observed_at", "timestamptz"), *((name, "bigint") for name in COUNTER_FIELDS),
    ("received_at", "timestamptz"),
)  # fmt: skip


def _row_source(columns: Sequence[tuple[str, str]], rows: list[list[Any]]) -> tuple[str, list[Any]]:
    """The rows to insert, as SQL and parameters.

    PostgreSQL gets one array per column and unnest(): a thousand-row batch is then 18
    parameters instead of 18,000, which the driver would otherwise splice into the query text
    one by one. SQLite has no arrays and takes a multi-row VALUES list.
    """
    if connection.vendor == "postgresql":
        arrays = [[row[i] for row in rows] for i in range(len(columns))]
        casts = ", ".join(f"%b::{kind}[]" for _name, kind in columns)  # %b: binary, no quoting
        return f"SELECT * FROM unnest({casts})", arrays
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return "VALUES " + ", ".join([placeholders] * len(rows)), [value for row in rows for value in row]


def _post_upsert_sql(source: str) -> str:
    table = Post._meta.db_table
    newer = (
        f"EXCLUDED.metrics_observed_at >= COALESCE({table}.metrics_observed_at, EXCLUDED.metrics_observed_at)"
    )
    greatest = _greatest()
    updates = [f"{name} = {greatest}({table}.{name}, EXCLUDED.{name})" for name in COUNTER_FIELDS]
    updates += [
        f"{name} = CASE WHEN {newer} THEN EXCLUDED.{name} ELSE {table}.{name} END"
        for name in ("caption", "is_branded", "is_deleted")
    ]
    stored_moment = f"COALESCE({table}.metrics_observed_at, EXCLUDED.metrics_observed_at)"
    updates += [
        f"metrics_observed_at = {greatest}({stored_moment}, EXCLUDED.metrics_observed_at)",
        "updated_at = EXCLUDED.updated_at",
    ]
    columns = ", ".join(name for name, _kind in POST_COLUMNS)
    # A stored post whose creator, format or publication time differs is left untouched and
    # not returned: the caller reports it as rejected. An insert sets created_at = updated_at
    # (the batch's one timestamp); an update keeps the older created_at.
    unchanged = " AND ".join(f"{table}.{name} = EXCLUDED.{name}" for name in IMMUTABLE_POST_FIELDS)
    return (
        f"INSERT INTO {table} ({columns}) {source} "
        f"ON CONFLICT (external_id) DO UPDATE SET {', '.join(updates)} WHERE {unchanged} "
        f"RETURNING id, external_id, created_at = updated_at, {', '.join(COUNTER_FIELDS)}"
    )


def _snapshot_insert_sql(source: str) -> str:
    columns = ", ".join(name for name, _kind in SNAPSHOT_COLUMNS)
    return (
        f"INSERT INTO {MetricSnapshot._meta.db_table} ({columns}) {source} "
        "ON CONFLICT (post_id, observed_at) DO NOTHING"
    )


def _bulk_cursor() -> Any:
    """A cursor for the bulk statements, in the transaction Django holds open.

    On PostgreSQL, a psycopg cursor with server-side binding: the column arrays travel as
    parameters, not spliced into the query text (Django's default client-side binding would
    quote every element in Python). Elsewhere, Django's own cursor.
    """
    if connection.vendor == "postgresql":
        return psycopg_cursor()
    return connection.cursor()


@dataclass
class Stored:
    created: bool
    counters: dict[str, int]


def _write_posts(rows: list[PostRow], now: datetime) -> dict[str, Stored]:
    """Upsert posts and their snapshots; return what is now stored, by external id.

    Rows missing from the result were refused: they would have changed a fixed field.
    """
    moment = connection.ops.adapt_datetimefield_value
    stored: dict[str, Stored] = {}
    # Concurrent batches touching the same posts must lock them in one order, or the upserts
    # deadlock (PostgreSQL then kills one batch with an error).
    rows = sorted(rows, key=lambda r: r.external_id)
    with _bulk_cursor() as cursor:
        per_statement = len(rows) if connection.vendor == "postgresql" else SQLITE_ROWS_PER_STATEMENT
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            post_values = [
                [r.creator_id, r.external_id, r.format, moment(r.published_at), r.caption, r.is_branded,
                 r.is_deleted, *(r.counters[n] for n in COUNTER_FIELDS), moment(r.observed_at),
                 moment(now), moment(now)]
                for r in chunk
            ]  # fmt: skip
            source, params = _row_source(POST_COLUMNS, post_values)
            cursor.execute(_post_upsert_sql(source), params)
            post_ids: dict[str, int] = {}
            for post_id, external_id, created, *counters in cursor.fetchall():
                post_ids[external_id] = post_id
                stored[external_id] = Stored(bool(created), dict(zip(COUNTER_FIELDS, counters, strict=True)))
            snapshot_values = [
                [post_ids[r.external_id], moment(r.observed_at), *(r.counters[n] for n in COUNTER_FIELDS),
                 moment(now)]
                for r in chunk if r.external_id in post_ids
            ]  # fmt: skip
            if snapshot_values:
                source, params = _row_source(SNAPSHOT_COLUMNS, snapshot_values)
                cursor.execute(_snapshot_insert_sql(source), params)
    return stored


def posts_ingest(*, rows: Any) -> IngestReport:
    """Validate and upsert a batch of posts with their latest counters.

    Rows with problems are reported and skipped; the others are written together in one
    transaction, so a failure of the database leaves nothing of the batch behind.
    """
    rows = _check_batch(rows)
    now = timezone.now()
    results: list[RowResult] = []
    candidates: list[tuple[RowResult, dict[str, Any]]] = []
    for index, raw in enumerate(rows):
        result, parsed = _parse_post_row(index, raw, now)
        results.append(result)
        if parsed is not None:
            candidates.append((result, parsed))
    accepted = _resolve_rows(candidates, _creator_ids(c[1]["handle"] for c in candidates))
    if accepted:
        with transaction.atomic():
            stored = _write_posts([row for _, row in accepted], now)
        _report_writes(accepted, stored)
    return IngestReport(results=results)


def _report_writes(accepted: list[tuple[RowResult, PostRow]], stored: dict[str, Stored]) -> None:
    refused = [row for _, row in accepted if row.external_id not in stored]
    fixed = {
        p["external_id"]: p
        for p in Post.objects.filter(external_id__in=[r.external_id for r in refused]).values(
            "external_id", *IMMUTABLE_POST_FIELDS
        )
    } if refused else {}  # fmt: skip
    for result, row in accepted:
        if row.external_id in stored:
            result.status = "created" if stored[row.external_id].created else "updated"
            result.stored = stored[row.external_id].counters
        else:
            changed = [n for n in IMMUTABLE_POST_FIELDS if fixed[row.external_id][n] != getattr(row, n)]
            result.reject(
                "immutable_field_changed",
                _("Cannot change %(fields)s of a stored post.") % {"fields": ", ".join(changed)},
            )


# ---------------------------------------------------------------- followers


def _parse_follower_row(index: int, row: Any, now: datetime) -> tuple[RowResult, dict[str, Any] | None]:
    if not isinstance(row, dict):
        result = RowResult(index=index, key=None)
        result.reject("row_not_object", _("Each row must be a JSON object."))
        return result, None
    result = RowResult(index=index, key=row.get("creator") if isinstance(row.get("creator"), str) else None)
    _unknown_fields(row, FOLLOWER_FIELDS, result)
    parsed = {
        "handle": _text(row, "creator", result, max_length=30),
        "followers": _counter(row, "followers", result, required=True),
        "observed_at": _moment(row, "observed_at", result),
    }
    if parsed["observed_at"] and parsed["observed_at"] > now + CLOCK_SKEW:
        result.reject("observed_in_future", _("observed_at is in the future."))
    return result, (None if result.errors else parsed)


def followers_ingest(*, rows: Any) -> IngestReport:
    """Record follower counts. Each observation is kept; the newest sets the creator's count."""
    rows = _check_batch(rows)
    now = timezone.now()
    results: list[RowResult] = []
    candidates: list[tuple[RowResult, dict[str, Any]]] = []
    for index, raw in enumerate(rows):
        result, parsed = _parse_follower_row(index, raw, now)
        results.append(result)
        if parsed is not None:
            candidates.append((result, parsed))
    creator_ids = _creator_ids(c[1]["handle"] for c in candidates)
    snapshots: list[FollowerSnapshot] = []
    for result, parsed in candidates:
        creator_id = creator_ids.get(parsed["handle"].lower())
        if creator_id is None:
            result.reject(
                "unknown_creator", _("No creator has the handle “%(handle)s”.") % {"handle": parsed["handle"]}
            )
            continue
        result.status = "recorded"
        snapshots.append(
            FollowerSnapshot(
                creator_id=creator_id, observed_at=parsed["observed_at"], followers=parsed["followers"]
            )
        )
    with transaction.atomic():
        FollowerSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
        _apply_newest_followers(snapshots)
    current = dict(
        CreatorProfile.objects.filter(id__in=creator_ids.values()).values_list("handle", "followers")
    )
    for result, parsed in candidates:
        if result.status == "recorded":
            result.stored = {"followers": current[parsed["handle"].lower()]}
    return IngestReport(results=results)


def _apply_newest_followers(snapshots: list[FollowerSnapshot]) -> None:
    newest: dict[int, FollowerSnapshot] = {}
    for snap in snapshots:
        if snap.creator_id not in newest or snap.observed_at > newest[snap.creator_id].observed_at:
            newest[snap.creator_id] = snap
    for creator_id, snap in newest.items():
        # The guard in the WHERE clause makes a late, older observation a no-op.
        older = Q(followers_observed_at__isnull=True) | Q(followers_observed_at__lt=snap.observed_at)
        CreatorProfile.objects.filter(older, pk=creator_id).update(
            followers=snap.followers, followers_observed_at=snap.observed_at, updated_at=timezone.now()
        )
