"""The person file shows the person's graded exam results (issue 8: a
regulator's read-only view holds records, obligations, clearance,
certificates and exam results), on the page and in the PDF, in a fixed
number of queries."""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt
from tests.conftest import login_with_mfa
from tests.exams.engine_helpers import bank, exam, fixed_paper, single

pytestmark = pytest.mark.django_db


def _attempt(the_exam, employee, *, number, score, passed, status=Attempt.Status.GRADED):
    submitted = timezone.make_aware(dt.datetime(2026, 3, 2, 10, number))
    return Attempt.objects.create(
        exam=the_exam, employee=employee, number=number, deadline=submitted, submitted_at=submitted, status=status,
        score=Decimal(score), max_score=Decimal("100"), passed=passed,
    )


@pytest.fixture
def results(ent_a, bob):
    the_exam = exam(ent_a, fixed_paper(ent_a, [(single(bank(ent_a)), 100)]), title="2026 年度安全生产知识考试")
    _attempt(the_exam, bob.employee, number=1, score="60", passed=False)
    _attempt(the_exam, bob.employee, number=2, score="92", passed=True)
    return the_exam


def test_regulator_sees_graded_exam_results_in_the_file(client, regulator, bob, results):
    in_progress = exam(bob.employee.enterprise, results.paper, title="未交卷的考试")
    Attempt.objects.create(exam=in_progress, employee=bob.employee, deadline=timezone.now(),
                           status=Attempt.Status.IN_PROGRESS)
    login_with_mfa(client, regulator)
    body = client.get(reverse("archive:person_file", args=[bob.employee.pk])).content.decode()
    section = body.split('id="pf-exams"')[1]
    assert "2026 年度安全生产知识考试" in section
    assert "得分 92.0 / 100.0" in section and "得分 60.0 / 100.0" in section
    assert section.index("92.0") < section.index("60.0")  # newest first
    assert "不合格" in section and "未交卷的考试" not in section


def test_exam_results_are_in_the_pdf(alice_client, bob, results, tmp_path):
    response = alice_client.get(reverse("archive:person_file_pdf", args=[bob.employee.pk]))
    assert response.status_code == 200
    pdf = tmp_path / "file.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "考试成绩" in text and "92.0 / 100.0" in text


def test_an_employee_without_exams_says_so(alice_client, bob):
    body = alice_client.get(reverse("archive:person_file", args=[bob.employee.pk])).content.decode()
    assert "暂无考试成绩" in body


def test_more_exam_results_cost_no_more_queries(alice_client, bob, results):
    url = reverse("archive:person_file", args=[bob.employee.pk])
    alice_client.get(url)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    for n in range(3, 8):
        _attempt(results, bob.employee, number=n, score="85", passed=True)
    with CaptureQueriesContext(connection) as many:
        alice_client.get(url)
    assert len(many) == len(few)
