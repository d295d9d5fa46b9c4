"""Shared by the exams back-office tests: people, a bank of A with a used
question, a platform bank, a fixed paper, an exam with graded attempts."""

import json
import re

import pytest
from django.urls import reverse

from exams import services
from exams.models import Question
from lms.accounts.roles import Role
from tests.conftest import _privileged
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, enable_totp

from .engine_helpers import at, bank, exam, fixed_paper, multiple, right_answer, single, true_false, wrong_answer


@pytest.fixture
def sam(ent_a):
    """Safety manager of A: builds A's banks, papers and exams."""
    user = UserFactory(email="sam@example.com", full_name="萨姆")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.SAFETY_MANAGER)
    return user


@pytest.fixture
def tina(ent_a):
    """Trainer of A: enters paper results."""
    user = UserFactory(email="tina@example.com", full_name="蒂娜")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.TRAINER)
    return user


@pytest.fixture
def sue(ent_b):
    """Safety manager of B: an exam manager, of the other enterprise."""
    user = UserFactory(email="sue@example.com", full_name="苏")
    MembershipFactory(user=user, enterprise=ent_b, role=Role.SAFETY_MANAGER)
    return user


@pytest.fixture
def dora(ent_a):
    """Enterprise admin of A."""
    return _privileged(ent_a, Role.ENTERPRISE_ADMIN, "dora@example.com")


@pytest.fixture
def root(db):
    user = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    enable_totp(user)
    return user


@pytest.fixture
def world(ent_a, ent_b, tree_a):
    """A's bank (three questions), a platform bank (one question), B's bank,
    A's fixed paper and exam (audience: principals and safety managers) with
    two graded attempts (one pass, one fail) and one principal who has not sat it."""
    bank_a = bank(ent_a, "华兴化工题库")
    q_single = single(bank_a, stem="发现有人触电，首先应当？", explanation="解析：先断电。")
    q_multi = multiple(bank_a, stem="动火作业前必须做到哪些？")
    q_tf = true_false(bank_a, stem="特种作业人员必须持证上岗。")
    platform = bank(None, "平台通用安全题库")
    q_platform = single(platform, stem="安全生产法自何时起施行？（平台题）")
    bank_b = bank(ent_b, "东方机械题库")
    paper = fixed_paper(ent_a, [(q_single, 40), (q_multi, 30), (q_tf, 30)], name="华兴年度试卷")
    ex = exam(ent_a, paper, title="华兴 2026 年度安全考试", attempts_allowed=2)
    people = [
        EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name=name, employee_no=no, is_principal=True)
        for name, no in (("赵一", "A101"), ("钱二", "A102"), ("孙三", "A103"))
    ]
    attempts = [sit(ex, people[0], correct=True), sit(ex, people[1], correct=False)]
    return {
        "bank": bank_a,
        "questions": [q_single, q_multi, q_tf],
        "platform": platform,
        "platform_question": q_platform,
        "bank_b": bank_b,
        "paper": paper,
        "exam": ex,
        "people": people,
        "attempts": attempts,
    }


def sit(ex, employee, *, correct=True, hour=10):
    """Start, answer every question (right or wrong) and submit: a graded attempt."""
    attempt = services.attempt_start(ex, employee, now=at(hour))
    questions = Question.objects.in_bulk([item["q"] for item in attempt.layout])
    for item in attempt.layout:
        q = questions[item["q"]]
        response = right_answer(item, q) if correct else wrong_answer(item, q)
        services.attempt_save_answer(attempt, attempt.token, q.pk, response, now=at(hour, 5))
    return services.attempt_submit(attempt, now=at(hour, 10))


def url(namespace, view, obj=None):
    return reverse(f"{namespace}:{view}", args=(obj.pk,) if obj is not None else ())


def menu_labels(page: str) -> str:
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)
    return json.dumps(json.loads(props.group(1)), ensure_ascii=False)
