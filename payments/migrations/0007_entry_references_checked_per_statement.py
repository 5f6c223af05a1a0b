"""An entry's account and transaction checked once per INSERT statement, not once per entry.

Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: every entry queued two referential
checks (an SPI query and a row lock each) that ran at COMMIT. On a settlement batch (400 entries)
those 800 checks took half the commit's time. The same guarantees, set-based:

- ledger_entry_rules (0005's statement trigger) now also refuses an entry whose transaction does
  not exist (the currency check already refused an unknown account: its currency is NULL), and
  takes FOR KEY SHARE on the entries' accounts in one query: the lock the foreign key's check
  took, so that an account cannot be deleted while an entry on it is being written.
- ledger_account_in_use (AFTER DELETE, once per statement): an account that has entries is
  never deleted. Transactions already cannot be deleted (0002's append-only trigger).

The columns keep their indexes; only the constraints go (``db_constraint=False`` in the model;
Django's on_delete=PROTECT still refuses the ORM's deletes). The triggers are PostgreSQL only,
like 0002 and 0005: on SQLite payments.ledger checks the same rules before writing.
"""

from django.db import migrations, models

FORWARD_SQL = r"""
CREATE OR REPLACE FUNCTION payments_ledger_entry_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.account_id, e.currency, a.currency AS account_currency INTO bad
      FROM new_entries e
      LEFT JOIN payments_ledgeraccount a ON a.id = e.account_id
     WHERE a.currency IS DISTINCT FROM e.currency
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry in % on account % which holds %',
            bad.currency, bad.account_id, bad.account_currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT e.transaction_id, t.id IS NULL AS missing INTO bad
      FROM new_entries e
      LEFT JOIN payments_ledgertransaction t ON t.id = e.transaction_id
     WHERE t.id IS NULL OR t.created_txid <> txid_current()
     LIMIT 1;
    IF FOUND AND bad.missing THEN
        RAISE EXCEPTION 'ledger entry on transaction % which does not exist', bad.transaction_id
            USING ERRCODE = 'foreign_key_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is posted: entries cannot be added to it',
            bad.transaction_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- What the foreign key's check did for each row: no DELETE of these accounts until commit.
    PERFORM 1 FROM payments_ledgeraccount a
     WHERE a.id IN (SELECT DISTINCT account_id FROM new_entries)
     ORDER BY a.id
       FOR KEY SHARE;
    RETURN NULL;
END
$$;

CREATE FUNCTION payments_ledger_account_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    SELECT o.id INTO used FROM old_accounts o
     WHERE EXISTS (SELECT 1 FROM payments_ledgerentry e WHERE e.account_id = o.id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger account % has entries: it is never deleted', used
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_account_in_use
    AFTER DELETE ON payments_ledgeraccount
    REFERENCING OLD TABLE AS old_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_account_in_use();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS ledger_account_in_use ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_ledger_account_in_use();

CREATE OR REPLACE FUNCTION payments_ledger_entry_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT e.account_id, e.currency, a.currency AS account_currency INTO bad
      FROM new_entries e
      LEFT JOIN payments_ledgeraccount a ON a.id = e.account_id
     WHERE a.currency IS DISTINCT FROM e.currency
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry in % on account % which holds %',
            bad.currency, bad.account_id, bad.account_currency
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT e.transaction_id INTO bad
      FROM new_entries e
      JOIN payments_ledgertransaction t ON t.id = e.transaction_id
     WHERE t.created_txid <> txid_current()
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % is posted: entries cannot be added to it',
            bad.transaction_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END
$$;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: no client-side % placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_hold_indexes")]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="entries",
                to="payments.ledgeraccount",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.PROTECT,
                related_name="entries",
                to="payments.ledgertransaction",
            ),
        ),
        migrations.RunPython(_on_postgresql(FORWARD_SQL), _on_postgresql(REVERSE_SQL), elidable=False),
    ]
