"""Migration archive/0004 gives the records written before issue 16 their
MAC, lifting the append-only guard for its own transaction only."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from lms.archive import integrity
from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify
from tests.factories import EmployeeFactory

BEFORE = [("archive", "0002_append_only_triggers")]
AFTER = [("archive", "0006_daily_checkpoint_schedule")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_backfill_macs_existing_records_and_restores_the_guard(ent_a):
    employee = EmployeeFactory(enterprise=ent_a)
    old_apps = migrate(BEFORE)
    try:
        Record = old_apps.get_model("archive", "TrainingRecord")
        start = dt.datetime(2026, 1, 5, 1, tzinfo=dt.timezone.utc)
        prev = TrainingRecord.GENESIS
        for seq in (1, 2):
            row = Record(employee_id=employee.pk, seq=seq, kind="refresher", title="旧记录", content="x",
                         start_at=start, end_at=start + dt.timedelta(hours=2), place="教室", hours=2, trainer="王",
                         source="offline", recorded_by_name="系统", recorded_at=start, prev_hash=prev)
            row.hash = prev = integrity.record_hash(TrainingRecord.canonical_fields(row))
            row.save()
    finally:
        migrate(AFTER)
    records = list(TrainingRecord.objects.filter(employee=employee).order_by("seq"))
    assert [r.mac_key_id for r in records] == ["dev", "dev"] and all(len(r.mac) == 64 for r in records)
    assert archive_verify() == (2, [])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE archive_trainingrecord SET hours = 9 WHERE id = %s", [records[0].pk])
    # Let the end-of-test flush empty the archive (SQLite DELETEs rows).
    if connection.vendor == "sqlite":
        import importlib

        guard = importlib.import_module("lms.archive.migrations.0002_append_only_triggers")
        with connection.cursor() as cursor:
            for sql in guard.SQLITE_DOWN:
                cursor.execute(sql)
            cursor.execute("DELETE FROM archive_trainingrecord")
            for sql in guard.SQLITE_UP:
                cursor.execute(sql)
