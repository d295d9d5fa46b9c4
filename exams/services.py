"""The exam engine's front door: papers, exams, attempts, autosave,
submission and grading. Views, the API, admin viewsets and Celery tasks call
these; nothing else writes attempts.

Conventions this module promises:

- **Scores.** ``Attempt.score`` is the points earned out of the paper's total
  (``Attempt.max_score``). ``Exam.pass_score`` is on a 100-point scale: an
  attempt passes when its percentage — ``score × 100 / max_score`` rounded
  half-up to 0.1, the figure the examinee is shown — is at least the pass
  score. The training record written for a graded attempt carries that
  percentage as its score.
- **Answers.** ``AttemptAnswer.response`` holds the *original* option keys of
  the question (the examinee sends the letters shown on their paper, which
  the layout maps back), ``[true]``/``[false]`` for true/false, and one string
  per blank for fill-in.
- **Time.** The server's clock decides: every function takes ``now=`` (tests
  freeze time by passing it). An answer counts only if saved before the
  attempt's deadline (start + duration, capped by the exam window).
- **Answer keys** never leave this module before grading: the layout holds
  question ids, points, the question type, the shown→original option mapping
  and the number of blanks, nothing that tells a right answer from a wrong one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import random
import re
import secrets
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import combinations
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.models import Membership
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import can, enterprise_ids, log_user
from lms.jsonbody import text_problem
from lms.archive.models import AssessmentResult, RecordSource
from lms.archive.services import record_append
from lms.workforce.models import Employee, OrgUnit, Post, PostAssignment

from .models import Attempt, AttemptAnswer, Exam, Paper, PaperQuestion, PaperRule, Question, QuestionType

logger = logging.getLogger(__name__)

ONE_DECIMAL = Decimal("0.1")
# Multiple choice with partial credit: points per correct option chosen, if no wrong option is chosen.
PARTIAL_CREDIT_PER_OPTION = Decimal("0.5")
# Sections of a shuffled paper, in the order examinees expect (单选 → 多选 → 判断 → 填空).
TYPE_ORDER = {QuestionType.SINGLE: 0, QuestionType.MULTIPLE: 1, QuestionType.TRUE_FALSE: 2, QuestionType.FILL_BLANK: 3}
MAX_BLANK_CHARS = 200
# Enough for a 26-option question; option letters beyond Z are not supported.
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Subsets of rules examined to name the overlapping ones when a paper cannot be drawn.
MAX_RULES_FOR_OVERLAP_REPORT = 10

AUDIENCE_KEYS = ("roles", "posts", "units", "principals_and_safety_managers")


class ExamError(ValidationError):
    """An exam rule refused the action; the message is for the user and
    ``code`` says which rule (``late``, ``submitted``, ``bad_token`` …)."""


def _require_manager(actor, enterprise_id: int) -> None:
    """Exam managers of the enterprise (and the system, actor None) only."""
    if actor is not None and not can(actor, Capability.MANAGE_EXAMS, enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的考试"))


def _q1(value) -> Decimal:
    return Decimal(value).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def fmt_points(value) -> str:
    """2.0 → "2", 2.5 → "2.5" (for messages and record contents)."""
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def percentage(score: Decimal | None, max_score: Decimal | None) -> Decimal | None:
    """The score on a 100-point scale, rounded half-up to 0.1 (None if unknown)."""
    if score is None or not max_score:
        return None
    return _q1(Decimal(score) * 100 / Decimal(max_score))


# --- papers ------------------------------------------------------------------------------


def _rule_label(index: int, rule: PaperRule) -> str:
    parts = [QuestionType(rule.type).label]
    if rule.category_id:
        parts.append(_("分类“%(c)s”") % {"c": rule.category.path})
    if rule.difficulty:
        parts.append(_("难度“%(d)s”") % {"d": rule.get_difficulty_display()})
    return _("抽题规则 #%(n)s（%(what)s）") % {"n": index, "what": "，".join(str(p) for p in parts)}


def _rule_pool(rule: PaperRule) -> list[int]:
    """Ids of the current questions a rule may draw (category includes its subtree)."""
    qs = Question.objects.current().filter(bank_id=rule.bank_id, type=rule.type)
    if rule.category_id:
        qs = qs.filter(Q(category_id=rule.category_id) | Q(category__path__startswith=rule.category.path + "/"))
    if rule.difficulty:
        qs = qs.filter(difficulty=rule.difficulty)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _match(counts: list[int], pools: list[list[int]]) -> list[list[int]] | None:
    """Distinct questions for every rule: ``counts[i]`` from ``pools[i]``, or
    None if impossible. Augmenting paths (a bipartite b-matching), so overlapping
    rules are satisfied whenever any assignment exists. The pools' order decides
    which questions are picked first (shuffle them for a random draw)."""
    slot_rule = [i for i, count in enumerate(counts) for _n in range(count)]
    slot_q: dict[int, int] = {}
    q_slot: dict[int, int] = {}
    for start in range(len(slot_rule)):
        parent: dict[int, int] = {}
        queue, seen, found = deque([start]), {start}, None
        while queue and found is None:
            slot = queue.popleft()
            for q in pools[slot_rule[slot]]:
                if q in parent:
                    continue
                parent[q] = slot
                owner = q_slot.get(q)
                if owner is None:
                    found = q
                    break
                if owner not in seen:
                    seen.add(owner)
                    queue.append(owner)
        if found is None:
            return None
        q = found
        while True:
            slot = parent[q]
            previous = slot_q.get(slot)
            slot_q[slot], q_slot[q] = q, slot
            if slot == start:
                break
            q = previous
    drawn: list[list[int]] = [[] for _c in counts]
    for slot, rule_index in enumerate(slot_rule):
        drawn[rule_index].append(slot_q[slot])
    return drawn


def _overlap_problem(rules: list[PaperRule], pools: list[list[int]]) -> str:
    """Name the rules whose combined need exceeds the distinct questions they share."""
    n = len(rules)
    if n <= MAX_RULES_FOR_OVERLAP_REPORT:
        for size in range(2, n + 1):
            for combo in combinations(range(n), size):
                available = len(set().union(*(pools[i] for i in combo)))
                needed = sum(rules[i].count for i in combo)
                if available < needed:
                    return _(
                        "%(rules)s 的题目范围互相重叠：合计需要 %(need)s 道题，题库中符合条件的不同题目只有 %(have)s 道"
                    ) % {"rules": "、".join(f"#{i + 1}" for i in combo), "need": needed, "have": available}
    return _("各抽题规则的题目范围互相重叠，题库中没有足够的不同题目同时满足所有规则")


def paper_total(paper: Paper) -> Decimal:
    """The paper's full marks: fixed questions' points, or count × points per rule."""
    if paper.kind == Paper.Kind.FIXED:
        return sum((Decimal(pq.points) for pq in paper.fixed_questions.all()), Decimal(0))
    return sum((Decimal(r.points) * r.count for r in paper.rules.all()), Decimal(0))


def paper_question_count(paper: Paper) -> int:
    if paper.kind == Paper.Kind.FIXED:
        return len(paper.fixed_questions.all())
    return sum(r.count for r in paper.rules.all())


def paper_check(paper: Paper) -> Decimal:
    """Refuse (ExamError, every problem listed in Chinese) a paper that cannot
    be drawn: a rule asking for more questions than its bank has (naming the
    rule, how many it needs and how many the bank has), rules that overlap
    beyond what the bank can satisfy together, a bank or category of another
    enterprise, an empty paper or a paper worth 0 points. Returns the total."""
    problems: list[str] = []
    if paper.kind == Paper.Kind.FIXED:
        items = list(paper.fixed_questions.select_related("question__bank"))
        if not items:
            problems.append(_("固定试卷还没有题目，请先添加题目"))
        for pq in items:
            bank = pq.question.bank
            if bank.enterprise_id not in (None, paper.enterprise_id):
                problems.append(_("题目“%(q)s”属于其他企业的题库，不能使用") % {"q": pq.question.stem[:30]})
    else:
        rules = list(paper.rules.select_related("bank", "category").order_by("position", "pk"))
        if not rules:
            problems.append(_("随机试卷还没有抽题规则，请至少添加一条规则"))
        pools = []
        for index, rule in enumerate(rules, start=1):
            label = _rule_label(index, rule)
            if rule.bank.enterprise_id not in (None, paper.enterprise_id):
                problems.append(
                    _("%(rule)s：题库“%(bank)s”属于其他企业，不能使用") % {"rule": label, "bank": rule.bank}
                )
                pools.append([])
                continue
            if rule.category_id and rule.category.bank_id != rule.bank_id:
                problems.append(_("%(rule)s：分类不属于题库“%(bank)s”") % {"rule": label, "bank": rule.bank})
                pools.append([])
                continue
            pool = _rule_pool(rule)
            pools.append(pool)
            if len(pool) < rule.count:
                problems.append(
                    _("%(rule)s需要 %(need)s 道题，题库“%(bank)s”中符合条件的只有 %(have)s 道")
                    % {"rule": label, "need": rule.count, "bank": rule.bank, "have": len(pool)}
                )
        if rules and not problems and _match([r.count for r in rules], pools) is None:
            problems.append(_overlap_problem(rules, pools))
    total = paper_total(paper)
    if not problems and total <= 0:
        problems.append(_("试卷总分为 0，请设置每题分值"))
    if problems:
        raise ExamError(problems, code="paper_unsatisfiable")
    return total


@transaction.atomic
def paper_save(
    *,
    paper: Paper,
    fixed: Iterable[PaperQuestion],
    rules: Iterable[PaperRule],
    removed: Iterable[PaperQuestion | PaperRule] = (),
    actor,
) -> Paper:
    """Save a paper with its fixed questions and drawing rules (deleting the
    ``removed`` ones first), then check it with :func:`paper_check`; a paper
    that cannot be drawn is refused (ExamError) and nothing is saved."""
    if not can(actor, Capability.MANAGE_EXAMS, paper.enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的考试"))
    paper.full_clean()
    paper.save()
    for row in removed:
        row.delete()
    for row in [*fixed, *rules]:
        row.paper = paper
        row.save()
    paper_check(paper)
    return paper


def paper_draw(paper: Paper, rng: random.Random) -> list[dict]:
    """A fresh layout for one attempt: the questions (pinned versions), their
    points, type, the shown→original option order and the number of blanks.

    Random papers draw distinct current questions per rule; with
    ``shuffle_questions`` the questions are shuffled within type sections
    (单选, 多选, 判断, 填空); with ``shuffle_options`` the options of choice
    questions are shuffled. Raises ExamError if the bank no longer suffices."""
    picked: list[tuple[int, Decimal]] = []
    if paper.kind == Paper.Kind.FIXED:
        for pq in paper.fixed_questions.order_by("position", "pk"):
            picked.append((pq.question_id, Decimal(pq.points)))
    else:
        rules = list(paper.rules.select_related("category").order_by("position", "pk"))
        pools = []
        for rule in rules:
            pool = _rule_pool(rule)
            rng.shuffle(pool)
            pools.append(pool)
        drawn = _match([r.count for r in rules], pools)
        if drawn is None:
            paper_check(paper)  # names the rule that no longer fits
            raise ExamError(_("题库题目不足，无法组卷"), code="paper_unsatisfiable")
        for rule, ids in zip(rules, drawn, strict=True):
            picked.extend((qid, Decimal(rule.points)) for qid in ids)
    if not picked:
        raise ExamError(_("试卷没有题目，无法开始考试"), code="paper_unsatisfiable")
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=[qid for qid, _p in picked]).only("pk", "type", "options", "answer")
    }
    layout = []
    for qid, points in picked:
        q = questions[qid]
        item = {"q": qid, "points": f"{points:.1f}", "type": q.type}
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            keys = [str(o["key"]) for o in q.options]
            if paper.shuffle_options:
                rng.shuffle(keys)
            item["options"] = keys
        elif q.type == QuestionType.FILL_BLANK:
            item["blanks"] = max(1, len(q.answer or []))
        layout.append(item)
    if paper.shuffle_questions:
        rng.shuffle(layout)
        layout.sort(key=lambda item: TYPE_ORDER.get(item["type"], 9))
    return layout


# --- exams and their audience -------------------------------------------------------------


def audience_clean(enterprise_id: int, audience) -> dict:
    """The audience with known keys only, codes that exist in the enterprise,
    and at least one group. Raises ExamError({"audience": …})."""
    if audience in (None, ""):
        audience = {}
    if not isinstance(audience, dict):
        raise ExamError({"audience": _("考试对象格式不正确")})
    unknown = set(audience) - set(AUDIENCE_KEYS)
    if unknown:
        raise ExamError({"audience": _("考试对象中有无法识别的项：%(keys)s") % {"keys": "、".join(sorted(unknown))}})
    clean: dict = {}
    problems = []
    for key in ("roles", "posts", "units"):
        values = audience.get(key) or []
        if isinstance(values, str):
            values = [v for v in re.split(r"[\s,，、;；]+", values) if v]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(_("考试对象的“%(key)s”应为编码列表") % {"key": key})
            continue
        values = sorted(set(v.strip() for v in values if v.strip()))
        if not values:
            continue
        if key == "roles":
            known = set(Role.values)
        elif key == "posts":
            known = set(
                Post.objects.filter(enterprise_id=enterprise_id, code__in=values).values_list("code", flat=True)
            )
        else:
            known = set(
                OrgUnit.objects.filter(enterprise_id=enterprise_id, code__in=values).values_list("code", flat=True)
            )
        missing = [v for v in values if v not in known]
        if missing:
            what = {"roles": _("角色"), "posts": _("岗位编码"), "units": _("单位编码")}[key]
            problems.append(_("考试对象中的%(what)s不存在：%(codes)s") % {"what": what, "codes": "、".join(missing)})
        clean[key] = values
    if audience.get("principals_and_safety_managers"):
        clean["principals_and_safety_managers"] = True
    if problems:
        raise ExamError({"audience": problems})
    if not clean:
        raise ExamError({"audience": _("请至少选择一类考试对象（角色、岗位、单位或全体主要负责人和安全管理人员）")})
    return clean


def exam_audience(exam: Exam) -> QuerySet:
    """The active employees of the exam's enterprise who are to sit it: people
    holding one of the audience roles there (Membership), working one of the
    posts today (current assignments), in one of the units or below them
    (company → workshop → team), and — with ``principals_and_safety_managers`` —
    everyone flagged or holding the role of principal or safety manager."""
    audience = exam.audience or {}
    ent = exam.enterprise_id
    condition = Q(pk__in=[])
    roles = list(audience.get("roles") or [])
    if audience.get("principals_and_safety_managers"):
        condition |= Q(is_principal=True) | Q(is_safety_manager=True)
        roles += [Role.PRINCIPAL, Role.SAFETY_MANAGER]
    if roles:
        members = Membership.objects.filter(enterprise_id=ent, role__in=roles, is_active=True).values("user_id")
        condition |= Q(user_id__in=members)
    posts = audience.get("posts") or []
    if posts:
        today = timezone.localdate()
        working = (
            PostAssignment.objects.filter(post__enterprise_id=ent, post__code__in=posts, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values("employee_id")
        )
        condition |= Q(pk__in=working)
    units = audience.get("units") or []
    if units:
        condition |= Q(org_unit__code__in=units) | Q(org_unit__parent__code__in=units)
        condition |= Q(org_unit__parent__parent__code__in=units)
    return Employee.objects.filter(enterprise_id=ent, status=Employee.Status.ACTIVE).filter(condition)


@dataclass(frozen=True)
class AudienceFacts:
    """What decides whether one employee is in an exam's audience, loaded once
    (so a list of exams needs no query per exam)."""

    enterprise_id: int
    active: bool
    flagged: bool
    roles: frozenset = field(default_factory=frozenset)
    posts: frozenset = field(default_factory=frozenset)
    units: frozenset = field(default_factory=frozenset)


def audience_facts(employee: Employee) -> AudienceFacts:
    """The facts :func:`audience_includes` needs about ``employee`` (3 queries)."""
    roles = (
        frozenset(
            Membership.objects.filter(
                user_id=employee.user_id, enterprise_id=employee.enterprise_id, is_active=True
            ).values_list("role", flat=True)
        )
        if employee.user_id
        else frozenset()
    )
    posts = frozenset(employee.current_assignments().values_list("post__code", flat=True))
    units = set()
    if employee.org_unit_id:
        unit = OrgUnit.objects.select_related("parent__parent").get(pk=employee.org_unit_id)
        units = {u.code for u in unit.ancestors()}
    return AudienceFacts(
        enterprise_id=employee.enterprise_id,
        active=employee.status == Employee.Status.ACTIVE,
        flagged=employee.is_principal or employee.is_safety_manager,
        roles=roles,
        posts=posts,
        units=frozenset(units),
    )


def audience_includes(exam: Exam, facts: AudienceFacts) -> bool:
    """The same answer as ``exam_audience(exam).filter(pk=…).exists()``, from facts."""
    if exam.enterprise_id != facts.enterprise_id or not facts.active:
        return False
    audience = exam.audience or {}
    roles = set(audience.get("roles") or [])
    if audience.get("principals_and_safety_managers"):
        if facts.flagged:
            return True
        roles |= {Role.PRINCIPAL, Role.SAFETY_MANAGER}
    return bool(
        roles & facts.roles
        or set(audience.get("posts") or []) & facts.posts
        or set(audience.get("units") or []) & facts.units
    )


def _exam_validate(exam: Exam) -> None:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if not (exam.title or "").strip():
        add("title", _("请填写考试名称"))
    if exam.opens_at and exam.closes_at:
        if exam.closes_at <= exam.opens_at:
            add("closes_at", _("结束时间必须晚于开始时间"))
        elif exam.duration_minutes:
            window = int((exam.closes_at - exam.opens_at).total_seconds() // 60)
            if exam.duration_minutes > window:
                add(
                    "duration_minutes",
                    _("考试时长（%(d)s 分钟）超过了考试开放时间（%(w)s 分钟）")
                    % {"d": exam.duration_minutes, "w": window},
                )
    if exam.duration_minutes is None or exam.duration_minutes < 1:
        add("duration_minutes", _("考试时长至少 1 分钟"))
    if exam.pass_score is None or not (Decimal(0) < Decimal(exam.pass_score) <= Decimal(100)):
        add("pass_score", _("及格分按百分制填写，应大于 0 且不超过 100"))
    if exam.attempts_allowed is None or exam.attempts_allowed < 1:
        add("attempts_allowed", _("允许考试次数至少为 1"))
    if exam.paper_id and exam.paper.enterprise_id != exam.enterprise_id:
        add("paper", _("试卷必须属于本企业"))
    elif exam.paper_id:
        try:
            paper_check(exam.paper)
        except ValidationError as exc:
            for message in exc.messages:
                add("paper", message)
    if exam.record_post_id and exam.record_post.enterprise_id != exam.enterprise_id:
        add("record_post", _("针对岗位必须属于本企业"))
    try:
        exam.audience = audience_clean(exam.enterprise_id, exam.audience)
    except ValidationError as exc:
        for message in exc.message_dict.get("audience", exc.messages):
            add("audience", message)
    if errors:
        raise ExamError(errors)
    exam.full_clean()


EXAM_FIELDS = (
    "paper",
    "title",
    "opens_at",
    "closes_at",
    "duration_minutes",
    "pass_score",
    "attempts_allowed",
    "review_policy",
    "audience",
    "record_kind",
    "record_level",
    "record_post",
)


@transaction.atomic
def exam_create(*, enterprise, actor, **fields) -> Exam:
    """Schedule an exam (fields: EXAM_FIELDS). Refuses a window that ends
    before it opens, a duration longer than the window, a pass score outside
    (0, 100], a paper that cannot be drawn, an empty or unknown audience."""
    _require_manager(actor, enterprise.pk)
    unknown = set(fields) - set(EXAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    exam = Exam(enterprise=enterprise, **fields)
    _exam_validate(exam)
    exam.save()
    log(exam, "wagtail.create", user=log_user(actor))
    return exam


@transaction.atomic
def exam_update(*, exam: Exam, actor, **fields) -> Exam:
    """Change an exam (fields: EXAM_FIELDS), validated as in :func:`exam_create`.
    Once anyone has started it, its paper can no longer be swapped."""
    _require_manager(actor, exam.enterprise_id)
    unknown = set(fields) - set(EXAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown exam fields: {sorted(unknown)}")
    paper = fields.get("paper")
    if paper is not None and paper.pk != exam.paper_id and exam.attempts.exists():
        raise ExamError({"paper": _("已有人参加本场考试，不能更换试卷")})
    for name, value in fields.items():
        setattr(exam, name, value)
    _exam_validate(exam)
    exam.save()
    log(exam, "wagtail.edit", user=log_user(actor))
    return exam


# --- attempts -------------------------------------------------------------------------------


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


# --- grading -------------------------------------------------------------------------------------

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


# --- offline (paper) exams ---------------------------------------------------------------------


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


# --- who may read answer keys ------------------------------------------------------------------


def sitting_an_exam(user, *, now: dt.datetime | None = None) -> bool:
    """``user`` has an attempt in progress (before its deadline) in any enterprise."""
    if getattr(user, "pk", None) is None:
        return False
    now = now or timezone.now()
    return Attempt.objects.filter(
        employee__user_id=user.pk, status=Attempt.Status.IN_PROGRESS, deadline__gt=now
    ).exists()


def keys_visible(user, enterprise_id: int | None, *, now: dt.datetime | None = None) -> bool:
    """May the back office show ``user`` answer keys, explanations and per-question
    marks of a bank or exam of ``enterprise_id`` (None: a platform bank)?

    Only the people who build exams — exam managers of that enterprise (for a
    platform bank: of any enterprise) and platform superusers — and never while
    they are sitting an exam themselves. Principals and safety managers are
    back-office users *and* the audience of the annual exam: without this rule
    an examinee could read the key of their own paper in another tab."""
    if getattr(user, "pk", None) is None:
        return False
    ents = enterprise_ids(user, Capability.MANAGE_EXAMS)
    if ents is not None and not (ents if enterprise_id is None else enterprise_id in ents):
        return False
    return not sitting_an_exam(user, now=now)


# --- reading helpers for the examinee pages -----------------------------------------------------


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


def review_available(attempt: Attempt, *, now: dt.datetime | None = None) -> bool:
    """Answers and explanations may be shown to the examinee: only for a graded
    online attempt of an exam whose policy shows answers, after the window closed."""
    now = now or timezone.now()
    return (
        attempt.status == Attempt.Status.GRADED
        and not attempt.offline
        and attempt.exam.review_policy == Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE
        and now >= attempt.exam.closes_at
    )


# The question services (banks, versions, import/export) live in their own
# module and are re-exported here: this module stays the app's one front door.
try:
    from .question_services import *  # noqa: E402,F401,F403
except ModuleNotFoundError as exc:  # pragma: no cover - until that module exists
    if exc.name != "exams.question_services":
        raise
