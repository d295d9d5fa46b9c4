"""Give every existing record its MAC under the current key of
ANXUN_ARCHIVE_MAC_KEYS (docs/security.md §2).

The append-only triggers refuse the UPDATE, so this migration — and only
this migration — lifts them for its own transaction: on PostgreSQL the
trigger is disabled and enabled again (ALTER TABLE is transactional, so a
failure leaves it enabled); on SQLite 0003 rebuilt the table, which dropped
the triggers, and 0005 creates them again after its own rebuild.

The MAC vouches for the records as they stand at the upgrade: run
``verify_archive`` before upgrading. A record whose hash no longer matches
still fails verification afterwards (the hash is checked before the MAC).
"""

from django.db import migrations

PG_TRIGGER = "archive_record_no_update_delete"
SQLITE_TRIGGERS = ("archive_record_no_update", "archive_record_no_delete")
BATCH = 2000


def backfill(apps, schema_editor):
    from lms.archive import integrity, keys
    from lms.archive.models import TrainingRecord as Current

    Record = apps.get_model("archive", "TrainingRecord")
    connection = schema_editor.connection
    key_id, key = keys.current_mac_key()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE archive_trainingrecord DISABLE TRIGGER {PG_TRIGGER}")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        last = 0
        while batch := list(Record.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
            # The canonical form is frozen (every hash depends on it): the
            # model's own method, applied to the historical instance.
            rows = [
                (integrity.record_mac(key, integrity.canonical_json(Current.canonical_fields(r))), key_id, r.pk)
                for r in batch
            ]
            cursor.executemany("UPDATE archive_trainingrecord SET mac = %s, mac_key_id = %s WHERE id = %s", rows)
            last = batch[-1].pk
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE archive_trainingrecord ENABLE TRIGGER {PG_TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_record_mac_and_checkpoint")]

    # Going back drops the columns (0003); nothing to undo here.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
