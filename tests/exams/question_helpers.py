"""Shared by the question-bank tests: people who may edit banks, banks, and
builders for question spreadsheets."""

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from exams.question_services import bank_create
from lms.accounts.roles import Role
from tests.factories import MembershipFactory, UserFactory

# shared/ sits beside the project checkout (on developer machines and in CI).
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "moodle"
MOODLE_FIXTURE = f"{FIXTURES}/nested_categories_with_questions.xml"
GIFT_FIXTURE = f"{FIXTURES}/questions.gift.txt"

HEADERS = ["题型*", "题干*", "选项A", "选项B", "选项C", "选项D", "答案*", "解析", "难度", "分类"]


@pytest.fixture
def sam(ent_a):
    """Safety manager of A: may edit A's question banks."""
    user = UserFactory(email="sam@example.com", full_name="萨姆")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.SAFETY_MANAGER)
    return user


@pytest.fixture
def sue(ent_b):
    """Safety manager of B: an exam editor, but of another enterprise."""
    user = UserFactory(email="sue@example.com", full_name="苏")
    MembershipFactory(user=user, enterprise=ent_b, role=Role.SAFETY_MANAGER)
    return user


@pytest.fixture
def bank_a(ent_a):
    return bank_create(enterprise=ent_a, name="安全生产通用题库", actor=None)


@pytest.fixture
def bank_b(ent_b):
    return bank_create(enterprise=ent_b, name="机械安全题库", actor=None)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    """An .xlsx whose first sheet has ``headers`` and ``rows`` (lists of cells; None = empty)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def q(
    type_="单选题",
    stem="发现有人触电，首先应当？",
    a="切断电源",
    b="拨打 120",
    c="用手拉开",
    d=None,
    answer="A",
    explanation=None,
    difficulty=None,
    category=None,
):
    """One row in HEADERS order."""
    return [type_, stem, a, b, c, d, answer, explanation, difficulty, category]
