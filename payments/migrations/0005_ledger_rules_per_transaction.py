"""The ledger's database rules, checked once per transaction and per statement instead of per entry.

0002 checked every entry: a deferred trigger per entry re-summed its whole transaction at commit
(four entries, four identical sums), and a BEFORE INSERT trigger per entry looked up its
account's currency. On a settlement backlog those per-row checks cost more than the inserts.
The same rules, cheaper:

- ``ledgertransaction.created_txid`` (a column the ORM never names, filled by its DEFAULT with the
  top-level database transaction id, which savepoints do not change).
- ledger_entry_rules (AFTER INSERT, once per statement, over the inserted rows): every entry
  has its account's currency, and belongs to a ledger transaction created in the same database
  transaction. Entries can therefore never be added to a committed transaction, so checking a
  transaction's entries when it is committed checks them for good.
- ledger_transaction_balanced (constraint trigger, DEFERRABLE INITIALLY DEFERRED, once per
  ledger transaction): at commit it has entries, and they sum to zero per currency.

Append-only and account identity stay as 0002 made them. PostgreSQL only, like 0002.
"""

from django.db import migrations

FORWARD_SQL = r"""
DROP TRIGGER ledger_entry_balanced ON payments_ledgerentry;
DROP FUNCTION payments_ledger_entry_balanced();
DROP TRIGGER ledger_transaction_has_entries ON payments_ledgertransaction;
DROP FUNCTION payments_ledger_transaction_has_entries();
DROP TRIGGER ledger_entry_currency ON payments_ledgerentry;
DROP FUNCTION payments_ledger_entry_currency();

ALTER TABLE payments_ledgertransaction
    ADD COLUMN created_txid bigint NOT NULL DEFAULT txid_current();

CREATE FUNCTION payments_ledger_entry_rules() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER ledger_entry_rules
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION payments_ledger_entry_rules();

CREATE FUNCTION payments_ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    currencies integer;
    bad_currency varchar(3);
    bad_total bigint;
BEGIN
    SELECT count(*), (array_agg(currency) FILTER (WHERE total <> 0))[1],
           (array_agg(total) FILTER (WHERE total <> 0))[1]
      INTO currencies, bad_currency, bad_total
      FROM (
        SELECT currency, SUM(amount_minor) AS total
          FROM payments_ledgerentry
         WHERE transaction_id = NEW.id
         GROUP BY currency
      ) per_currency;
    IF currencies = 0 THEN
        RAISE EXCEPTION 'ledger transaction % (%) has no entries', NEW.id, NEW.reference
            USING ERRCODE = 'check_violation';
    END IF;
    IF bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its % entries sum to %',
            NEW.id, bad_currency, bad_total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON payments_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_transaction_balanced();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON payments_ledgertransaction;
DROP FUNCTION IF EXISTS payments_ledger_transaction_balanced();
DROP TRIGGER IF EXISTS ledger_entry_rules ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_ledger_entry_rules();
ALTER TABLE payments_ledgertransaction DROP COLUMN IF EXISTS created_txid;

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
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: no client-side % placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_default_commission_rules")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD_SQL), _on_postgresql(REVERSE_SQL), elidable=False),
    ]
