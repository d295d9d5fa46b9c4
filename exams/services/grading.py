"""Grading: responses scored against the key, a submitted attempt graded
once, a paper exam's result entered by a trainer, and the training record
each graded attempt appends to the examinee's archive."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.scoping import log_user
from lms.archive.models import AssessmentResult, RecordSource
from lms.archive.services import record_append
from lms.workforce.models import Employee

from ..models import Attempt, AttemptAnswer, Exam, Question, QuestionType
from ..selectors import exam_audience, paper_total
from .base import ONE_DECIMAL, ExamError, _q1, _require_manager, fmt_points, percentage

# Multiple choice with partial credit: points per correct option chosen, if no wrong option is chosen.
PARTIAL_CREDIT_PER_OPTION = Decimal("0.5")


_SPACES = re.compile(r"\s+")


def normalise_blank(text: str) -> str:
    """Fill-in comparison form: full-width → half-width (NFKC), case folded,
    surrounding spaces removed and inner runs of spaces made one."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(text))).strip().casefold()


def grade_response(question: Question, response, points: Decimal, *, partial_credit: bool = False) -> Decimal:
    """Points earned by ``response`` (original keys) on ``question`` worth ``points``.

    - single choice and true/false: all or nothing;
    - multiple choice: all or nothing; with ``partial_credit``, 0.5 points per
      correct option chosen when no wrong option is chosen (never more than
      ``points``);
    - fill-in: each blank compared after :func:`normalise_blank` with every
      accepted alternative; the points are shared equally by the blanks
      (rounded down to 0.1), all blanks right = full points.
    """
    points = Decimal(points)
    response = response or []
    answer = question.answer or []
    if question.type == QuestionType.SINGLE:
        return points if len(response) == 1 and [str(k) for k in response] == [str(k) for k in answer] else Decimal(0)
    if question.type == QuestionType.MULTIPLE:
        chosen, correct = {str(k) for k in response}, {str(k) for k in answer}
        if not chosen:
            return Decimal(0)
        if chosen == correct:
            return points
        if partial_credit and chosen < correct:
            return min(PARTIAL_CREDIT_PER_OPTION * len(chosen), points)
        return Decimal(0)
    if question.type == QuestionType.TRUE_FALSE:
        return (
            points
            if len(response) == 1 and response[0] is bool(answer[0]) and isinstance(response[0], bool)
            else Decimal(0)
        )
    if question.type == QuestionType.FILL_BLANK:
        if not answer:
            return Decimal(0)
        right = 0
        for index, accepted in enumerate(answer):
            given = response[index] if index < len(response) else ""
            if not isinstance(given, str) or not given.strip():
                continue
            alternatives = accepted if isinstance(accepted, list) else [accepted]
            if normalise_blank(given) in {normalise_blank(a) for a in alternatives}:
                right += 1
        if right == len(answer):
            return points
        return (points * right / len(answer)).quantize(ONE_DECIMAL, ROUND_DOWN)
    return Decimal(0)


def attempt_grade(attempt: Attempt, *, now: dt.datetime | None = None) -> Attempt:
    """Grade a submitted attempt once: points per answer (answers saved at or
    after the deadline earn nothing; unanswered questions get a 0-point row),
    score out of the paper total, pass/fail against the exam's pass score on a
    100-point scale, then a training record (考试, score, 合格/不合格) appended
    to the examinee's archive and linked to the attempt. A graded attempt is
    returned unchanged."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_related("exam__paper", "exam__enterprise", "employee").get(pk=attempt.pk)
        if attempt.status == Attempt.Status.GRADED:
            return attempt
        if attempt.status != Attempt.Status.SUBMITTED:
            raise ExamError(_("答卷尚未交卷，不能评分"), code="not_submitted")
        exam = attempt.exam
        layout = attempt.layout or []
        questions = Question.objects.in_bulk([item["q"] for item in layout])
        answers = {a.question_id: a for a in attempt.answers.all()}
        partial = exam.paper.multiple_partial_credit
        score, max_score = Decimal(0), Decimal(0)
        changed, created = [], []
        for item in layout:
            points = Decimal(item["points"])
            max_score += points
            answer = answers.get(item["q"])
            question = questions.get(item["q"])
            counted = question is not None and answer is not None and answer.saved_at < attempt.deadline
            earned = (
                grade_response(question, answer.response, points, partial_credit=partial) if counted else Decimal(0)
            )
            score += earned
            if question is None:
                continue  # a question deleted since (only possible outside the services): it earns nothing
            if answer is None:
                created.append(
                    AttemptAnswer(
                        attempt=attempt,
                        question_id=item["q"],
                        response=[],
                        points=earned,
                        saved_at=attempt.submitted_at or now,
                    )
                )
            else:
                answer.points = earned
                changed.append(answer)
        pct = percentage(score, max_score) or Decimal(0)
        passed = max_score > 0 and pct >= Decimal(exam.pass_score)
        claimed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.SUBMITTED).update(
            status=Attempt.Status.GRADED, score=score, max_score=max_score, passed=passed, graded_at=now
        )
        if claimed != 1:
            return Attempt.objects.get(pk=attempt.pk)
        AttemptAnswer.objects.bulk_update(changed, ["points"])
        AttemptAnswer.objects.bulk_create(created)
        attempt.refresh_from_db()
        record = _record_for(attempt, score=score, max_score=max_score, pct=pct, passed=passed)
        Attempt.objects.filter(pk=attempt.pk).update(record=record)
        attempt.record = record
        return attempt


def _record_for(attempt: Attempt, *, score, max_score, pct, passed, trainer=None, place=None, evidence=None):
    exam = attempt.exam
    end = max(attempt.submitted_at or attempt.started_at, attempt.started_at)
    content = _(
        "考试：%(title)s；试卷：%(paper)s；得分 %(score)s / %(max)s"
        "（百分制 %(pct)s 分，及格线 %(pass)s 分）；第 %(n)s 次"
    ) % {
        "title": exam.title,
        "paper": exam.paper.name,
        "score": fmt_points(score),
        "max": fmt_points(max_score),
        "pct": fmt_points(pct),
        "pass": fmt_points(exam.pass_score),
        "n": attempt.number,
    }
    if attempt.auto_submitted:
        content += _("；到时自动交卷")
    if attempt.offline:
        content += _("；线下纸质考试，成绩由阅卷人录入")
    return record_append(
        employee=attempt.employee,
        actor=None,
        kind=exam.record_kind,
        level=exam.record_level,
        post=exam.record_post,
        title=exam.title,
        content=content,
        start_at=attempt.started_at,
        end_at=end,
        place=place or _("在线考试"),
        hours=Decimal(0),
        trainer=trainer or _("系统阅卷"),
        assessment_method=_("考试"),
        assessment_result=AssessmentResult.PASSED if passed else AssessmentResult.FAILED,
        score=pct,
        source=RecordSource.EXAM,
        source_ref=f"exam:{exam.pk}/attempt:{attempt.pk}",
        evidence=evidence or "",
    )


@transaction.atomic
def offline_result_enter(
    exam: Exam,
    employee: Employee,
    score,
    evidence,
    actor,
    *,
    taken_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Attempt:
    """A trainer (exam manager) enters a paper exam's score, out of the paper's
    total, with the scanned answer sheet: a graded offline attempt and its
    training record (the sheet attached to both). The person must be in the
    audience and have attempts left; the scan is required."""
    now = now or timezone.now()
    _require_manager(actor, exam.enterprise_id)
    if actor is None:
        raise PermissionDenied(_("线下考试成绩须由阅卷人录入"))
    taken_at = taken_at or now
    errors: dict[str, str] = {}
    if employee.enterprise_id != exam.enterprise_id or not exam_audience(exam).filter(pk=employee.pk).exists():
        errors["employee"] = _("该员工不是本场考试的考试对象")
    total = paper_total(exam.paper)
    try:
        score = _q1(score)
    except Exception:
        errors["score"] = _("成绩应为数字")
    else:
        if score < 0 or score > total:
            errors["score"] = _("成绩应在 0 到 %(total)s 分之间（试卷满分）") % {"total": fmt_points(total)}
    if not evidence:
        errors["evidence"] = _("请上传答题卡扫描件")
    if taken_at > now:
        errors["taken_at"] = _("考试时间不能晚于现在")
    if errors:
        raise ExamError(errors)
    previous = list(Attempt.objects.filter(exam=exam, employee=employee).values_list("passed", "status"))
    if any(p for p, _s in previous):
        raise ExamError({"employee": _("该员工已通过本场考试")})
    if any(s == Attempt.Status.IN_PROGRESS for _p, s in previous):
        raise ExamError({"employee": _("该员工正在参加本场在线考试，请待其交卷后再录入")})
    if len(previous) >= exam.attempts_allowed:
        raise ExamError({"employee": _("该员工的考试次数已用完（共 %(n)s 次）") % {"n": exam.attempts_allowed}})
    evidence.seek(0)
    content = evidence.read()
    name = getattr(evidence, "name", "") or "sheet"
    pct = percentage(score, total) or Decimal(0)
    passed = total > 0 and pct >= Decimal(exam.pass_score)
    attempt = Attempt(
        exam=exam,
        employee=employee,
        number=len(previous) + 1,
        started_at=taken_at,
        deadline=taken_at,
        submitted_at=taken_at,
        status=Attempt.Status.GRADED,
        score=score,
        max_score=total,
        passed=passed,
        offline=True,
        graded_at=now,
        entered_by=log_user(actor),
        layout=[],
    )
    attempt.evidence.save(name.rsplit("/", 1)[-1], ContentFile(content), save=False)
    attempt.evidence_sha256 = hashlib.sha256(content).hexdigest()
    attempt.save()
    record = _record_for(
        attempt,
        score=score,
        max_score=total,
        pct=pct,
        passed=passed,
        trainer=_("阅卷：%(name)s") % {"name": str(actor)[:90]},
        place=_("线下考试"),
        evidence=ContentFile(content, name=name.rsplit("/", 1)[-1]),
    )
    Attempt.objects.filter(pk=attempt.pk).update(record=record)
    attempt.record = record
    log(attempt, "wagtail.create", user=log_user(actor), data={"offline": True, "score": str(score)})
    return attempt
