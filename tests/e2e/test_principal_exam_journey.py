"""A principal sits the annual exam on a phone: logs in (no MFA for the
role), opens 我的考试, answers a four-question paper (autosaved, survives a
reload), submits, sees 合格, and the archive holds the record."""

import datetime as dt
import os
import time

import pytest
from django.utils import timezone

from exams import services
from exams.models import Attempt, AttemptAnswer, Question
from lms.archive.models import TrainingRecord
from tests.e2e.conftest import log_in
from tests.exams.engine_helpers import bank, fill, fixed_paper, make_principal, multiple, single, true_false

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def _wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_principal_sits_and_passes_the_annual_exam_on_a_phone(phone, live_server, ent_a, tree_a, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    principal = make_principal(ent_a, tree_a[0])
    questions_bank = bank(ent_a)
    questions = [
        single(questions_bank),
        multiple(questions_bank),
        true_false(questions_bank),
        fill(questions_bank, answer=(("预防", "预防为主"),)),
    ]
    paper = fixed_paper(ent_a, [(q, 25) for q in questions])
    now = timezone.now()
    exam = services.exam_create(
        enterprise=ent_a,
        actor=None,
        paper=paper,
        title="2026 年度主要负责人安全生产知识考试",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=2),
        duration_minutes=30,
        audience={"principals_and_safety_managers": True},
        record_kind="principal",
    )
    page = phone

    # Log in with email and password: a principal needs no second factor.
    log_in(page, live_server.url, principal)  # the back office: a principal reads staff data

    # 我的考试 lists the annual exam; its start page starts the attempt.
    page.goto(f"{live_server.url}/exams/")
    page.get_by_role("heading", name="我的考试").wait_for()
    page.get_by_text(exam.title).click()
    page.wait_for_url(f"**/exams/{exam.pk}/")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_url("**/exams/attempts/*/")
    attempt = Attempt.objects.get(exam=exam)
    clock = page.locator("#clock-value")
    clock.wait_for()
    assert clock.inner_text().startswith(("29:", "30:"))

    # Answer every question as laid out on this paper (shuffled letters).
    by_id = Question.objects.in_bulk([i["q"] for i in attempt.layout])
    for item in attempt.layout:
        q = by_id[item["q"]]
        if q.type in ("single", "multiple"):
            for key in q.answer:
                letter = services.LETTERS[item["options"].index(key)]
                page.locator(f'label[for="q{q.pk}-{letter}"]').click()
        elif q.type == "true_false":
            page.locator(f'label[for="q{q.pk}-{"t" if q.answer[0] else "f"}"]').click()
        else:
            page.locator(f"#q{q.pk}-b1").fill("预防")
            page.locator(f"#q{q.pk}-b1").press("Tab")
    page.locator("#save-status").filter(has_text="已保存").wait_for()
    assert _wait_until(lambda: AttemptAnswer.objects.filter(attempt=attempt).count() == 4)
    assert page.locator("#answered-count").inner_text() == "4"

    # A reload (or a dropped connection) resumes the same attempt with the answers in place.
    page.reload()
    assert page.locator(f"#q{questions[3].pk}-b1").input_value() == "预防"
    assert page.locator("fieldset.question.is-answered").count() == 4
    page.screenshot(path=str(tmp_path / "answering.png"), full_page=True)

    # Submit, confirm, and see the result.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="交卷").click()
    page.wait_for_url("**/result/")
    assert page.locator("#result-verdict").inner_text() == "合格"
    assert page.locator("#result-score").inner_text().startswith("100")
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.passed and Attempt.objects.count() == 1
    record = TrainingRecord.objects.get(employee=principal.employee)
    assert record.kind == "principal" and record.assessment_result == "passed" and record.score == 100
    assert record.assessment_method == "考试" and attempt.record_id == record.pk

    # The person's file shows the record.
    page.goto(f"{live_server.url}/archive/employees/{principal.employee.pk}/")
    timeline = page.locator("#record-1")
    timeline.wait_for()
    text = timeline.inner_text()
    assert exam.title in text and "合格" in text and "100 分" in text and "在线考试" in text
    page.screenshot(path=str(tmp_path / "archive.png"), full_page=True)
