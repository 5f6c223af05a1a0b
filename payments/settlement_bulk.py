"""Settling a batch of paid payments set-based, on PostgreSQL: the backlog's fast path.

settlement_post_many() plans each payment with Money values and dataclasses and writes through
the ORM, which is clear and general, but for a backlog of thousands of charges the Python object
work costs several times the database's. This module writes exactly the same rows — the same
ledger transaction per payment (reference, kind, description, metadata, commission rules applied,
content hash), the same entries, holds and ``Payment.settlement`` — from plain ints and tuples,
with one statement for all of them. The database's own rules guard the result as they guard
any posting (the ledger triggers), and ``tests/payments/test_settlement_bulk.py`` checks that
both paths write identical rows.

The rows travel as ONE JSON document per statement (``jsonb_to_recordset``): json.dumps is C,
while psycopg adapts a Python list to an array literal element by element in Python (with a
regex escape per string), which cost more than the database's work for the JSON columns.
Accounts seen for the first time are created by one INSERT … ON CONFLICT DO NOTHING in key
order, not one get_or_create (and savepoint) each.

It takes the common case only: every split a plain earning (no escrow), every split valid, every
commission rule found, no settlement reference already taken. For anything else it returns None
before writing, and the caller settles the batch the general way, which logs and skips bad
payments one by one.

Locking follows the general path's order: the payments (SKIP LOCKED, pk order), then the
accounts that must not go negative in pk order, then the platform's free-sign accounts in pk
order just before the commit — with FOR NO KEY UPDATE, see _balances_apply().
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from common.money import currency_validate
from payments.commission import commission_rule_pick, commission_rules_load
from payments.enums import FREE_KINDS, AccountKind, CommissionSource, PaymentStatus
from payments.ledger import content_hash
from payments.models import PARTY_PATTERN, PLATFORM, CommissionRule
from payments.settlement import MAX_HOLD_DAYS, SPLIT_KEYS, SPLIT_REQUIRED_KEYS, settlement_reference

SOURCES = frozenset(CommissionSource.values)
BPS = 10_000

AccountKey = tuple[str, str, str]  # (party, kind, currency)


def settlement_post_bulk(*, payment_ids: Sequence[int]) -> int | None:
    """Settle the batch set-based and return how many were settled, or None (nothing written)
    when the batch needs the general path. Caller holds an open database transaction."""
    with connection.cursor() as cursor:
        ids = sorted(set(payment_ids))
        cursor.execute(
            PAYMENTS_LOCK, [ids, [settlement_reference(pk) for pk in ids], PaymentStatus.SUCCEEDED]
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        if any(half_settled for *_row, half_settled in rows):
            return None  # a half-settled payment: the general path explains it
        rules = commission_rules_load()
        now = timezone.now()
        picker = _RulePicker(rules)
        plans = []
        for *row, _half_settled in rows:
            plan = _plan(row, picker, now)
            if plan is None:
                return None
            plans.append(plan)
        accounts = _accounts_get_or_create(cursor, {key for plan in plans for key, _amount in plan["lines"]})
        _write(cursor, plans, accounts, now)
    return len(plans)


# The batch's paid, unsettled payments, locked in pk order (SKIP LOCKED: another worker has the
# rest), and whether a settlement transaction already carries one's reference (a half-settled
# payment, which only the general path explains): what _plan() reads, in one round trip.
PAYMENTS_LOCK = """
SELECT p.id, p.reference, p.source, p.amount_minor, p.currency, p.country, p.paid_at, p.splits,
       EXISTS (SELECT 1 FROM payments_ledgertransaction t WHERE t.reference = b.reference) AS half_settled
  FROM unnest(%s::bigint[], %s::text[]) AS b (id, reference)
  JOIN payments_payment p ON p.id = b.id
 WHERE p.settlement_id IS NULL AND p.status = %s
 ORDER BY p.id
   FOR UPDATE OF p SKIP LOCKED
"""


class _RulePicker:
    """commission_rule_pick() and the rule's snapshot, each worked out once per batch for the
    same source, country and time (a batch's payments share a few of each)."""

    def __init__(self, rules: list[CommissionRule]) -> None:
        self.rules = rules
        self.picked: dict[tuple[str, str, datetime], tuple[CommissionRule, dict[str, Any]]] = {}

    def pick(self, source: str, country: str, at: datetime) -> tuple[CommissionRule, dict[str, Any]]:
        key = (source, country, at)
        if key not in self.picked:
            rule = commission_rule_pick(self.rules, source=source, country=country, at=at)
            self.picked[key] = (rule, rule.snapshot())
        return self.picked[key]


# ---------------------------------------------------------------- planning, plain values


def _plan(row: list, picker: _RulePicker, now: datetime) -> dict[str, Any] | None:
    pk, reference, source, amount, currency, country, paid_at, splits = row
    currency = currency_validate(currency)
    if isinstance(splits, str):  # Django's connections hand jsonb over as text
        splits = json.loads(splits)
    parsed = _splits_parse(splits, amount)
    if parsed is None:
        return None
    paid_at = paid_at or now
    lines: list[tuple[tuple[str, str, str], int]] = [
        ((PLATFORM, AccountKind.STRIPE_CLEARING, currency), -amount)
    ]
    applied, holds, commission_total = [], [], 0
    for party, gross, split_source, hold_days in parsed:
        try:
            rule, snapshot = picker.pick(split_source, country, paid_at)
        except Exception:  # no rule in force: the general path logs it and skips the payment
            return None
        quotient, remainder = divmod(gross * rule.rate_bps, BPS)
        commission = quotient + (1 if 2 * remainder >= BPS else 0)  # common.money.portion: half up
        commission_total += commission
        net = gross - commission
        applied.append({**snapshot, "party": party, "gross_minor": gross, "commission_minor": commission})
        if net > 0:
            lines.append(((party, AccountKind.PENDING, currency), net))
            days = hold_days if hold_days is not None else settings.PAYMENTS_HOLD_DAYS[split_source]
            holds.append((party, net, split_source, paid_at + timedelta(days=days)))
    if commission_total > 0:
        lines.append(((PLATFORM, AccountKind.COMMISSION_REVENUE, currency), commission_total))
    return {
        "payment_id": pk,
        "reference": settlement_reference(pk),
        "kind": source,
        "description": f"Settlement of payment {reference}",
        "metadata": {"payment_id": pk, "payment_reference": reference},
        "commission_rule": {
            "rules": applied,
            "country": country,
            "currency": currency,
            "applied_at": paid_at.isoformat(),
        },
        "currency": currency,
        "lines": lines,
        "holds": holds,
    }


def _splits_parse(splits: object, amount: int) -> list[tuple[str, int, str, int | None]] | None:
    """settlement_splits_validate()'s rules on plain values; None for anything it would refuse
    (or an escrow split, which only the general path settles)."""
    if not isinstance(splits, list) or not splits:
        return None
    parsed, parties, total = [], set(), 0
    for raw in splits:
        if (
            not isinstance(raw, dict)
            or not SPLIT_REQUIRED_KEYS <= raw.keys() <= SPLIT_KEYS
            or "escrow" in raw
        ):
            return None
        party, gross, source, hold_days = (
            raw["party"],
            raw["amount_minor"],
            raw["source"],
            raw.get("hold_days"),
        )
        if (
            not isinstance(party, str)
            or party == PLATFORM
            or not PARTY_PATTERN.match(party)
            or party in parties
        ):
            return None
        if type(gross) is not int or gross <= 0 or source not in SOURCES:
            return None
        if hold_days is not None and not (type(hold_days) is int and 0 <= hold_days <= MAX_HOLD_DAYS):
            return None
        parties.add(party)
        total += gross
        parsed.append((party, gross, source, hold_days))
    return parsed if total == amount else None


# ---------------------------------------------------------------- writing


def _accounts_get_or_create(cursor, keys: set[AccountKey]) -> dict[AccountKey, tuple[int, bool]]:
    """(id, allow_negative) of each account, creating the missing ones (payments.ledger's
    account_get_or_create rules: the parties, kinds and currencies are already checked by _plan).

    Race-safe like get_or_create: a concurrent first use of the same account makes ON CONFLICT
    wait for that transaction and then skip the row, and the second read sees it. Rows are
    inserted in key order, so two batches creating the same accounts never wait in a cycle."""
    found = _accounts_fetch(cursor, keys)
    missing = sorted(keys - found.keys())
    if missing:
        rows = [
            {"p": party, "k": kind, "c": currency, "n": kind in FREE_KINDS}
            for party, kind, currency in missing
        ]
        cursor.execute(
            "INSERT INTO payments_ledgeraccount (party, kind, currency, allow_negative, balance_minor, "
            "created_at) SELECT p, k, c, n, 0, now() FROM jsonb_to_recordset(%s::jsonb) "
            "AS t(p varchar, k varchar, c varchar, n boolean) "
            # byte order, as Python sorts: the order account_get_or_create callers create them in
            'ORDER BY p COLLATE "C", k COLLATE "C", c COLLATE "C" '
            "ON CONFLICT (party, kind, currency) DO NOTHING",
            [json.dumps(rows)],
        )
        found.update(_accounts_fetch(cursor, set(missing)))
    return found


def _accounts_fetch(cursor, keys: set[AccountKey]) -> dict[AccountKey, tuple[int, bool]]:
    cursor.execute(
        "SELECT a.party, a.kind, a.currency, a.id, a.allow_negative FROM payments_ledgeraccount a "
        "JOIN jsonb_to_recordset(%s::jsonb) AS t(p varchar, k varchar, c varchar) "
        "ON a.party = t.p AND a.kind = t.k AND a.currency = t.c",
        [json.dumps([{"p": party, "k": kind, "c": currency} for party, kind, currency in keys])],
    )
    return {(party, kind, currency): (pk, free) for party, kind, currency, pk, free in cursor.fetchall()}


def _write(cursor, plans: list[dict[str, Any]], accounts: dict, now: datetime) -> None:
    _rows_insert(cursor, plans, accounts, now)
    _balances_apply(cursor, plans, accounts)


# One statement (one round trip) writes the transactions, their entries and holds, and points
# each payment at its settlement. The entries and holds find their transaction by reference;
# the foreign keys and the ledger's statement trigger are checked at the end of the statement,
# when every row of it is there. Entries and holds keep the plan's order (ordinality).
ROWS_INSERT = """
WITH planned AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(%(rows)s::jsonb) AS (
        payment bigint, reference varchar, kind varchar, description varchar, metadata jsonb,
        commission_rule jsonb, content_hash varchar, currency varchar, entries jsonb, holds jsonb
    )) WITH ORDINALITY AS p(payment, reference, kind, description, metadata, commission_rule,
                            content_hash, currency, entries, holds, n)
), posted AS (
    INSERT INTO payments_ledgertransaction
        (reference, kind, description, metadata, commission_rule, content_hash, created_at)
    SELECT reference, kind, description, metadata, commission_rule, content_hash, %(now)s
      FROM planned ORDER BY n
    RETURNING id, reference
), settled AS (
    SELECT planned.*, posted.id AS transaction_id FROM planned JOIN posted USING (reference)
), entries AS (
    INSERT INTO payments_ledgerentry (transaction_id, account_id, currency, amount_minor)
    SELECT s.transaction_id, e.account, s.currency, e.amount
      FROM settled s, ROWS FROM (jsonb_to_recordset(s.entries) AS (account bigint, amount bigint))
           WITH ORDINALITY AS e(account, amount, line)
     ORDER BY s.n, e.line
), holds AS (
    INSERT INTO payments_hold
        (party, currency, amount_minor, refunded_minor, source, origin_id, release_at)
    SELECT h.party, s.currency, h.amount, 0, h.source, s.transaction_id, h.release_at
      FROM settled s, ROWS FROM (jsonb_to_recordset(s.holds) AS (
               party varchar, amount bigint, source varchar, release_at timestamptz
           )) WITH ORDINALITY AS h(party, amount, source, release_at, line)
     ORDER BY s.n, h.line
)
UPDATE payments_payment AS p SET settlement_id = s.transaction_id, updated_at = %(now)s
  FROM settled s WHERE p.id = s.payment
"""


def _rows_insert(cursor, plans: list[dict[str, Any]], accounts: dict, now: datetime) -> None:
    rows = [
        {
            "payment": plan["payment_id"],
            "reference": plan["reference"],
            "kind": plan["kind"],
            "description": plan["description"][:255],
            "metadata": plan["metadata"],
            "commission_rule": plan["commission_rule"],
            "content_hash": _content_hash(plan["kind"], plan["lines"], plan["currency"], accounts),
            "currency": plan["currency"],
            "entries": [{"account": accounts[key][0], "amount": amount} for key, amount in plan["lines"]],
            "holds": [
                {"party": party, "amount": net, "source": source, "release_at": release_at.isoformat()}
                for party, net, source, release_at in plan["holds"]
            ],
        }
        for plan in plans
    ]
    cursor.execute(ROWS_INSERT, {"rows": json.dumps(rows), "now": now})
    if cursor.rowcount != len(plans):  # every payment is locked by this transaction: cannot happen
        raise RuntimeError(f"settled {cursor.rowcount} of {len(plans)} payments")


def _content_hash(kind: str, lines: list, currency: str, accounts: dict) -> str:
    # The general path hashes its lines sorted by (account, currency, amount): the same here.
    entries = sorted([accounts[key][0], currency, amount] for key, amount in lines)
    return content_hash(kind=kind, entries=entries)


def _balances_apply(cursor, plans: list[dict[str, Any]], accounts: dict) -> None:
    """Add each account's total to its cached balance: the guarded accounts (only credited here,
    so never overdrawn) locked in pk order first, the platform's hot free-sign rows last.

    FOR NO KEY UPDATE is the lock the UPDATE itself takes: it excludes every other balance
    update, but not the FOR KEY SHARE lock that another transaction's entry insert takes on the
    same account (the ledger's statement trigger, migration 0007). FOR UPDATE would conflict
    with that one: two batches that had both inserted entries on the platform's accounts could
    each wait for the other's commit (a deadlock)."""
    deltas: dict[int, int] = defaultdict(int)
    for plan in plans:
        for key, amount in plan["lines"]:
            deltas[accounts[key][0]] += amount
    ids = sorted(deltas)
    cursor.execute(BALANCES_ADD, [ids, ids, [deltas[account_id] for account_id in ids]])
    if cursor.rowcount != len(ids):  # the accounts were read in this transaction: cannot happen
        raise RuntimeError(f"updated {cursor.rowcount} of {len(ids)} balances")


# The locks first, all of them, in the general path's order (guarded accounts, then the free-sign
# ones, each in pk order: the InitPlan reads the whole locked set before the UPDATE writes a row),
# then every balance in one UPDATE: one round trip.
BALANCES_ADD = """
WITH locked AS (
    SELECT id FROM payments_ledgeraccount WHERE id = ANY(%s::bigint[])
     ORDER BY allow_negative, id
       FOR NO KEY UPDATE
)
UPDATE payments_ledgeraccount AS a SET balance_minor = a.balance_minor + v.delta
  FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, delta)
 WHERE a.id = v.id AND (SELECT count(*) FROM locked) > 0
"""
