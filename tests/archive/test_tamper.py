"""Issue 16: the nine ways someone with database access (the append-only
triggers off) can rewrite the archive, each detected and named by
``verify_archive`` — by the hashes, the keyed MACs and the signed daily
checkpoint kept outside the records table."""

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lms.archive.models import ArchiveCheckpoint, TrainingRecord
from lms.archive.services import ArchiveTampered, Tamper, archive_verify, checkpoint_create
from tests.compliance.helpers import D, train
from tests.factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.rule("archive.truthful")]

PG_ONLY = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def guard_off():
    """What a database superuser can do: lift the append-only guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Flush deferred FK checks first: ALTER TABLE refuses to run while
            # trigger events are pending in the test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE archive_trainingrecord DISABLE TRIGGER ALL")
            cursor.execute("ALTER TABLE archive_archivecheckpoint DISABLE TRIGGER ALL")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS archive_record_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS archive_record_no_delete")


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def rewrite(record, **changes):
    """Change a record's columns in place, as raw SQL would."""
    columns = ", ".join(f"{name} = %s" for name in changes)
    sql(f"UPDATE archive_trainingrecord SET {columns} WHERE id = %s", [*changes.values(), record.pk])


def forge(employee, seq, prev_hash, **fields):
    """A record written straight into the table with a correct SHA-256 hash:
    the attacker can compute the public hash, not the MAC."""
    record = TrainingRecord(
        employee=employee, seq=seq, prev_hash=prev_hash, kind="refresher", title="伪造的培训", content="伪造",
        start_at=dt.datetime(2026, 3, 1, 1, tzinfo=dt.timezone.utc), end_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc),
        place="培训教室", hours=Decimal("8"), trainer="王老师", source="offline", recorded_by_name="系统",
        mac_key_id="dev", **fields,
    )
    record.hash = record.compute_hash()
    record.mac = secrets.token_hex(32)
    record.save(_append=True)
    return record


@pytest.fixture
def archive(ent_a):
    """Two people with records and today's signed checkpoint."""
    person = EmployeeFactory(enterprise=ent_a, name="张伟", employee_no="T001")
    other = EmployeeFactory(enterprise=ent_a, name="李娜", employee_no="T002")
    records = [
        train(person, "induction", 8, D(2026, 1, 5), level="company"),
        train(person, "induction", 8, D(2026, 1, 6), level="workshop"),
        train(person, "refresher", 4, D(2026, 2, 5)),
    ]
    train(other, "refresher", 4, D(2026, 2, 5))
    train(other, "refresher", 2, D(2026, 2, 6))
    checkpoint = checkpoint_create(enterprise=ent_a)
    return person, other, records, checkpoint


def found(capsys):
    """Run verify_archive; it must fail. Returns its output."""
    capsys.readouterr()
    with pytest.raises(CommandError):
        call_command("verify_archive")
    return capsys.readouterr().out


def codes(broken, employee=None):
    return {(b.code, b.seq) for b in broken if employee is None or b.employee_id == employee.pk}


def test_a_clean_archive_verifies(archive, capsys):
    call_command("verify_archive")
    out = capsys.readouterr().out
    assert "档案完整：已校验 5 条" in out
    assert archive_verify() == (5, [])


# --- the nine tamperings ---------------------------------------------------------------


def test_1_edited_field_of_a_middle_record(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    rewrite(r2, hours=Decimal("24"))
    _checked, broken = archive_verify()
    assert codes(broken) == {(Tamper.CONTENT, 2)}
    out = found(capsys)
    assert "[content]" in out and "张伟（T001）" in out and "序号 2" in out and "内容与哈希不符（记录被篡改）" in out


def test_2_deleted_middle_record(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    sql("DELETE FROM archive_trainingrecord WHERE id = %s", [r2.pk])
    _checked, broken = archive_verify()
    assert codes(broken) == {(Tamper.SEQ_GAP, 3), (Tamper.CHAIN, 3), (Tamper.DELETED, None)}
    out = found(capsys)
    assert "缺少序号 2 的记录（记录被删除）" in out and "记载 3 条记录，现只有 2 条" in out


def test_3_record_inserted_into_the_middle(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    rewrite(r3, seq=4)
    rewrite(r2, seq=3)
    forged = forge(person, 2, r1.hash)
    _checked, broken = archive_verify()
    assert codes(broken) == {
        (Tamper.MAC, 2),  # the inserted record: its hash is right, its MAC cannot be
        (Tamper.MOVED, 3), (Tamper.CONTENT, 3), (Tamper.CONTENT, 4),
        (Tamper.HEAD, 3),  # the checkpoint's third record was r3, not r2
    }
    out = found(capsys)
    assert f"记录 #{forged.pk}" in out and "MAC 不符" in out and "其间的记录是插入或调换来的" in out


def test_4_records_reordered(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    rewrite(r2, seq=99)
    rewrite(r3, seq=2)
    rewrite(r2, seq=3)
    _checked, broken = archive_verify()
    assert {(Tamper.MOVED, 2), (Tamper.MOVED, 3), (Tamper.CONTENT, 2), (Tamper.CONTENT, 3), (Tamper.HEAD, 3)} == codes(broken)
    out = found(capsys)
    assert "记录顺序被调换" in out


def test_5_newest_record_deleted(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    sql("DELETE FROM archive_trainingrecord WHERE id = %s", [r3.pk])
    _checked, broken = archive_verify()
    # The chain that is left is intact: only the signed checkpoint knows.
    assert codes(broken) == {(Tamper.DELETED, None)}
    out = found(capsys)
    assert "[deleted]" in out and "张伟（T001）" in out and "记载 3 条记录，现只有 2 条：记录被删除" in out


def test_6_whole_chain_of_a_person_deleted(archive, capsys):
    person, other, _records, _cp = archive
    guard_off()
    sql("DELETE FROM archive_trainingrecord WHERE employee_id = %s", [person.pk])
    checked, broken = archive_verify()
    assert checked == 2 and codes(broken) == {(Tamper.CHAIN_DELETED, None)}
    assert broken[0].employee_id == person.pk
    out = found(capsys)
    assert "张伟（T001）" in out and "整条档案链被删除" in out


def test_7_forged_append_with_a_recomputed_hash(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    forged = forge(person, 4, r3.hash)
    _checked, broken = archive_verify()
    assert codes(broken) == {(Tamper.MAC, 4)}
    out = found(capsys)
    assert f"记录 #{forged.pk}" in out and "哈希正确但 MAC 不符：记录是伪造的，或哈希链被重新计算" in out


def test_8_edited_record_and_recomputed_chain(archive, capsys):
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    r2.hours = Decimal("24")
    new_r2 = r2.compute_hash()
    r3.prev_hash = new_r2
    new_r3 = r3.compute_hash()
    rewrite(r2, hours=Decimal("24"), hash=new_r2)
    rewrite(r3, prev_hash=new_r2, hash=new_r3)
    _checked, broken = archive_verify()
    # The public chain is consistent again; the MACs and the checkpoint are not.
    assert codes(broken) == {(Tamper.MAC, 2), (Tamper.MAC, 3), (Tamper.HEAD, 3)}
    out = found(capsys)
    assert "档案链被改写" in out and "MAC 不符" in out


def test_9_records_table_emptied(archive, capsys):
    person, other, _records, _cp = archive
    guard_off()
    if connection.vendor == "postgresql":
        sql("TRUNCATE archive_trainingrecord CASCADE")
    else:
        sql("DELETE FROM archive_trainingrecord")  # SQLite's TRUNCATE
    checked, broken = archive_verify()
    assert checked == 0
    assert {b.code for b in broken} == {Tamper.TRUNCATED, Tamper.CHAIN_DELETED}
    assert {b.employee_id for b in broken if b.code == Tamper.CHAIN_DELETED} == {person.pk, other.pk}
    out = found(capsys)
    assert "档案完整" not in out and "档案表被清空（TRUNCATE）" in out and "华兴化工有限公司" in out


@PG_ONLY
def test_truncate_cascade_leaves_the_checkpoints(archive):
    guard_off()
    sql("TRUNCATE archive_trainingrecord CASCADE")
    assert ArchiveCheckpoint.objects.count() == 1
    assert {b.code for b in archive_verify()[1]} >= {Tamper.TRUNCATED}


@PG_ONLY
def test_postgresql_refuses_to_change_a_checkpoint(archive):
    from django.db import DatabaseError, transaction

    checkpoint = archive[3]
    for statement in ("UPDATE archive_archivecheckpoint SET total = 0 WHERE id = %s",
                      "DELETE FROM archive_archivecheckpoint WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic():
            sql(statement, [checkpoint.pk])


# --- the checkpoints themselves ------------------------------------------------------------


def test_checkpoint_is_idempotent_and_written_as_a_file(archive, ent_a, tmp_path):
    from django.core.files.storage import default_storage

    checkpoint = archive[3]
    assert checkpoint_create(enterprise=ent_a) == checkpoint
    assert ArchiveCheckpoint.objects.count() == 1
    payload = checkpoint.payload_data
    assert payload["total"] == 5 and payload["day"] == checkpoint.day.isoformat()
    person, other, records = archive[0], archive[1], archive[2]
    assert [person.pk, 3, records[-1].hash] in payload["employees"]
    assert default_storage.exists(checkpoint.path)
    # A missing file is written again by the next run.
    default_storage.delete(checkpoint.path)
    checkpoint_create(enterprise=ent_a)
    assert default_storage.exists(checkpoint.path)


def test_checkpoints_are_chained_day_to_day(archive, ent_a):
    first = archive[3]
    second = checkpoint_create(enterprise=ent_a, day=first.day + dt.timedelta(days=1))
    assert second.payload_data["previous"] == first.sha256
    assert first.payload_data["previous"] is None
    assert archive_verify()[1] == []


def test_no_checkpoint_is_signed_over_a_tampered_archive(archive, ent_a):
    r3 = archive[2][2]
    guard_off()
    rewrite(r3, hours=Decimal("40"))
    with pytest.raises(ArchiveTampered):
        checkpoint_create(enterprise=ent_a, day=archive[3].day + dt.timedelta(days=1))
    assert ArchiveCheckpoint.objects.count() == 1


def test_a_deleted_database_checkpoint_is_found_from_its_file(archive, ent_a, capsys):
    """Delete today's checkpoint row and the newest record: the older
    checkpoint would not notice, the file does."""
    first = archive[3]
    checkpoint_create(enterprise=ent_a, day=first.day + dt.timedelta(days=1))
    person, _other, (r1, r2, r3), _cp = archive
    guard_off()
    sql("DELETE FROM archive_archivecheckpoint WHERE day > %s", [first.day])
    sql("DELETE FROM archive_trainingrecord WHERE id = %s", [r3.pk])
    _checked, broken = archive_verify()
    assert {b.code for b in broken} == {Tamper.CHECKPOINT, Tamper.DELETED}
    out = found(capsys)
    assert "数据库中却没有（数据库中的检查点被删除）" in out


def test_a_forged_checkpoint_file_is_refused(archive, capsys):
    import json

    from django.core.files.storage import default_storage

    checkpoint = archive[3]
    document = checkpoint.document()
    document["payload"]["employees"] = [e for e in document["payload"]["employees"] if e[0] != archive[0].pk]
    default_storage.delete(checkpoint.path)
    default_storage.save(checkpoint.path, __import__("io").BytesIO(json.dumps(document).encode()))
    _checked, broken = archive_verify()
    assert [b.code for b in broken] == [Tamper.CHECKPOINT]
    assert "检查点内容与其摘要不符" in broken[0].problem


def test_daily_task_and_command_sign_every_enterprise(archive, ent_a, ent_b, capsys):
    from lms.archive.tasks import checkpoint_daily_task

    train(EmployeeFactory(enterprise=ent_b), "refresher", 2, D(2026, 2, 6))
    assert checkpoint_daily_task() == {"created": 1, "existing": 1, "refused": []}
    call_command("archive_checkpoint")
    assert "已新签署 0 个检查点" in capsys.readouterr().out
    assert ArchiveCheckpoint.objects.count() == 2


def test_beat_schedules_the_daily_checkpoint():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="archive.checkpoint_daily")
    assert task.enabled and task.crontab.hour == "0"


def test_verification_costs_a_fixed_number_of_queries_per_enterprise(archive, ent_a):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as few:
        assert archive_verify(enterprise_ids=[ent_a.pk])[1] == []
    for n in range(4):
        person = EmployeeFactory(enterprise=ent_a)
        for day in range(1, 4):
            train(person, "refresher", 1, D(2026, 3, day))
    with CaptureQueriesContext(conn) as many:
        assert archive_verify(enterprise_ids=[ent_a.pk])[0] == 17
    assert len(many) == len(few)
