"""Fewer indexes on the rows every settlement writes (see bench/bench_settlement_throughput.py).

- hold.origin loses its own index: the unique (origin, party, currency) leads with it.
- hold.party keeps a plain index but loses the varchar_pattern_ops (LIKE) twin that db_index adds.
- On PostgreSQL, payments' LIKE twins of reference, stripe_payment_intent_id and
  stripe_checkout_session_id go too: those are looked up by equality (the unique index) and
  searched in admin with icontains, which no btree serves. Each settlement updates its payment's
  settlement_id (indexed, so never a HOT update) and paid every one of them again.
- ledgeraccount gets fillfactor 70: balance updates are the hottest writes, and the free space
  lets PostgreSQL update them in place (HOT), without touching the account's indexes.
"""

import django.db.models.deletion
from django.db import migrations, models

PAYMENT_LIKE_INDEXES = (
    "payments_payment_reference_1d502039_like",
    "payments_payment_stripe_payment_intent_id_481f9973_like",
    "payments_payment_stripe_checkout_session_id_bae265a2_like",
)


def _postgres_tuning(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PAYMENT_LIKE_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("ALTER TABLE payments_ledgeraccount SET (fillfactor = 70)")


def _postgres_tuning_undo(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    columns = ("reference", "stripe_payment_intent_id", "stripe_checkout_session_id")
    for name, column in zip(PAYMENT_LIKE_INDEXES, columns, strict=True):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON payments_payment ({column} varchar_pattern_ops)"
        )
    schema_editor.execute("ALTER TABLE payments_ledgeraccount RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_ledger_rules_per_transaction"),
    ]

    operations = [
        migrations.AlterField(
            model_name="hold",
            name="origin",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="holds",
                to="payments.ledgertransaction",
            ),
        ),
        migrations.AlterField(
            model_name="hold",
            name="party",
            field=models.CharField(max_length=64),
        ),
        migrations.AddIndex(
            model_name="hold",
            index=models.Index(fields=["party"], name="hold_party"),
        ),
        migrations.RunPython(_postgres_tuning, _postgres_tuning_undo, elidable=False),
    ]
