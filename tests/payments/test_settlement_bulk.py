"""The set-based settlement (payments.settlement_bulk) writes exactly what the general path
writes, row for row, and hands every batch it cannot take to the general path untouched."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import connection, transaction

from payments.enums import AccountKind
from payments.models import (
    PLATFORM,
    Hold,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    party_for_user,
)
from payments.selectors import ledger_check
from payments.settlement import settlement_post_many
from payments.settlement_bulk import settlement_post_bulk
from payments.tasks import settle_payment, settle_payments
from tests.conftest import make_user
from tests.payments.factories import paid_payment, split

pytestmark = pytest.mark.usefixtures("postgres_only")
PAID_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    return [make_user(f"party{i}@example.com") for i in range(4)]


def _batch(people) -> list[Payment]:
    seller, affiliate, other, fourth = people
    return [
        # 5% of 2,499 is 124.95: half up to 125; 10% of the 333 affiliate share is 33.3 → 33
        paid_payment(split(seller, 2_166), split(affiliate, 333, "affiliate_commission"), paid_at=PAID_AT),
        paid_payment(split(other, 1_111, hold_days=0), currency="JPY", country="JP", paid_at=PAID_AT),
        paid_payment(split(fourth, 50_000, "sponsorship", hold_days=7), paid_at=PAID_AT),
        paid_payment(split(seller, 999), split(other, 1, "affiliate_commission"), paid_at=PAID_AT),
    ]


def _written(payments: list[Payment]) -> list[tuple]:
    """Everything a settlement wrote, keyed by what does not depend on insertion order."""
    rows = []
    for payment in Payment.objects.filter(pk__in=[p.pk for p in payments]).order_by("pk"):
        posted = LedgerTransaction.objects.get(pk=payment.settlement_id)
        entries = sorted(
            (e.account.party, e.account.kind, e.currency, e.amount_minor)
            for e in LedgerEntry.objects.filter(transaction=posted).select_related("account")
        )
        holds = sorted(
            (h.party, h.currency, h.amount_minor, h.refunded_minor, h.source, h.release_at, h.released_at)
            for h in Hold.objects.filter(origin=posted)
        )
        rows.append(
            (
                posted.reference,
                posted.kind,
                posted.description,
                posted.metadata,
                posted.commission_rule,
                posted.content_hash,
                entries,
                holds,
            )
        )
    return rows


def _settle_general(ids: list[int]) -> int:
    with mock.patch("payments.settlement_bulk.settlement_post_bulk", return_value=None):
        return settlement_post_many(payment_ids=ids)


def test_both_paths_write_the_same_rows(people):
    first = _batch(people)
    assert _settle_general([p.pk for p in first]) == 4
    general = _written(first)
    # the same payments again, settled the bulk way (fresh rows, same content but references)
    second = _batch(people)
    assert settlement_post_many(payment_ids=[p.pk for p in second]) == 4
    bulk = _written(second)

    def comparable(rows, payments):
        out = []
        for row, payment in zip(rows, payments, strict=True):
            _reference, kind, _description, metadata, rules, content_hash, entries, holds = row
            # same accounts and amounts: the same content hash (payments.ledger's)
            out.append((kind, metadata["payment_id"] == payment.pk, rules, content_hash, entries, holds))
        return out

    assert comparable(general, first) == comparable(bulk, second)
    for row, payment in zip(bulk, second, strict=True):
        assert row[0] == f"payment:{payment.pk}:settle"
        assert row[2] == f"Settlement of payment {payment.reference}"
    assert ledger_check() == []


def test_bulk_settles_once_and_skips_what_is_settled(people):
    payments = _batch(people)
    ids = [p.pk for p in payments]
    assert settlement_post_bulk(payment_ids=ids) == 4
    assert settlement_post_bulk(payment_ids=ids) == 0
    assert LedgerTransaction.objects.count() == 4


@pytest.mark.parametrize(
    "splits",
    [
        [{"party": "user:1", "amount_minor": 100, "source": "shop_sale", "escrow": True}],
        [{"party": "platform", "amount_minor": 100, "source": "shop_sale"}],
        [{"party": "user:1", "amount_minor": 60, "source": "shop_sale"}],  # does not add up
        [{"party": "user:1", "amount_minor": 100, "source": "nonsense"}],
    ],
)
def test_what_the_bulk_path_cannot_take_goes_to_the_general_path(people, splits):
    payment = paid_payment(split(people[0], 100), paid_at=PAID_AT)
    Payment.objects.filter(pk=payment.pk).update(splits=splits)
    assert settlement_post_bulk(payment_ids=[payment.pk]) is None
    assert not LedgerTransaction.objects.exists()


def test_first_time_accounts_are_created_in_one_statement(people, django_assert_max_num_queries):
    payments = _batch(people)  # four new parties in USD and JPY, the platform's accounts too
    with django_assert_max_num_queries(11):  # not four queries (and savepoints) per new account
        assert settlement_post_bulk(payment_ids=[p.pk for p in payments]) == 4
    created = set(LedgerAccount.objects.values_list("party", "kind", "currency", "allow_negative"))
    assert (PLATFORM, AccountKind.STRIPE_CLEARING, "JPY", True) in created
    assert (PLATFORM, AccountKind.COMMISSION_REVENUE, "USD", True) in created
    assert (party_for_user(people[0]), AccountKind.PENDING, "USD", False) in created
    assert ledger_check() == []


@pytest.mark.django_db(transaction=True)
def test_balances_do_not_wait_for_another_batchs_entries_on_the_same_accounts(people):
    # given: the platform's accounts exist, and another settlement has inserted entries on them
    # (its foreign key checks hold FOR KEY SHARE on those rows until it commits)
    settlement_post_many(payment_ids=[paid_payment(split(people[0], 1_000), paid_at=PAID_AT).pk])
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute(
            "SELECT id FROM payments_ledgeraccount WHERE party = %s FOR KEY SHARE", [PLATFORM]
        ).fetchall()
        payment = paid_payment(split(people[1], 2_000), paid_at=PAID_AT)
        # when: this batch updates the same balances (a FOR UPDATE lock would wait for the other
        # transaction, and two such batches would each wait for the other: a deadlock)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert settlement_post_many(payment_ids=[payment.pk]) == 1
    finally:
        other.rollback()
        other.close()
    # then
    assert Payment.objects.get(pk=payment.pk).settlement_id is not None
    assert ledger_check() == []


def test_nothing_stores_a_settlement_tasks_result():
    assert settle_payments.ignore_result and settle_payment.ignore_result
