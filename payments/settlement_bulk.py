"""Settling a batch of paid payments set-based, on PostgreSQL: the backlog's fast path.

settlement_post_many() plans each payment with Money values and dataclasses and writes through
the ORM, which is clear and general, but for a backlog of thousands of charges the Python object
work costs several times the database's. This module writes exactly the same rows — the same
ledger transaction per payment (reference, kind, description, metadata, commission rules applied,
content hash), the same entries, holds and ``Payment.settlement`` — from plain ints and tuples,
with one ``unnest()`` statement per table. The database's own rules guard the result as they
guard any posting (the ledger triggers), and ``tests/payments/test_settlement_bulk.py`` checks
that both paths write identical rows.

It takes the common case only: every split a plain earning (no escrow), every split valid, every
commission rule found, no settlement reference already taken. For anything else it returns None
before writing, and the caller settles the batch the general way, which logs and skips bad
payments one by one.

Locking is the general path's: the payments (SKIP LOCKED, pk order), then the accounts that must
not go negative in pk order, then the platform's free-sign accounts in pk order just before the
commit.
"""

import hashlib
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
from payments.enums import AccountKind, CommissionSource, PaymentStatus
from payments.ledger import accounts_get_or_create
from payments.models import PARTY_PATTERN, PLATFORM, CommissionRule, LedgerTransaction, Payment
from payments.settlement import MAX_HOLD_DAYS, SPLIT_KEYS, SPLIT_REQUIRED_KEYS

SOURCES = frozenset(CommissionSource.values)
BPS = 10_000


def settlement_post_bulk(*, payment_ids: Sequence[int]) -> int | None:
    """Settle the batch set-based and return how many were settled, or None (nothing written)
    when the batch needs the general path. Caller holds an open database transaction."""
    rows = list(
        Payment.objects.select_for_update(skip_locked=True)
        .filter(pk__in=set(payment_ids), settlement__isnull=True, status=PaymentStatus.SUCCEEDED)
        .order_by("pk")
        .values_list("pk", "reference", "source", "amount_minor", "currency", "country", "paid_at", "splits")
    )
    if not rows:
        return 0
    rules = commission_rules_load()
    now = timezone.now()
    plans = []
    for row in rows:
        plan = _plan(row, rules, now)
        if plan is None:
            return None
        plans.append(plan)
    references = [plan["reference"] for plan in plans]
    if LedgerTransaction.objects.filter(reference__in=references).exists():
        return None  # a half-settled payment: the general path explains it
    keys = {key for plan in plans for key, _amount in plan["lines"]}
    accounts = accounts_get_or_create(keys=keys)
    _write(plans, accounts, now)
    return len(plans)


# ---------------------------------------------------------------- planning, plain values


def _plan(row: tuple, rules: list[CommissionRule], now: datetime) -> dict[str, Any] | None:
    pk, reference, source, amount, currency, country, paid_at, splits = row
    currency = currency_validate(currency)
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
            rule = commission_rule_pick(rules, source=split_source, country=country, at=paid_at)
        except Exception:  # no rule in force: the general path logs it and skips the payment
            return None
        quotient, remainder = divmod(gross * rule.rate_bps, BPS)
        commission = quotient + (1 if 2 * remainder >= BPS else 0)  # common.money.portion: half up
        commission_total += commission
        net = gross - commission
        applied.append(
            {**rule.snapshot(), "party": party, "gross_minor": gross, "commission_minor": commission}
        )
        if net > 0:
            lines.append(((party, AccountKind.PENDING, currency), net))
            days = hold_days if hold_days is not None else settings.PAYMENTS_HOLD_DAYS[split_source]
            holds.append((party, net, split_source, paid_at + timedelta(days=days)))
    if commission_total > 0:
        lines.append(((PLATFORM, AccountKind.COMMISSION_REVENUE, currency), commission_total))
    return {
        "payment_id": pk,
        "reference": f"payment:{pk}:settle",
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


# ---------------------------------------------------------------- writing, one statement a table


def _write(plans: list[dict[str, Any]], accounts: dict, now: datetime) -> None:
    with connection.cursor() as cursor:
        transaction_ids = _transactions_insert(cursor, plans, accounts, now)
        entries = [
            (transaction_ids[plan["reference"]], accounts[key].pk, plan["currency"], amount)
            for plan in plans
            for key, amount in plan["lines"]
        ]
        cursor.execute(
            "INSERT INTO payments_ledgerentry (transaction_id, account_id, currency, amount_minor) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::bigint[])",
            _columns(entries, 4),
        )
        holds = [
            (party, plan["currency"], net, 0, source, transaction_ids[plan["reference"]], release_at)
            for plan in plans
            for party, net, source, release_at in plan["holds"]
        ]
        cursor.execute(
            "INSERT INTO payments_hold (party, currency, amount_minor, refunded_minor, source, origin_id, "
            "release_at) SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[], "
            "%s::varchar[], %s::bigint[], %s::timestamptz[])",
            _columns(holds, 7),
        )
        _balances_apply(cursor, entries, accounts)
        settled = [(plan["payment_id"], transaction_ids[plan["reference"]]) for plan in plans]
        cursor.execute(
            "UPDATE payments_payment AS p SET settlement_id = v.transaction_id, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(payment_id, transaction_id) "
            "WHERE p.id = v.payment_id",
            [now, *_columns(settled, 2)],
        )


def _transactions_insert(
    cursor, plans: list[dict[str, Any]], accounts: dict, now: datetime
) -> dict[str, int]:
    rows = [
        (
            plan["reference"],
            plan["kind"],
            plan["description"][:255],
            json.dumps(plan["metadata"]),
            json.dumps(plan["commission_rule"]),
            _content_hash(plan["kind"], plan["lines"], plan["currency"], accounts),
        )
        for plan in plans
    ]
    cursor.execute(
        "INSERT INTO payments_ledgertransaction (reference, kind, description, metadata, commission_rule, "
        "content_hash, created_at) SELECT r, k, d, m::jsonb, c::jsonb, h, %s FROM unnest(%s::varchar[], "
        "%s::varchar[], %s::varchar[], %s::text[], %s::text[], %s::varchar[]) AS t(r, k, d, m, c, h) "
        "RETURNING reference, id",
        [now, *_columns(rows, 6)],
    )
    return dict(cursor.fetchall())


def _content_hash(kind: str, lines: list, currency: str, accounts: dict) -> str:
    # payments.ledger._content_hash over the same sorted (account, currency, amount) lines.
    entries = sorted([accounts[key].pk, currency, amount] for key, amount in lines)
    content = {"kind": kind, "reverses": None, "entries": entries}
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def _balances_apply(cursor, entries: list[tuple], accounts: dict) -> None:
    """Add each account's total to its cached balance: the guarded accounts (only credited here,
    so never overdrawn) locked in pk order first, the platform's hot free-sign rows last."""
    deltas: dict[int, int] = defaultdict(int)
    for _transaction, account_id, _currency, amount in entries:
        deltas[account_id] += amount
    free = {account.pk for account in accounts.values() if account.allow_negative}
    for group in (sorted(set(deltas) - free), sorted(set(deltas) & free)):
        if not group:
            continue
        cursor.execute(
            "SELECT id FROM payments_ledgeraccount WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [group]
        )
        cursor.execute(
            "UPDATE payments_ledgeraccount AS a SET balance_minor = a.balance_minor + v.delta "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, delta) WHERE a.id = v.id",
            [group, [deltas[account_id] for account_id in group]],
        )


def _columns(rows: list[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _i in range(width)]
