"""The database itself refuses UPDATE and DELETE on training records, so
no code path — ORM, raw SQL, a shell — can quietly edit the archive."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER archive_record_no_update BEFORE UPDATE ON archive_trainingrecord
       BEGIN SELECT RAISE(ABORT, 'training records are append-only'); END;""",
    """CREATE TRIGGER archive_record_no_delete BEFORE DELETE ON archive_trainingrecord
       BEGIN SELECT RAISE(ABORT, 'training records are append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS archive_record_no_update;",
    "DROP TRIGGER IF EXISTS archive_record_no_delete;",
]
PG_UP = [
    """CREATE OR REPLACE FUNCTION archive_record_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'training records are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER archive_record_no_update_delete BEFORE UPDATE OR DELETE ON archive_trainingrecord
       FOR EACH ROW EXECUTE FUNCTION archive_record_append_only();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS archive_record_no_update_delete ON archive_trainingrecord;",
    "DROP FUNCTION IF EXISTS archive_record_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
