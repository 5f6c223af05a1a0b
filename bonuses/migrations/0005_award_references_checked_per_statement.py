"""An award's run, creator, enrolment and formula version checked once per INSERT statement.

Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: each award queued four referential
checks (an SPI query and a row lock each) that ran at COMMIT, about an eighth of a bonus run's
chunk (1,000 awards, 4,000 checks). The same guarantees, set-based (PostgreSQL only):

- bonuses_award_references (AFTER INSERT, once per statement, over the inserted rows): every
  referenced row exists, and is locked FOR KEY SHARE until the transaction ends, as the foreign
  keys' checks locked it, so nothing deletes it under an award being written.
- bonuses_awarded_never_deleted (AFTER DELETE on the four referenced tables, once per
  statement): a run, creator profile, enrolment or formula version that an award names is never
  deleted. Django's on_delete=PROTECT still refuses the ORM's deletes first, with its own error.

The columns keep the indexes they had; only the constraints go (``db_constraint=False``).
"""

from django.db import migrations, models

REFERENCES = (
    # (award column, referenced table)
    ("run_id", "bonuses_run"),
    ("creator_id", "creators_creatorprofile"),
    ("enrolment_id", "bonuses_enrolment"),
    ("formula_version_id", "bonuses_formulaversion"),
)

CHECK_ONE = """
    SELECT count(DISTINCT {column}) INTO wanted FROM new_awards;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM {table} WHERE id IN (SELECT {column} FROM new_awards) ORDER BY id FOR KEY SHARE
    ) AS locked;
    IF found <> wanted THEN
        RAISE EXCEPTION 'bonus award names a row of {table} that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
"""

FORWARD_SQL = (
    """
CREATE FUNCTION bonuses_award_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
"""
    + "".join(CHECK_ONE.format(column=column, table=table) for column, table in REFERENCES)
    + """
    RETURN NULL;
END
$$;

CREATE TRIGGER bonuses_award_references
    AFTER INSERT ON bonuses_award
    REFERENCING NEW TABLE AS new_awards
    FOR EACH STATEMENT EXECUTE FUNCTION bonuses_award_references();

CREATE FUNCTION bonuses_awarded_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    -- TG_ARGV[0]: the award column that names rows of this table (a trusted identifier).
    EXECUTE format(
        'SELECT o.id FROM old_rows o WHERE EXISTS (SELECT 1 FROM bonuses_award a WHERE a.%I = o.id) LIMIT 1',
        TG_ARGV[0]
    ) INTO used;
    IF used IS NOT NULL THEN
        RAISE EXCEPTION '% % is named by a bonus award: it is never deleted', TG_TABLE_NAME, used
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
"""
    + "".join(
        f"""
CREATE TRIGGER bonuses_awarded_never_deleted
    AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bonuses_awarded_never_deleted('{column}');
"""
        for column, table in REFERENCES
    )
)

REVERSE_SQL = (
    "".join(f"DROP TRIGGER IF EXISTS bonuses_awarded_never_deleted ON {table};\n" for _c, table in REFERENCES)
    + """
DROP FUNCTION IF EXISTS bonuses_awarded_never_deleted();
DROP TRIGGER IF EXISTS bonuses_award_references ON bonuses_award;
DROP FUNCTION IF EXISTS bonuses_award_references();
"""
)


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: no client-side % placeholders

    return run


def _protected(to: str, *, index: bool) -> models.ForeignKey:
    return models.ForeignKey(
        db_constraint=False,
        db_index=index,
        on_delete=models.deletion.PROTECT,
        related_name="awards",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bonuses", "0004_receipt_award_write_path"),
        ("creators", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(model_name="award", name="run", field=_protected("bonuses.run", index=False)),
        migrations.AlterField(
            model_name="award",
            name="creator",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.PROTECT,
                related_name="bonus_awards",
                to="creators.creatorprofile",
            ),
        ),
        migrations.AlterField(
            model_name="award", name="enrolment", field=_protected("bonuses.enrolment", index=False)
        ),
        migrations.AlterField(
            model_name="award",
            name="formula_version",
            field=_protected("bonuses.formulaversion", index=False),
        ),
        migrations.RunPython(_on_postgresql(FORWARD_SQL), _on_postgresql(REVERSE_SQL), elidable=False),
    ]
