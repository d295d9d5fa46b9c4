"""Grading of every question type: single and multiple choice (all or
nothing, or partial credit), true/false, fill-in with normalisation and
alternative answers; shuffled letters graded against the original keys."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import random
from decimal import Decimal

import pytest

from exams import services
from exams.models import AttemptAnswer, Question, QuestionType

from .engine_helpers import (  # noqa: F401  (fixtures)
    answer_all,
    at,
    bank_a,
    exam,
    fill,
    fixed_paper,
    four_types,
    multiple,
    principal,
    single,
    true_false,
)

pytestmark = pytest.mark.django_db
D = Decimal


def q(type_, answer, options=("A", "B", "C", "D")):
    """An unsaved question: grading needs only type and answer."""
    return Question(type=type_, answer=answer, options=[{"key": k, "text": k} for k in options])


@pytest.mark.parametrize(
    "response, points",
    [(["B"], D(2)), (["A"], D(0)), ([], D(0)), (["B", "A"], D(0))],
)
def test_single_choice_is_all_or_nothing(response, points):
    assert services.grade_response(q(QuestionType.SINGLE, ["B"]), response, D(2)) == points


@pytest.mark.parametrize(
    "response, strict, partial",
    [
        (["A", "C", "D"], D(3), D(3)),  # all correct options
        (["D", "A", "C"], D(3), D(3)),  # order does not matter
        (["A", "C"], D(0), D("1.0")),  # 2 correct, none wrong: 0.5 each
        (["A"], D(0), D("0.5")),
        (["A", "B"], D(0), D(0)),  # a wrong option: nothing
        (["A", "B", "C", "D"], D(0), D(0)),
        ([], D(0), D(0)),
    ],
)
@pytest.mark.rule("exam.multiple_choice")
def test_multiple_choice_all_or_nothing_by_default_partial_credit_when_configured(response, strict, partial):
    question = q(QuestionType.MULTIPLE, ["A", "C", "D"])
    assert services.grade_response(question, response, D(3)) == strict
    assert services.grade_response(question, response, D(3), partial_credit=True) == partial


def test_partial_credit_never_exceeds_the_question_points():
    question = q(QuestionType.MULTIPLE, ["A", "B", "C", "D", "E"], options="ABCDEF")
    assert services.grade_response(question, ["A", "B", "C", "D"], D(1), partial_credit=True) == D(1)


@pytest.mark.parametrize(
    "answer, response, points",
    [
        ([True], [True], D(1)),
        ([True], [False], D(0)),
        ([False], [False], D(1)),
        ([False], [], D(0)),
        ([True], [1], D(0)),
    ],
)
def test_true_false(answer, response, points):
    assert services.grade_response(q(QuestionType.TRUE_FALSE, answer, options=()), response, D(1)) == points


@pytest.mark.parametrize(
    "given, right",
    [
        ("预防", True),
        ("  预防 ", True),  # surrounding spaces
        ("预\n防", False),
        ("ＰＰＥ", True),  # full-width letters
        ("ppe", True),  # case
        ("个人 防护  装备", True),  # an alternative, inner spaces collapsed
        ("个人防护用品", False),
        ("", False),
    ],
)
def test_fill_in_normalises_and_accepts_alternatives(given, right):
    question = q(QuestionType.FILL_BLANK, [["预防", "PPE", "个人 防护 装备"]], options=())
    assert services.grade_response(question, [given], D(2)) == (D(2) if right else D(0))


def test_fill_in_with_several_blanks_shares_the_points():
    question = q(QuestionType.FILL_BLANK, [["安全第一"], ["预防"], ["综合治理"]], options=())
    assert services.grade_response(question, ["安全第一", "预防", "综合治理"], D(2)) == D(2)
    assert services.grade_response(question, ["安全第一", "预防", "错"], D(2)) == D("1.3")  # 2/3 of 2, rounded down
    assert services.grade_response(question, ["安全第一"], D(2)) == D("0.6")
    assert services.grade_response(question, ["１２３", "", ""], D(2)) == D(0)


def test_fill_in_compares_full_width_digits_and_punctuation():
    question = q(QuestionType.FILL_BLANK, [["110kV"], ["36"]], options=())
    assert services.grade_response(question, ["１１０ＫＶ", " ３６ "], D(2)) == D(2)


def test_shuffled_letters_are_graded_against_the_original_keys(ent_a, bank_a, principal):
    """Examinees answer in the letters shown on their own paper; the same right
    answer is different letters on different papers, and all of them score."""
    sq = single(bank_a, answer="C")
    mq = multiple(bank_a, answer=("B", "D"))
    paper = fixed_paper(ent_a, [(sq, 50), (mq, 50)])
    seen_letters = set()
    for seed in range(6):
        e = exam(ent_a, paper, title=f"第 {seed} 场")
        attempt = services.attempt_start(e, principal.employee, now=at(10), rng=random.Random(seed))
        item = next(i for i in attempt.layout if i["q"] == sq.pk)
        seen_letters.add(services.LETTERS[item["options"].index("C")])
        answer_all(attempt, now=at(10, 5))
        graded = services.attempt_submit(attempt, now=at(10, 6))
        assert graded.score == D(100) and graded.passed
    assert len(seen_letters) > 1


def test_every_type_in_one_attempt_points_per_answer(ent_a, four_types, principal):
    paper = fixed_paper(ent_a, [(four_types[k], 25) for k in ("single", "multiple", "true_false", "fill")])
    e = exam(ent_a, paper)
    attempt = services.attempt_start(e, principal.employee, now=at(10))
    items = {i["q"]: i for i in attempt.layout}

    def shown(question, keys):
        return [services.LETTERS[items[question.pk]["options"].index(k)] for k in keys]

    save = lambda question, response: services.attempt_save_answer(  # noqa: E731
        attempt, attempt.token, question.pk, response, now=at(10, 5)
    )
    save(four_types["single"], shown(four_types["single"], ["A"]))  # right
    save(four_types["multiple"], shown(four_types["multiple"], ["A", "B"]))  # one option missing
    save(four_types["true_false"], [False])  # wrong
    save(four_types["fill"], [" 预防 "])  # right after normalisation
    graded = services.attempt_submit(attempt, now=at(10, 10))
    points = dict(AttemptAnswer.objects.filter(attempt=attempt).values_list("question_id", "points"))
    assert points == {
        four_types["single"].pk: D(25),
        four_types["multiple"].pk: D(0),
        four_types["true_false"].pk: D(0),
        four_types["fill"].pk: D(25),
    }
    assert (graded.score, graded.max_score, graded.passed) == (D(50), D(100), False)


def test_unanswered_questions_get_a_zero_point_row(ent_a, four_types, principal):
    paper = fixed_paper(ent_a, [(four_types["single"], 50), (four_types["fill"], 50)])
    e = exam(ent_a, paper)
    attempt = services.attempt_start(e, principal.employee, now=at(10))
    graded = services.attempt_submit(attempt, now=at(10, 1))
    rows = AttemptAnswer.objects.filter(attempt=attempt)
    assert rows.count() == 2 and all(r.points == 0 and r.response == [] for r in rows)
    assert graded.score == 0 and graded.record.assessment_result == "failed"


def test_true_false_question_answered_false_is_right_when_the_key_is_false(ent_a, bank_a, principal):
    tf = true_false(bank_a, stem="可以在易燃易爆场所吸烟。", answer=False)
    blanks = fill(bank_a, stem="安全生产“三违”指违章指挥、（ ）、违反劳动纪律。", answer=(("违章作业", "违章操作"),))
    paper = fixed_paper(ent_a, [(tf, 50), (blanks, 50)])
    e = exam(ent_a, paper)
    attempt = services.attempt_start(e, principal.employee, now=at(10))
    services.attempt_save_answer(attempt, attempt.token, tf.pk, [False], now=at(10, 1))
    services.attempt_save_answer(attempt, attempt.token, blanks.pk, ["违章操作"], now=at(10, 1))
    assert services.attempt_submit(attempt, now=at(10, 2)).score == D(100)
    assert QuestionType.FILL_BLANK == blanks.type
