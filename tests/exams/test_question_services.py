"""Bank, category and question services: who may write, the question rules,
duplicates, and versioning once an attempt has shown a question."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from exams.models import Attempt, AttemptAnswer, Exam, Paper, Question, QuestionBank, QuestionCategory
from exams.question_services import (
    QuestionError,
    bank_create,
    can_edit_bank,
    category_for_path,
    editable_banks,
    question_create,
    question_fingerprint,
    question_in_use,
    question_update,
)
from tests.factories import UserFactory

from .question_helpers import bank_a, bank_b, sam, sue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

OPTIONS = [{"key": "A", "text": "切断电源"}, {"key": "B", "text": "拨打 120"}, {"key": "C", "text": "用手拉开"}]


def make(bank, stem="发现有人触电，首先应当？", **kwargs):
    values = {"type": "single", "options": OPTIONS, "answer": ["A"], "actor": None, **kwargs}
    return question_create(bank=bank, stem=stem, **values)


def attempt_for(question, employee, layout=None):
    paper = Paper.objects.create(enterprise=employee.enterprise, name="年度考试卷", kind=Paper.Kind.FIXED)
    now = timezone.now()
    exam = Exam.objects.create(
        enterprise=employee.enterprise,
        paper=paper,
        title="年度安全考试",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(hours=1),
        duration_minutes=30,
    )
    return Attempt.objects.create(
        exam=exam,
        employee=employee,
        deadline=now + dt.timedelta(minutes=30),
        layout=layout if layout is not None else [{"q": question.pk, "points": "2.0", "options": ["B", "A", "C"]}],
    )


# --- banks -------------------------------------------------------------------------------


def test_exam_editors_create_banks_of_their_enterprise_only(ent_a, ent_b, sam):
    bank = bank_create(enterprise=ent_a, name="危化品题库", actor=sam)
    assert bank.enterprise == ent_a

    with pytest.raises(PermissionDenied):
        bank_create(enterprise=ent_b, name="别家题库", actor=sam)
    with pytest.raises(QuestionError) as exc:
        bank_create(enterprise=ent_a, name="危化品题库", actor=sam)
    assert "已有同名题库" in str(exc.value)


def test_platform_banks_are_written_only_by_superusers(sam):
    with pytest.raises(PermissionDenied) as exc:
        bank_create(enterprise=None, name="平台题库", actor=sam)
    assert "平台管理员" in str(exc.value)

    root = UserFactory(is_superuser=True, is_staff=True)
    bank = bank_create(enterprise=None, name="平台题库", actor=root)
    assert bank.enterprise is None and can_edit_bank(root, bank) and not can_edit_bank(sam, bank)


def test_editable_banks_are_scoped_to_the_editors_enterprise(bank_a, bank_b, sam, sue, alice, bob):
    platform = bank_create(enterprise=None, name="平台题库", actor=None)
    root = UserFactory(is_superuser=True, is_staff=True)

    assert list(editable_banks(sam)) == [bank_a]
    assert list(editable_banks(sue)) == [bank_b]
    assert not editable_banks(alice).exists()  # HR reads banks but does not write them
    assert not editable_banks(bob).exists()
    assert set(editable_banks(root)) == {bank_a, bank_b, platform}


# --- categories --------------------------------------------------------------------------


def test_category_for_path_gets_or_creates_the_whole_chain(bank_a, bank_b):
    leaf = category_for_path(bank_a, "通用知识/危险化学品/储存")
    assert leaf.path == "通用知识/危险化学品/储存"
    assert leaf.parent.path == "通用知识/危险化学品" and leaf.parent.parent.parent is None

    again = category_for_path(bank_a, " 通用知识 ＞ 危险化学品 > 储存 ")
    assert again == leaf
    sibling = category_for_path(bank_a, ["通用知识", "危险化学品", "运输"])
    assert sibling.parent == leaf.parent
    assert QuestionCategory.objects.filter(bank=bank_a).count() == 4
    assert category_for_path(bank_a, "") is None
    assert category_for_path(bank_b, "通用知识").bank == bank_b


# --- creating questions ------------------------------------------------------------------


def test_question_create_stores_a_current_first_version_with_its_fingerprint(bank_a, sam):
    category = category_for_path(bank_a, "用电安全")
    question = make(bank_a, actor=sam, category=category, explanation="先断电。", difficulty=1, tags="触电")

    question.refresh_from_db()
    assert (question.version, question.is_current, question.previous) == (1, True, None)
    assert question.fingerprint == question_fingerprint("single", question.stem, OPTIONS)
    assert question.category == category


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stem": " "}, "题干不能为空"),
        ({"answer": ["D"]}, "答案 D 没有对应的选项"),
        ({"answer": ["A", "B"]}, "单选题只能有一个答案"),
        ({"options": OPTIONS[:1]}, "选择题至少需要 2 个选项"),
        ({"type": "true_false", "answer": ["对"]}, "判断题"),
        ({"type": "fill_blank", "options": [], "answer": [[]]}, "填空题没有答案"),
        ({"type": "fill_blank", "options": [], "answer": [["甲"], [" "]]}, "第 2 空没有答案"),
        ({"type": "essay"}, "未知题型"),
        ({"difficulty": 5}, "难度应为"),
    ],
)
def test_question_create_refuses_what_breaks_the_rules(bank_a, changes, message):
    with pytest.raises(QuestionError) as exc:
        make(bank_a, **changes)
    assert message in str(exc.value)
    assert not Question.objects.exists()


def test_the_fingerprint_ignores_spaces_case_width_and_option_order():
    base = question_fingerprint("single", "Which PPE？", [{"key": "A", "text": "Helmet"}, {"key": "B", "text": "手套"}])
    assert base == question_fingerprint(
        "single", " which  ppe? ", [{"key": "A", "text": "手套"}, {"key": "B", "text": "ＨＥＬＭＥＴ"}]
    )
    assert base != question_fingerprint(
        "multiple", "Which PPE？", [{"key": "A", "text": "Helmet"}, {"key": "B", "text": "手套"}]
    )
    assert base != question_fingerprint(
        "single", "Which PPE？", [{"key": "A", "text": "Helmet"}, {"key": "B", "text": "鞋"}]
    )


def test_a_bank_cannot_hold_the_same_current_question_twice(bank_a, bank_b):
    make(bank_a)
    with pytest.raises(QuestionError) as exc:
        make(bank_a, stem="发现有人触电，首先应当? ", answer=["B"])
    assert "题库中已有相同题目" in str(exc.value)
    make(bank_b)  # another bank may
    assert Question.objects.count() == 2


def test_outsiders_cannot_write_questions(bank_a, charlie, sue, alice):
    for user in (charlie, sue, alice):
        with pytest.raises(PermissionDenied):
            make(bank_a, actor=user)
    question = make(bank_a)
    with pytest.raises(PermissionDenied):
        question_update(question=question, actor=sue, stem="改掉？")
    question.refresh_from_db()
    assert question.stem == "发现有人触电，首先应当？"


# --- editing and versions ----------------------------------------------------------------


def test_an_unused_question_is_edited_in_place(bank_a, sam):
    question = make(bank_a)
    updated = question_update(question=question, actor=sam, stem="发现有人触电，第一步应当？", explanation="断电")

    assert updated.pk == question.pk and updated.version == 1 and updated.is_current
    assert updated.fingerprint == question_fingerprint("single", "发现有人触电，第一步应当？", OPTIONS)
    assert Question.objects.count() == 1


def test_editing_a_question_an_attempt_answered_makes_a_new_version(bank_a, bob, sam):
    question = make(bank_a)
    attempt = attempt_for(question, bob.employee)
    AttemptAnswer.objects.create(attempt=attempt, question=question, response=["B"])

    new = question_update(question=question, actor=sam, answer=["B"], explanation="应先拨打急救电话？不，先断电。")

    question.refresh_from_db()
    assert new.pk != question.pk
    assert (new.version, new.previous, new.is_current, new.answer) == (2, question, True, ["B"])
    assert (question.is_current, question.answer) == (False, ["A"])  # the attempt keeps what it showed
    assert AttemptAnswer.objects.get(attempt=attempt).question == question
    assert list(Question.objects.current().filter(bank=bank_a)) == [new]


def test_a_question_only_in_an_attempts_layout_is_also_versioned(bank_a, bob, sam):
    question = make(bank_a)
    other = make(bank_a, stem="另一道题？")
    attempt_for(
        question, bob.employee, layout=[{"q": other.pk + 1000, "points": "1"}, {"q": question.pk, "points": "1"}]
    )

    assert question_in_use(question) and not question_in_use(other)
    new = question_update(question=question, actor=sam, stem="发现有人触电，第一步应当？")
    assert new.version == 2 and new.previous == question
    same = question_update(question=other, actor=sam, explanation="就地修改")
    assert same.pk == other.pk and same.version == 1


def test_an_old_version_cannot_be_edited_and_a_new_version_keeps_uniqueness(bank_a, bob, sam):
    question = make(bank_a)
    make(bank_a, stem="另一道题？")
    attempt_for(question, bob.employee)
    new = question_update(question=question, actor=sam, explanation="v2")

    stale = Question.objects.get(pk=question.pk)
    with pytest.raises(QuestionError) as exc:
        question_update(question=stale, actor=sam, explanation="v3")
    assert "当前版本" in str(exc.value)
    with pytest.raises(QuestionError) as exc:
        question_update(question=new, actor=sam, stem="另一道题？")
    assert "题库中已有相同题目" in str(exc.value)
    # The old version does not count as a duplicate of the new one; no attempt
    # has shown the new version yet, so it is edited in place.
    again = question_update(question=new, actor=sam, explanation="v3")
    assert (again.pk, again.version, again.explanation) == (new.pk, 2, "v3")


def test_banks_are_unique_per_enterprise_not_globally(ent_a, ent_b):
    bank_create(enterprise=ent_a, name="通用题库", actor=None)
    bank_create(enterprise=ent_b, name="通用题库", actor=None)
    bank_create(enterprise=None, name="通用题库", actor=None)
    assert QuestionBank.objects.filter(name="通用题库").count() == 3
