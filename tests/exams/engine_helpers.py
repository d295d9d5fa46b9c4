"""Builders for the exam-engine tests: a bank with questions of every type,
fixed and rule-drawn papers, exams, a principal, and a clock to freeze."""

import datetime as dt
import hashlib
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from exams import services
from exams.models import Exam, Paper, PaperQuestion, PaperRule, Question, QuestionBank, QuestionCategory, QuestionType
from lms.accounts.roles import Role
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

# The exam window of most tests: 2026-03-02 09:00–17:00 Beijing time.
OPENS = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
CLOSES = timezone.make_aware(dt.datetime(2026, 3, 2, 17, 0))


def at(hour: int, minute: int = 0, second: int = 0, day: int = 2) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour, minute, second))


@contextmanager
def frozen(moment: dt.datetime):
    """Freeze django.utils.timezone.now (views and model methods read it)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment


def bank(enterprise, name="安全生产通用题库") -> QuestionBank:
    return QuestionBank.objects.create(enterprise=enterprise, name=name)


def category(bank_, name, parent=None) -> QuestionCategory:
    return QuestionCategory.objects.create(bank=bank_, name=name, parent=parent)


def question(bank_, type_, stem, *, options=(), answer, explanation="", category=None, difficulty=2) -> Question:
    """A current question row (test data; production goes through the question services)."""
    opts = [{"key": k, "text": t} for k, t in options]
    return Question.objects.create(
        bank=bank_,
        category=category,
        type=type_,
        stem=stem,
        options=opts,
        answer=answer,
        explanation=explanation,
        difficulty=difficulty,
        fingerprint=hashlib.sha256(f"{type_}|{stem}".encode()).hexdigest(),
    )


def single(bank_, stem="发现有人触电，首先应当？", answer="A", **kw) -> Question:
    return question(
        bank_,
        QuestionType.SINGLE,
        stem,
        options=[("A", "切断电源"), ("B", "用手拉开触电者"), ("C", "拨打 120 后等待"), ("D", "泼水降温")],
        answer=[answer],
        **kw,
    )


def multiple(bank_, stem="动火作业前必须做到哪些？", answer=("A", "B", "D"), **kw) -> Question:
    return question(
        bank_,
        QuestionType.MULTIPLE,
        stem,
        options=[("A", "办理动火作业许可证"), ("B", "清除周围可燃物"), ("C", "关闭消防设施"), ("D", "配备灭火器材")],
        answer=list(answer),
        **kw,
    )


def true_false(bank_, stem="特种作业人员必须持证上岗。", answer=True, **kw) -> Question:
    return question(bank_, QuestionType.TRUE_FALSE, stem, answer=[answer], **kw)


def fill(bank_, stem="安全生产方针是安全第一、（ ）为主、综合治理。", answer=(("预防",),), **kw) -> Question:
    return question(bank_, QuestionType.FILL_BLANK, stem, answer=[list(a) for a in answer], **kw)


def fixed_paper(enterprise, questions_with_points, *, shuffle=True, partial=False, name="年度安全考试卷") -> Paper:
    paper = Paper.objects.create(
        enterprise=enterprise,
        name=name,
        kind=Paper.Kind.FIXED,
        shuffle_questions=shuffle,
        shuffle_options=shuffle,
        multiple_partial_credit=partial,
    )
    for position, (q, points) in enumerate(questions_with_points):
        PaperQuestion.objects.create(paper=paper, question=q, points=Decimal(str(points)), position=position)
    return paper


def rule_paper(enterprise, rules, name="随机抽题卷") -> Paper:
    """``rules``: dicts of PaperRule fields (bank, type, count, points, category, difficulty)."""
    paper = Paper.objects.create(enterprise=enterprise, name=name, kind=Paper.Kind.RANDOM)
    for position, rule in enumerate(rules):
        PaperRule.objects.create(paper=paper, position=position, **{"points": Decimal("2"), **rule})
    return paper


def exam(enterprise, paper, **fields) -> Exam:
    values = {
        "title": "2026 年度主要负责人安全生产知识考试",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "duration_minutes": 60,
        "audience": {"principals_and_safety_managers": True},
        "record_kind": "principal",
    }
    values.update(fields)
    return services.exam_create(enterprise=enterprise, actor=None, paper=paper, **values)


def make_principal(enterprise, unit=None, email="pat@example.com", name="潘主任"):
    """A principal: Employee flagged is_principal, Membership role principal (no MFA needed)."""
    user = UserFactory(email=email, full_name=name)
    MembershipFactory(user=user, enterprise=enterprise, role=Role.PRINCIPAL)
    user.employee = EmployeeFactory(enterprise=enterprise, user=user, name=name, org_unit=unit, is_principal=True)
    return user


@pytest.fixture
def principal(ent_a, tree_a):
    return make_principal(ent_a, tree_a[0])


@pytest.fixture
def bank_a(ent_a):
    return bank(ent_a)


@pytest.fixture
def four_types(bank_a):
    """One question of each type: single (A), multiple (A, B, D), true/false (true), fill (预防)."""
    return {
        "single": single(bank_a, explanation="解析：先断电，防止施救者触电。"),
        "multiple": multiple(bank_a, explanation="解析：动火前须办证、清除可燃物、备好灭火器材。"),
        "true_false": true_false(bank_a, explanation="解析：《安全生产法》规定特种作业人员持证上岗。"),
        "fill": fill(bank_a, explanation="解析：十二字方针。"),
    }


def right_answer(item: dict, q: Question):
    """What an examinee who knows the answer sends for a layout item (shown letters)."""
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return [services.LETTERS[item["options"].index(k)] for k in q.answer]
    if q.type == QuestionType.TRUE_FALSE:
        return [bool(q.answer[0])]
    return [alternatives[0] for alternatives in q.answer]


def wrong_answer(item: dict, q: Question):
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        wrong = [k for k in item["options"] if k not in q.answer]
        return [services.LETTERS[item["options"].index(wrong[0])]]
    if q.type == QuestionType.TRUE_FALSE:
        return [not q.answer[0]]
    return ["不知道"] * len(q.answer)


def answer_all(attempt, *, correct=True, now=None, skip=()):
    """Save an answer to every question of the attempt (right or wrong)."""
    questions = Question.objects.in_bulk([i["q"] for i in attempt.layout])
    for item in attempt.layout:
        q = questions[item["q"]]
        if q.pk in skip:
            continue
        response = right_answer(item, q) if correct else wrong_answer(item, q)
        services.attempt_save_answer(attempt, attempt.token, q.pk, response, now=now)
