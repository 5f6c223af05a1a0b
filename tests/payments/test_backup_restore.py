"""Backup and restore (docs/BACKUP.md): a pg_dump of a database with real money in it, restored
into a fresh database, holds a balanced ledger that still reconciles with Stripe.

The sale goes through the Stripe emulator (hosted page, webhooks, settlement, a partial refund,
the hold's release and a payout to the seller's bank), so the restored ledger has every kind of
movement that reconciliation compares. Committed data is needed for pg_dump: a transactional test.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from payments.enums import AccountKind
from payments.ledger import platform_account
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from shops.orders import order_refund
from shops.services import variant_create
from tests.conftest import make_creator
from tests.payments.test_webhooks import Feed
from tests.shops.factories import make_product, make_shop
from tests.shops.test_checkout_flow_emulator import CASES, checkout_and_pay, release_and_pay_out

ROOT = Path(__file__).resolve().parents[2]
CASE = CASES[0]  # USD


def _psql_url(name: str) -> str:
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{name}"


def _run(*command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def seller():
    return make_creator("backupseller", country=CASE.country)


@pytest.fixture
def variant(seller):
    product = make_product(make_shop(seller, currency=CASE.currency), title="Tote", price=CASE.price)
    return variant_create(product=product, name="Natural", stock=10)


@pytest.fixture
def feed(client, stripe_api, receiver, control, django_capture_on_commit_callbacks):
    return Feed(client, receiver, control, django_capture_on_commit_callbacks)


@pytest.mark.django_db(transaction=True)
def test_a_restored_dump_has_a_balanced_reconciled_ledger(
    postgres_only, seller, variant, buyer, feed, control, django_capture_on_commit_callbacks, tmp_path
):
    order = checkout_and_pay(variant=variant, buyer=buyer, feed=feed, control=control)
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order=order, actor=seller.user, quantities={line.pk: 1})
    feed()
    release_and_pay_out(
        order=order,
        seller=seller,
        case=CASE,
        feed=feed,
        control=control,
        capture=django_capture_on_commit_callbacks,
    )
    counts = (LedgerTransaction.objects.count(), LedgerEntry.objects.count())

    # the documented procedure: pg_dump -Fc, then pg_restore into a fresh database
    dump = tmp_path / "platform.dump"
    source = connection.settings_dict["NAME"]
    restored = f"restore_check_{uuid.uuid4().hex[:8]}"
    dumped = _run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _psql_url(source))
    assert dumped.returncode == 0, dumped.stderr
    assert _run("createdb", "-h", "127.0.0.1", "-U", "postgres", restored).returncode == 0
    try:
        loaded = _run(
            "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_psql_url(restored)}", str(dump)
        )
        assert loaded.returncode == 0, loaded.stderr
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _psql_url(restored),
            "STRIPE_API_BASE": settings.STRIPE_API_BASE,
            "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        }
        verified = _run(sys.executable, str(ROOT / "manage.py"), "ledger_verify", "--reconcile", env=env)
        assert verified.returncode == 0, verified.stderr
        transactions, entries = counts
        assert f"ledger sound ({transactions} transactions, {entries} entries), reconciled" in verified.stdout
    finally:
        _run("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", restored)


@pytest.mark.django_db(transaction=True)
def test_ledger_verify_fails_loudly_on_a_broken_ledger(postgres_only):
    """A restore that lost rows (or a tampered database) must not pass for a sound one."""
    account = platform_account(AccountKind.COMMISSION_REVENUE, "USD")
    LedgerAccount.objects.filter(pk=account.pk).update(balance_minor=999)  # no entries back it
    with pytest.raises(CommandError, match="ledger NOT sound"):
        call_command("ledger_verify")
