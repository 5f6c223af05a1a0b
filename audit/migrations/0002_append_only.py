"""The audit log is append-only in PostgreSQL itself, for code that goes around the model.

audit_entry_append_only (BEFORE UPDATE OR DELETE, per row) refuses both, like the ledger's
triggers (payments/migrations/0002_ledger_rules.py). TRUNCATE is left alone: the test runner
empties tables with it between transactional tests, and it needs table ownership anyway.

SQLite has no trigger: there AuditEntry.save()/delete() and its queryset refuse the same.
The SQL is written out here so that this migration keeps doing what it did when code changes.
"""

from django.db import migrations

FORWARD_SQL = r"""
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: no client-side % placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD_SQL), _on_postgresql(REVERSE_SQL), elidable=False),
    ]
