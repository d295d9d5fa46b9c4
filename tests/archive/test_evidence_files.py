"""verify_archive checks the evidence files the archive names: each is in
storage and has the SHA-256 taken when it was attached (issue 19 item 5)."""

import datetime as dt
import hashlib
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.archive.registry import evidence_files
from lms.archive.services import EvidenceProblem, evidence_verify, record_append
from lms.supervision import services as supervision
from lms.supervision.models import Finding, FindingEntry
from tests.compliance.helpers import D, at
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

SHEET = "签到表扫描件".encode() + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def record(ent_a):
    person = EmployeeFactory(enterprise=ent_a)
    return record_append(
        employee=person, actor=None, kind="refresher", title="年度再培训", content="培训内容",
        start_at=at(D(2026, 2, 5), 8), end_at=at(D(2026, 2, 5), 17), place="培训教室", hours=Decimal("8"),
        trainer="王老师", source="offline", evidence=ContentFile(SHEET, name="sign-in.pdf"))


def _verify(capsys):
    call_command("verify_archive")
    return capsys.readouterr().out


def _verify_fails(capsys):
    with pytest.raises(CommandError) as failed:
        call_command("verify_archive")
    return capsys.readouterr().out + str(failed.value)


def test_clean_archive_with_evidence_is_complete(record, capsys):
    assert record.evidence_sha256 == hashlib.sha256(SHEET).hexdigest()
    out = _verify(capsys)
    assert "档案完整" in out and "1 个佐证文件齐全" in out


def test_missing_evidence_file_fails(record, capsys):
    default_storage.delete(record.evidence.name)
    out = _verify_fails(capsys)
    assert "档案完整" not in out
    assert record.evidence.name in out and f"培训记录 #{record.pk}" in out and "丢失" in out
    assert "1 个缺失" in out


def test_altered_evidence_file_fails(record, capsys):
    path = default_storage.path(record.evidence.name)
    with open(path, "wb") as handle:
        handle.write(SHEET.replace(b"\x00", b"\x01"))
    out = _verify_fails(capsys)
    assert "档案完整" not in out and record.evidence.name in out and "被改动" in out
    checked, problems = evidence_verify()
    assert checked == 1 and [p.code for p in problems] == [EvidenceProblem.ALTERED]


# --- evidence other apps register -------------------------------------------------------


@pytest.fixture
def answered(regulator, ent_a, bob, alice):
    finding = supervision.finding_create(
        actor=regulator, enterprise=ent_a, employee=bob.employee, kind=Finding.Kind.MISSING_HOURS,
        description="年度再培训学时不足", deadline=dt.date.today() + dt.timedelta(days=30))
    return supervision.finding_answer(actor=alice, finding=finding, text="已补训",
                                      evidence=ContentFile(SHEET, name="补训签到表.pdf"))


def test_finding_evidence_is_hashed_at_write_and_checked(answered, capsys):
    assert answered.evidence_sha256 == hashlib.sha256(SHEET).hexdigest()
    assert "1 个佐证文件齐全" in _verify(capsys)
    with open(default_storage.path(answered.evidence.name), "ab") as handle:
        handle.write(b"!")
    out = _verify_fails(capsys)
    assert f"答复 #{answered.pk}" in out and "被改动" in out
    default_storage.delete(answered.evidence.name)
    out = _verify_fails(capsys)
    assert f"答复 #{answered.pk}" in out and "丢失" in out


def test_backfill_hashes_present_files_and_reports_missing(answered, regulator, ent_a, bob, alice, capsys):
    FindingEntry.objects.filter(pk=answered.pk).update(evidence_sha256="")
    gone = FindingEntry.objects.create(finding=answered.finding, kind=FindingEntry.Kind.ANSWER, text="x",
                                       author=alice, evidence="supervision/gone.pdf")
    migration = importlib.import_module("lms.supervision.migrations.0005_backfill_evidence_sha256")
    migration.backfill(apps, None)
    out = capsys.readouterr().out
    assert FindingEntry.objects.get(pk=answered.pk).evidence_sha256 == hashlib.sha256(SHEET).hexdigest()
    assert FindingEntry.objects.get(pk=gone.pk).evidence_sha256 == ""
    assert f"#{gone.pk}" in out and "supervision/gone.pdf" in out
    _checked, problems = evidence_verify()
    assert [(p.code, p.name) for p in problems] == [(EvidenceProblem.MISSING, "supervision/gone.pdf")]


def test_an_unhashed_file_is_checked_for_presence_and_said(answered):
    FindingEntry.objects.filter(pk=answered.pk).update(evidence_sha256="")
    notes = []
    assert evidence_verify(notes=notes) == (1, [])
    assert notes and "没有记录 SHA-256" in notes[0]


def test_the_apps_register_their_evidence_files():
    assert evidence_files.names() == ["finding_evidence", "answer_sheets"]


def test_no_files_checks_records_only_and_never_says_complete(record, capsys):
    default_storage.delete(record.evidence.name)
    call_command("verify_archive", "--no-files")
    out = capsys.readouterr().out
    assert "档案完整" not in out and "佐证文件未校验" in out and "已校验 1 条" in out
