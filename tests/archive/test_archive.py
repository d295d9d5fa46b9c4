"""The archive is append-only and its hash chains expose tampering."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify, record_append
from tests.compliance.helpers import D, at, train
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(ent_a):
    return EmployeeFactory(enterprise=ent_a)


def test_records_chain_per_person(person, ent_a):
    other = EmployeeFactory(enterprise=ent_a)
    r1 = train(person, "induction", 8, D(2026, 1, 5), level="company")
    r2 = train(person, "refresher", 4, D(2026, 2, 5))
    o1 = train(other, "refresher", 4, D(2026, 2, 5))
    assert (r1.seq, r2.seq, o1.seq) == (1, 2, 1)
    assert r1.prev_hash == TrainingRecord.GENESIS and r2.prev_hash == r1.hash
    assert o1.prev_hash == TrainingRecord.GENESIS
    assert len(r1.hash) == 64 and r1.hash == r1.compute_hash()
    assert archive_verify() == (3, [])


def test_model_and_queryset_refuse_changes(person):
    record = train(person, "refresher", 4, D(2026, 2, 5))
    record.hours = 40
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()
    with pytest.raises(ValidationError):
        TrainingRecord.objects.filter(pk=record.pk).update(hours=40)
    with pytest.raises(ValidationError):
        TrainingRecord.objects.filter(pk=record.pk).delete()
    assert TrainingRecord.objects.get(pk=record.pk).hours == 4


def test_database_refuses_raw_update_and_delete(person):
    record = train(person, "refresher", 4, D(2026, 2, 5))
    for sql in (
        f"UPDATE archive_trainingrecord SET hours = 40 WHERE id = {record.pk}",
        f"DELETE FROM archive_trainingrecord WHERE id = {record.pk}",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert TrainingRecord.objects.get(pk=record.pk).hours == 4


def _drop_guard():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Flush deferred FK checks first: ALTER TABLE refuses to run while
            # trigger events are pending in the test's transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE archive_trainingrecord DISABLE TRIGGER archive_record_no_update_delete")
        else:
            cursor.execute("DROP TRIGGER archive_record_no_update")
            cursor.execute("DROP TRIGGER archive_record_no_delete")


def test_verify_archive_names_the_tampered_record(person, capsys):
    train(person, "induction", 8, D(2026, 1, 5), level="company")
    target = train(person, "induction", 8, D(2026, 1, 6), level="workshop")
    train(person, "refresher", 4, D(2026, 2, 5))
    call_command("verify_archive")
    assert "档案完整" in capsys.readouterr().out

    # Someone with database access bypasses the guard and inflates the hours.
    _drop_guard()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE archive_trainingrecord SET hours = 24 WHERE id = %s", [target.pk])
    with pytest.raises(CommandError):
        call_command("verify_archive")
    out = capsys.readouterr().out
    assert f"记录 #{target.pk}" in out and "篡改" in out


def test_verify_archive_detects_a_deleted_record(person, capsys):
    train(person, "induction", 8, D(2026, 1, 5), level="company")
    middle = train(person, "induction", 8, D(2026, 1, 6), level="workshop")
    last = train(person, "refresher", 4, D(2026, 2, 5))
    _drop_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_trainingrecord WHERE id = %s", [middle.pk])
    checked, broken = archive_verify()
    assert checked == 2
    assert {b.record_id for b in broken} == {last.pk}
    assert any("序号" in b.problem for b in broken) and any("前一条" in b.problem for b in broken)


def test_record_fields_are_validated_in_chinese(person):
    with pytest.raises(ValidationError) as exc:
        record_append(employee=person, actor=None, kind="induction", level="company", title="x", content="x",
                      start_at=at(D(2026, 1, 5), 10), end_at=at(D(2026, 1, 5), 9), place="x", hours=-1, trainer="x",
                      source="offline")
    assert "hours" in exc.value.message_dict
    assert not TrainingRecord.objects.exists()


def test_outsider_cannot_append(person, charlie):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        record_append(employee=person, actor=charlie, kind="refresher", title="x", content="x",
                      start_at=at(D(2026, 1, 5), 9), end_at=at(D(2026, 1, 5), 10), place="x", hours=1, trainer="x",
                      source="offline")
