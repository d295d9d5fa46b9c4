"""Every record carries a MAC from now on; the append-only guards stand again.

On SQLite, adding the constraint rebuilds the table (and 0003's rebuild had
already dropped the triggers of 0002), so the triggers are created again
here, after the rebuild. On PostgreSQL the checkpoints get an append-only
trigger too. (Not on SQLite: the test suite's end-of-test flush DELETEs
rows there; the checkpoints' files and signatures are their real guard.)
"""

import importlib

from django.db import migrations, models

guard = importlib.import_module("lms.archive.migrations.0002_append_only_triggers")

PG_CHECKPOINT_UP = [
    """CREATE OR REPLACE FUNCTION archive_checkpoint_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'archive checkpoints are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER archive_checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON archive_archivecheckpoint
       FOR EACH ROW EXECUTE FUNCTION archive_checkpoint_append_only();""",
]
PG_CHECKPOINT_DOWN = [
    "DROP TRIGGER IF EXISTS archive_checkpoint_no_update_delete ON archive_archivecheckpoint;",
    "DROP FUNCTION IF EXISTS archive_checkpoint_append_only();",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in guard.SQLITE_DOWN + guard.SQLITE_UP:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in PG_CHECKPOINT_UP:
            schema_editor.execute(sql)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_CHECKPOINT_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("archive", "0004_backfill_record_mac")]

    operations = [
        migrations.AddConstraint(
            model_name="trainingrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("mac", ""), _negated=True), models.Q(("mac_key_id", ""), _negated=True)),
                name="record_has_mac",
            ),
        ),
        migrations.RunPython(up, down),
    ]
