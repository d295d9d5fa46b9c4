"""Batch issuance for an offline session: a Celery task (eager here) with
progress on the batch, one certificate per passed participant, skips told
with a reason, the PDFs as one zip; safe to run twice; HR of the
enterprise only."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate, CertificateKind, IssuanceBatch
from certificates.selectors import certificate_type_for
from certificates.services import batch_create, batch_run, certificate_issue
from lms.archive.services import record_append
from tests.compliance.helpers import D, at
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def attend(employee, session, n, passed=True):
    return record_append(
        employee=employee, actor=None, evaluate=False, kind="induction", level="company", title="厂级安全教育",
        content="安全生产法律法规", start_at=at(D(2026, 11, 2), 8), end_at=at(D(2026, 11, 2), 17), place="培训教室",
        hours=8, trainer="王老师", assessment_method="笔试", assessment_result="passed" if passed else "failed",
        source="offline", source_ref=f"offline_session:{session}/attendance:{n}",
    )


@pytest.fixture
def session_people(ent_a, tree_a):
    people = [EmployeeFactory(enterprise=ent_a, employee_no=f"S{i}", name=f"学员{i}") for i in range(4)]
    for n, person in enumerate(people[:3]):
        attend(person, 7, n)
    attend(people[3], 7, 3, passed=False)
    attend(EmployeeFactory(enterprise=ent_a, employee_no="X9"), 8, 9)  # another session
    return people


def test_batch_issues_zips_and_reports_progress(alice, ent_a, session_people, django_capture_on_commit_callbacks):
    kind_type = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    earlier = certificate_issue(employee=session_people[2], type=kind_type, basis_note="已有",
                                basis_records=[attend(session_people[2], 5, 50)], actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(enterprise=ent_a, type=kind_type, session_id=7, actor=alice)
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.SUCCEEDED
    assert (batch.total, batch.processed, batch.issued_count, batch.progress_percent) == (3, 3, 2, 100)
    assert batch.skipped == [{"employee_no": "S2", "reason": "已持有有效的同类证书"}]
    issued = Certificate.objects.filter(batch=batch).order_by("employee__employee_no")
    assert [c.employee.employee_no for c in issued] == ["S0", "S1"]
    assert all(c.issued_via == Certificate.Via.BATCH and c.basis_records.count() == 1 for c in issued)
    assert Certificate.objects.filter(employee=session_people[2]).get() == earlier

    client = login_with_mfa(Client(), alice)
    progress = client.get(reverse("certificates:batch-progress", args=[batch.pk])).json()
    assert progress["percent"] == 100 and progress["issued"] == 2 and progress["status_label"] == "已完成"
    response = client.get(progress["zip_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 2 and names[0].startswith("S0-") and names[1].startswith("S1-")
    assert all(archive.read(name).startswith(b"%PDF") for name in names)

    # A second delivery of the task does nothing.
    batch_run(batch_id=batch.pk)
    assert Certificate.objects.filter(batch=batch).count() == 2


def test_batch_is_for_hr_of_the_enterprise_only(alice, charlie, bob, ent_a, session_people,
                                                 django_capture_on_commit_callbacks):
    kind_type = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    with pytest.raises(PermissionDenied):
        batch_create(enterprise=ent_a, type=kind_type, session_id=7, actor=charlie)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(enterprise=ent_a, type=kind_type, session_id=7, actor=alice)
    for outsider in (charlie, bob):
        client = login_with_mfa(Client(), outsider)
        assert client.get(reverse("certificates:batch-progress", args=[batch.pk])).status_code == 404
        assert client.get(reverse("certificates:batch-zip", args=[batch.pk])).status_code == 404


def test_batch_needs_one_source_and_an_internal_type(alice, ent_a):
    with pytest.raises(ValidationError) as error:
        batch_create(enterprise=ent_a, type=certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION), actor=alice)
    assert "exam" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        batch_create(enterprise=ent_a, type=certificate_type_for(ent_a, CertificateKind.SPECIAL_OPERATION), session_id=7,
                     actor=alice)
    assert "type" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        batch_create(enterprise=ent_a, type=certificate_type_for(ent_a, CertificateKind.POST), session_id=7, actor=alice)
    assert "post" in error.value.message_dict


def test_batch_for_an_exam_issues_to_each_passed_examinee_once(ent_a, ent_b, django_capture_on_commit_callbacks):
    from exams.models import Attempt
    from tests.exams.engine_helpers import CLOSES, bank, exam, fixed_paper, single

    b = bank(ent_a)
    the_exam = exam(ent_a, fixed_paper(ent_a, [(single(b), 100)]))
    passed, failed = EmployeeFactory(enterprise=ent_a, employee_no="P1"), EmployeeFactory(enterprise=ent_a,
                                                                                          employee_no="P2")
    # Answer sheets as the engine leaves them (test data): P1 failed once, then passed; P2 failed.
    for employee, number, ok in ((passed, 1, False), (passed, 2, True), (failed, 1, False)):
        Attempt.objects.create(exam=the_exam, employee=employee, number=number, deadline=CLOSES,
                               status=Attempt.Status.GRADED, passed=ok, score=90 if ok else 40, max_score=100)
    refresher = certificate_type_for(ent_a, CertificateKind.APPRENTICESHIP_COMPLETION)
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(enterprise=ent_a, type=refresher, exam=the_exam, actor=None)
    batch.refresh_from_db()
    [cert] = Certificate.objects.filter(batch=batch)
    assert cert.employee == passed and cert.basis_attempt.passed and batch.total == 1
    with pytest.raises(ValidationError) as error:
        batch_create(enterprise=ent_b, type=refresher, exam=the_exam, actor=None)
    assert "exam" in error.value.message_dict


class WorkerKilled(BaseException):
    """Stands for SIGKILL: no except clause of the task sees it."""


def test_batch_whose_worker_died_is_run_again_and_issues_each_certificate_once(
    alice, ent_a, session_people, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from certificates import pdf
    from certificates.tasks import requeue_stale_batches_task

    render = pdf.render_certificate_pdf
    calls = []

    def dies_at_the_second_pdf(certificate, **kwargs):
        calls.append(certificate.pk)
        if len(calls) == 2:
            raise WorkerKilled
        return render(certificate, **kwargs)

    kind_type = certificate_type_for(ent_a, CertificateKind.INDUCTION_COMPLETION)
    with django_capture_on_commit_callbacks(execute=False):
        batch = batch_create(enterprise=ent_a, type=kind_type, session_id=7, actor=alice)
    monkeypatch.setattr(pdf, "render_certificate_pdf", dies_at_the_second_pdf)
    with pytest.raises(WorkerKilled):
        batch_run(batch_id=batch.pk)
    monkeypatch.setattr(pdf, "render_certificate_pdf", render)
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.RUNNING and batch.attempts == 1  # stuck, as a killed worker leaves it
    assert Certificate.objects.filter(batch=batch).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_batches_task() == 0  # its heartbeat is recent: the worker may be alive
    IssuanceBatch.objects.filter(pk=batch.pk).update(
        heartbeat_at=batch.heartbeat_at - dt.timedelta(seconds=settings.ANXUN_JOB_STALE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_batches_task() == 1

    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.issued_count, batch.skipped) == (
        IssuanceBatch.Status.SUCCEEDED, 2, 3, [])
    for person in session_people[:3]:
        assert Certificate.objects.filter(employee=person, type=kind_type).count() == 1
    with batch.archive.open("rb") as handle:
        names = sorted(zipfile.ZipFile(handle).namelist())
    assert [name.split("-")[0] for name in names] == ["S0", "S1", "S2"]
