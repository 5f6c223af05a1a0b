"""Ledger rules held by PostgreSQL itself (DESIGN.md, "Ledger"), for code that goes around the services.

- ledger_entry_balanced (constraint trigger, DEFERRABLE INITIALLY DEFERRED): at commit, the
  entries of each touched transaction sum to zero per currency.
- ledger_transaction_has_entries (constraint trigger, deferred): at commit, a new transaction
  has entries (an empty one would balance vacuously).
- ledger_entry_append_only, ledger_transaction_append_only: UPDATE and DELETE are refused;
  corrections are reversing transactions. TRUNCATE is left alone: the test runner empties
  tables with it between transactional tests, and it needs table ownership anyway.
- ledger_entry_currency (BEFORE INSERT): an entry has its account's currency.
- ledger_account_identity (BEFORE UPDATE): an account's party, kind and currency never change,
  since the entry currency check and every balance rely on them. balance_minor stays writable.

SQLite has none of these: there payments.ledger checks the same rules before writing, and
ledger_check() finds anything that slipped past. The SQL is written out here, not imported,
so that this migration keeps doing what it did when later code changes.
"""

from django.db import migrations

FORWARD_SQL = r"""
CREATE FUNCTION payments_ledger_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT currency, SUM(amount_minor) AS total INTO bad
      FROM payments_ledgerentry
     WHERE transaction_id = NEW.transaction_id
     GROUP BY currency
    HAVING SUM(amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its % entries sum to %',
            NEW.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON payments_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_entry_balanced();

CREATE FUNCTION payments_ledger_transaction_has_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM payments_ledgerentry WHERE transaction_id = NEW.id) THEN
        RAISE EXCEPTION 'ledger transaction % (%) has no entries', NEW.id, NEW.reference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_transaction_has_entries
    AFTER INSERT ON payments_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_has_entries();

CREATE FUNCTION payments_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversing transaction instead)',
        TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();

CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();

CREATE FUNCTION payments_ledger_entry_currency() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    account_currency varchar(3);
BEGIN
    SELECT currency INTO account_currency FROM payments_ledgeraccount WHERE id = NEW.account_id;
    IF account_currency IS DISTINCT FROM NEW.currency THEN
        RAISE EXCEPTION 'ledger entry in % on account % which holds %',
            NEW.currency, NEW.account_id, account_currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ledger_entry_currency
    BEFORE INSERT ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_entry_currency();

CREATE FUNCTION payments_ledger_account_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger account %: party, kind and currency never change', OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER ledger_account_identity
    BEFORE UPDATE ON payments_ledgeraccount
    FOR EACH ROW
    WHEN (OLD.party IS DISTINCT FROM NEW.party
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION payments_ledger_account_identity();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS ledger_account_identity ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_ledger_account_identity();
DROP TRIGGER IF EXISTS ledger_entry_currency ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_ledger_entry_currency();
DROP TRIGGER IF EXISTS ledger_transaction_append_only ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_ledger_append_only();
DROP TRIGGER IF EXISTS ledger_transaction_has_entries ON payments_ledgertransaction;
DROP FUNCTION IF EXISTS payments_ledger_transaction_has_entries();
DROP TRIGGER IF EXISTS ledger_entry_balanced ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_ledger_entry_balanced();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: no client-side % placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD_SQL), _on_postgresql(REVERSE_SQL), elidable=False),
    ]
