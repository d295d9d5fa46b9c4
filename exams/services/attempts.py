"""Attempts: starting (or resuming) one, the autosave of answers, submission
exactly once, the auto-submit of overdue attempts, and the exams a user is
to sit (which submits their overdue attempts first)."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import random
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.jsonbody import text_problem
from lms.workforce.models import Employee

from ..models import Attempt, AttemptAnswer, Exam, QuestionType
from ..selectors import audience_facts, audience_includes, exam_audience
from .base import ExamError, percentage
from .grading import attempt_grade
from .papers import paper_draw

logger = logging.getLogger(__name__)

MAX_BLANK_CHARS = 200
# Enough for a 26-option question; option letters beyond Z are not supported.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _late_submit_if_due(attempt: Attempt, now: dt.datetime) -> Attempt:
    if attempt.status == Attempt.Status.IN_PROGRESS and attempt.is_late(now):
        return attempt_submit(attempt, auto=True, now=now)
    return attempt


def attempt_refresh(attempt: Attempt, *, now: dt.datetime | None = None) -> Attempt:
    """The attempt as it stands at ``now``: an in-progress attempt whose deadline
    has passed is submitted (and graded) first — the check on the next request
    that backs up the Celery auto-submit."""
    return _late_submit_if_due(attempt, now or timezone.now())


def attempt_can_start(exam: Exam, employee: Employee, *, now: dt.datetime | None = None) -> None:
    """Raise ExamError (code ``not_open``, ``closed``, ``not_in_audience``,
    ``passed`` or ``no_attempts_left``) unless ``employee`` may start a new attempt."""
    now = now or timezone.now()
    if now < exam.opens_at:
        local = timezone.localtime(exam.opens_at)
        raise ExamError(_("考试尚未开始，开始时间：%(t)s") % {"t": f"{local:%Y-%m-%d %H:%M}"}, code="not_open")
    if now >= exam.closes_at:
        raise ExamError(_("考试已结束"), code="closed")
    if not exam_audience(exam).filter(pk=employee.pk).exists():
        raise ExamError(_("您不是本场考试的考试对象"), code="not_in_audience")
    attempts = list(Attempt.objects.filter(exam=exam, employee=employee).values_list("passed", flat=True))
    if any(attempts):
        raise ExamError(_("您已通过本场考试"), code="passed")
    if len(attempts) >= exam.attempts_allowed:
        raise ExamError(_("考试次数已用完（共 %(n)s 次）") % {"n": exam.attempts_allowed}, code="no_attempts_left")


def _rotate_token(attempt: Attempt) -> Attempt:
    token = secrets.token_urlsafe(24)
    if Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(token=token):
        attempt.token = token
    return attempt


def attempt_start(exam: Exam, employee: Employee, *, now: dt.datetime | None = None, rng=None) -> Attempt:
    """Start ``employee``'s attempt at ``exam``, or resume the one in progress.

    A new attempt needs the window open, the employee in the audience, not yet
    passed and attempts left; it gets a fresh layout and a server deadline
    (start + duration, capped by the window). Resuming hands out a new token,
    so a page opened earlier (another tab, a replayed request) can no longer
    save answers. An in-progress attempt past its deadline is submitted first.
    Safe against two concurrent starts: the database allows one open attempt
    per person per exam, and the loser resumes the winner's attempt."""
    now = now or timezone.now()
    current = Attempt.objects.filter(exam=exam, employee=employee, status=Attempt.Status.IN_PROGRESS).first()
    if current is not None:
        if not current.is_late(now):
            return _rotate_token(current)
        attempt_submit(current, auto=True, now=now)
    attempt_can_start(exam, employee, now=now)
    layout = paper_draw(exam.paper, rng or random.Random(secrets.randbits(64)))
    number = (Attempt.objects.filter(exam=exam, employee=employee).aggregate(n=Max("number"))["n"] or 0) + 1
    attempt = Attempt(
        exam=exam,
        employee=employee,
        number=number,
        started_at=now,
        deadline=Attempt.deadline_for(exam, now),
        layout=layout,
    )
    try:
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # Two starts raced (two tabs, a double click): the other one won.
        current = Attempt.objects.filter(exam=exam, employee=employee, status=Attempt.Status.IN_PROGRESS).first()
        if current is None:
            raise ExamError(_("开始考试时发生冲突，请重试"), code="conflict") from None
        return current
    return attempt


def _layout_item(layout: list[dict], question_id) -> dict | None:
    for item in layout:
        if item["q"] == question_id:
            return item
    return None


def _bad(message: str) -> ExamError:
    return ExamError(message, code="bad_response")


def response_clean(item: dict, response) -> list:
    """Check an examinee's response against the question's type in the layout
    and translate shown option letters to the original keys. Returns the
    response to store; raises ExamError(code="bad_response")."""
    kind = item["type"]
    if not isinstance(response, list):
        raise _bad(_("答案格式不正确"))
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        shown = LETTERS[: len(item.get("options") or [])]
        letters = []
        for value in response:
            if not isinstance(value, str) or unicodedata.normalize("NFKC", value).strip().upper() not in shown:
                raise _bad(_("选项不存在"))
            letters.append(unicodedata.normalize("NFKC", value).strip().upper())
        if len(set(letters)) != len(letters):
            raise _bad(_("选项重复"))
        if kind == QuestionType.SINGLE and len(letters) > 1:
            raise _bad(_("单选题只能选择一个选项"))
        return [item["options"][shown.index(letter)] for letter in sorted(letters)]
    if kind == QuestionType.TRUE_FALSE:
        if response == [] or (len(response) == 1 and isinstance(response[0], bool)):
            return response
        raise _bad(_("判断题只能选择“对”或“错”"))
    if kind == QuestionType.FILL_BLANK:
        blanks = item.get("blanks", 1)
        if len(response) != blanks or not all(isinstance(v, str) for v in response):
            raise _bad(_("填空题应填写 %(n)s 个空") % {"n": blanks})
        if any(len(v) > MAX_BLANK_CHARS for v in response):
            raise _bad(_("每个空最多 %(n)s 个字") % {"n": MAX_BLANK_CHARS})
        for value in response:
            problem = text_problem(value)
            if problem:
                raise _bad(problem)
        return response
    raise _bad(_("题型不支持"))


class SaveResult(NamedTuple):
    """What an autosave did: ``applied`` is False when a newer save (a larger
    sequence number) already holds the answer and this one was ignored."""

    saved_at: dt.datetime
    applied: bool


def attempt_save_answer(
    attempt: Attempt, token: str, question_id, response, *, seq: int | None = None, now: dt.datetime | None = None
) -> SaveResult:
    """Autosave one answer and say whether it was applied. Refused (ExamError)
    once the attempt is submitted (``submitted``), at or after the deadline
    (``late``), with a token that is not the attempt's current one
    (``bad_token``), for a question not on this paper (``unknown_question``)
    or a response that does not fit the question (``bad_response``).

    ``seq`` is the answering page's sequence number for this save (strictly
    increasing per attempt): the save is applied only if it is larger than the
    one the stored answer was saved with, so a replayed or overtaken request
    never reverts a newer answer. Without ``seq`` (the submit form, which
    carries the page's last word) the save is applied unconditionally. The
    attempt row is locked while saving so a save and a submission never
    interleave."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Attempt.objects.select_for_update()
            .filter(pk=attempt.pk)
            .values("status", "token", "deadline", "layout")
            .first()
        )
        if row is None:
            raise ExamError(_("答卷不存在"), code="not_found")
        if row["status"] != Attempt.Status.IN_PROGRESS:
            raise ExamError(_("已交卷，不能再修改答案"), code="submitted")
        if not isinstance(token, str) or not hmac.compare_digest(row["token"].encode(), token.encode()):
            raise ExamError(_("答题页面已失效（可能在其他窗口继续了考试），请刷新页面后再作答"), code="bad_token")
        if now >= row["deadline"]:
            raise ExamError(_("考试时间已到，答案未保存"), code="late")
        qid = question_id if type(question_id) is int else None
        item = _layout_item(row["layout"], qid) if qid is not None else None
        if item is None:
            raise ExamError(_("题目不属于本答卷"), code="unknown_question")
        clean = response_clean(item, response)
        applied = _answer_upsert(attempt_id=attempt.pk, question_id=qid, response=clean, saved_at=now, seq=seq)
    return SaveResult(now, applied)


def _answer_upsert(
    *, attempt_id: int, question_id: int, response: list, saved_at: dt.datetime, seq: int | None
) -> bool:
    """One INSERT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24 and PostgreSQL): the
    row is written unless it already holds a save with a sequence number ≥
    ``seq``; True if written. The condition is in the statement itself, so
    two saves racing cannot both pass a check and then overwrite in the wrong
    order."""
    meta = AttemptAnswer._meta
    qn = connection.ops.quote_name
    field = meta.get_field
    table = qn(meta.db_table)
    columns = ["attempt", "question", "response", "saved_at", "seq"]
    values = [
        attempt_id,
        question_id,
        field("response").get_db_prep_save(response, connection),
        field("saved_at").get_db_prep_save(saved_at, connection),
        seq or 0,
    ]
    names = [qn(field(c).column) for c in columns]
    updated = names[2:] if seq is not None else names[2:4]
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({names[0]}, {names[1]}) DO UPDATE SET "
        + ", ".join(f"{n} = EXCLUDED.{n}" for n in updated)
    )
    if seq is not None:
        sql += f" WHERE {table}.{names[4]} < EXCLUDED.{names[4]}"
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


def _owns(actor, attempt: Attempt) -> bool:
    return getattr(actor, "pk", None) is not None and attempt.employee.user_id == actor.pk


def attempt_submit(attempt: Attempt, *, actor=None, auto: bool = False, now: dt.datetime | None = None) -> Attempt:
    """Submit and grade the attempt, exactly once: the first call claims it
    (in progress → submitted) and grades it; any later or concurrent call
    (double click, second tab, replayed request, the Celery task) returns the
    attempt as it already stands. A late submission is accepted, but only
    answers saved before the deadline count. ``actor`` (if given) must be the
    examinee or an exam manager of the enterprise."""
    now = now or timezone.now()
    if (
        actor is not None
        and not _owns(actor, attempt)
        and not can(actor, Capability.MANAGE_EXAMS, attempt.exam.enterprise_id)
    ):
        raise PermissionDenied(_("您无权提交他人的答卷"))
    with transaction.atomic():
        claimed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
            status=Attempt.Status.SUBMITTED, submitted_at=min(now, attempt.deadline), auto_submitted=auto
        )
        fresh = Attempt.objects.select_related("exam__paper", "employee").get(pk=attempt.pk)
        if claimed != 1:
            return fresh
        return attempt_grade(fresh, now=now)


def attempts_autosubmit_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Submit (and grade) every in-progress attempt whose deadline has passed;
    returns how many this call submitted. Safe to run twice or alongside
    examinees' own submissions (each submission is claimed once)."""
    now = now or timezone.now()
    due = list(
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    submitted = 0
    for pk in due:
        attempt = Attempt.objects.select_related("exam", "employee").get(pk=pk)
        try:
            result = attempt_submit(attempt, auto=True, now=now)
        except Exception:  # one broken attempt must not stop the others
            logger.exception("auto-submit of attempt %s failed", pk)
            continue
        if result.auto_submitted and result.status == Attempt.Status.GRADED:
            submitted += 1
    return submitted


@dataclass
class ExamEntry:
    """One exam on 我的考试: the exam, the employee sitting it, their attempts."""

    exam: Exam
    employee: Employee
    attempts: list = field(default_factory=list)
    now: dt.datetime = None

    @property
    def state(self) -> str:
        if self.now < self.exam.opens_at:
            return "upcoming"
        if self.now >= self.exam.closes_at:
            return "closed"
        return "open"

    @property
    def in_progress(self):
        return next((a for a in self.attempts if a.status == Attempt.Status.IN_PROGRESS), None)

    @property
    def best(self):
        graded = [a for a in self.attempts if a.status == Attempt.Status.GRADED and a.score is not None]
        return max(graded, key=lambda a: (percentage(a.score, a.max_score) or 0, -a.number), default=None)

    @property
    def best_percent(self):
        best = self.best
        return percentage(best.score, best.max_score) if best else None

    @property
    def passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def attempts_left(self) -> int:
        return max(0, self.exam.attempts_allowed - len(self.attempts))


def exams_for_user(user, *, now: dt.datetime | None = None, closed_days: int = 180) -> list[ExamEntry]:
    """The exams ``user`` is to sit, through each of their employee records:
    open and upcoming ones, and closed ones of the last ``closed_days`` or
    that they sat. A fixed number of queries, whatever the number of exams."""
    now = now or timezone.now()
    employees = list(Employee.objects.filter(user=user, status=Employee.Status.ACTIVE).select_related("enterprise"))
    if not employees:
        return []
    facts = {e.pk: audience_facts(e) for e in employees}
    by_enterprise = {e.enterprise_id: e for e in employees}
    exams = list(
        Exam.objects.filter(enterprise_id__in=by_enterprise, closes_at__gte=now - dt.timedelta(days=closed_days))
        .select_related("paper", "enterprise")
        .prefetch_related("paper__rules", "paper__fixed_questions")
        .order_by("closes_at", "pk")
    )
    attempts: dict[tuple[int, int], list] = {}
    for a in Attempt.objects.filter(employee__in=employees).order_by("number"):
        if a.status == Attempt.Status.IN_PROGRESS and a.is_late(now):
            # The check on the next request: an overdue attempt is submitted now,
            # so the page offers its result, not "continue".
            a = attempt_submit(a, auto=True, now=now)
        attempts.setdefault((a.exam_id, a.employee_id), []).append(a)
    entries = []
    for exam in exams:
        employee = by_enterprise[exam.enterprise_id]
        mine = attempts.get((exam.pk, employee.pk), [])
        if mine or audience_includes(exam, facts[employee.pk]):
            entries.append(ExamEntry(exam=exam, employee=employee, attempts=mine, now=now))
    order = {"open": 0, "upcoming": 1, "closed": 2}
    entries.sort(
        key=lambda e: (order[e.state], e.exam.closes_at if e.state != "closed" else -e.exam.closes_at.timestamp())
    )
    return entries
