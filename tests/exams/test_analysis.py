"""Results and item analysis (exams.analysis) and the Excel export.

The hand-computed dataset: 3 examinees × 3 questions, a fixed paper of
Q1 single choice (1 point), Q2 true/false (1 point) and Q3 fill-in with two
blanks (2 points, 1 per blank):

    examinee   Q1  Q2  Q3   total  percent
    E1 (甲)     1   1   2    4/4    100
    E2 (乙)     1   0   1    2/4     50
    E3 (丙)     0   1   0    1/4     25

Difficulty p: Q1 = 2/3 = 0.67, Q2 = 2/3 = 0.67, Q3 = (1 + 0.5 + 0)/3 = 0.5.
Groups: round(0.27 × 3) = 1 examinee each — upper E1, lower E3.
Discrimination D = p(upper) − p(lower): Q1 = 1 − 0 = 1, Q2 = 1 − 1 = 0, Q3 = 1 − 0 = 1.
Point-biserial r (item score ratio vs total percent 100/50/25):
  totals' deviations from 58.33: 41.67, −8.33, −33.33 (Σd² = 2916.67)
  Q1 ratios 1,1,0 (dev .333,.333,−.667; Σ = .667): cov Σ = 33.33 → r = 33.33/√(.667·2916.67) = 0.76
  Q2 ratios 1,0,1: cov Σ = 8.33 → r = 0.19
  Q3 ratios 1,.5,0 (Σdev² = .5): cov Σ = 37.5 → r = 37.5/√(.5·2916.67) = 0.98
"""

import io
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from exams import services
from exams.analysis import Status, exam_results, item_statistics, score_bands
from exams.exports import results_workbook
from exams.models import Question, QuestionType
from tests.factories import EmployeeFactory

from .engine_helpers import at, bank, exam, fill, fixed_paper, right_answer, single, true_false, wrong_answer

pytestmark = pytest.mark.django_db


# --- the pure statistics -------------------------------------------------------------------


def _frame(data: dict, max_points=(1, 1, 2)) -> pd.DataFrame:
    rows = []
    total_max = sum(max_points)
    for examinee, points in data.items():
        percent = sum(points) * 100 / total_max
        for question, (p, m) in enumerate(zip(points, max_points), start=1):
            rows.append({"examinee": examinee, "question": question, "points": p, "max_points": m, "total": percent})
    return pd.DataFrame(rows)


def test_item_statistics_match_the_hand_computed_values():
    stats = item_statistics(_frame({"E1": [1, 1, 2], "E2": [1, 0, 1], "E3": [0, 1, 0]}))
    assert list(stats["n"]) == [3, 3, 3]
    assert [round(v, 2) for v in stats["difficulty"]] == [0.67, 0.67, 0.5]
    assert list(stats["upper_p"]) == [1.0, 1.0, 1.0]
    assert list(stats["lower_p"]) == [0.0, 1.0, 0.0]
    assert list(stats["discrimination"]) == [1.0, 0.0, 1.0]
    assert [round(v, 2) for v in stats["point_biserial"]] == [0.76, 0.19, 0.98]


def test_an_item_everyone_gets_right_has_no_correlation_and_one_examinee_no_discrimination():
    stats = item_statistics(_frame({"E1": [1, 1, 2], "E2": [1, 0, 0]}))
    assert stats.loc[1, "difficulty"] == 1.0
    assert pd.isna(stats.loc[1, "point_biserial"])  # no variance: undefined, not 0
    alone = item_statistics(_frame({"E1": [1, 0, 2]}))
    assert pd.isna(alone.loc[1, "discrimination"])


def test_random_papers_count_only_the_examinees_who_saw_the_question():
    df = _frame({"E1": [1, 1, 2], "E2": [1, 0, 1], "E3": [0, 1, 0]})
    df = df[~((df["examinee"] == "E3") & (df["question"] == 1))]  # E3 was not shown Q1
    stats = item_statistics(df)
    assert stats.loc[1, "n"] == 2
    assert stats.loc[1, "difficulty"] == 1.0
    assert pd.isna(stats.loc[1, "lower_p"])  # the lower group (E3) did not see it


# --- through the engine: attempts, results, export -------------------------------------------


@pytest.fixture
def dataset(ent_a, tree_a):
    """The three examinees of the module docstring, graded by the engine, plus
    one principal who has not sat the exam and one sitting it now."""
    b = bank(ent_a)
    q1 = single(b, stem="发现有人触电，首先应当？")
    q2 = true_false(b, stem="特种作业人员必须持证上岗。")
    q3 = fill(b, stem="安全生产方针是安全第一、（ ）为主、（ ）治理。", answer=(("预防",), ("综合",)))
    paper = fixed_paper(ent_a, [(q1, 1), (q2, 1), (q3, 2)], name="分析用试卷")
    ex = exam(ent_a, paper, title="年度考试（分析）", pass_score=60, attempts_allowed=2)
    people = {
        name: EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name=name, employee_no=no, is_principal=True)
        for name, no in (("甲", "P01"), ("乙", "P02"), ("丙", "P03"), ("丁", "P04"), ("戊", "P05"))
    }
    plan = {"甲": (True, True, ["预防", "综合"]), "乙": (True, False, ["预防", "不知道"]), "丙": (False, True, ["", ""])}
    for name, (r1, r2, blanks) in plan.items():
        attempt = services.attempt_start(ex, people[name], now=at(10))
        items = {item["q"]: item for item in attempt.layout}
        for q, right in ((q1, r1), (q2, r2)):
            response = right_answer(items[q.pk], q) if right else wrong_answer(items[q.pk], q)
            services.attempt_save_answer(attempt, attempt.token, q.pk, response, now=at(10, 5))
        services.attempt_save_answer(attempt, attempt.token, q3.pk, blanks, now=at(10, 6))
        services.attempt_submit(attempt, now=at(10, 10))
    services.attempt_start(ex, people["戊"], now=at(11))
    return {"exam": ex, "questions": (q1, q2, q3), "people": people}


def test_results_list_everyone_in_the_audience_with_status_best_score_and_attempts(dataset):
    results = exam_results(dataset["exam"])
    by_name = {row.employee.name: row for row in results.rows}
    assert set(by_name) == {"甲", "乙", "丙", "丁", "戊"}
    assert [(by_name[n].status, by_name[n].best_score, by_name[n].attempts) for n in "甲乙丙丁戊"] == [
        (Status.PASSED, Decimal("4.0"), 1),
        (Status.FAILED, Decimal("2.0"), 1),
        (Status.FAILED, Decimal("1.0"), 1),
        (Status.NOT_TAKEN, None, 0),
        (Status.IN_PROGRESS, None, 1),
    ]
    assert [row.employee.name for row in results.not_taken] == ["丁"]
    assert results.counts == {
        "not_taken": 1, "in_progress": 1, "passed": 1, "failed": 2, "audience": 5, "sat": 4,
    }
    # Bands on the 100-point scale: 25 and 50 → 0–59, 100 → 90–100.
    assert [(b.label, b.count) for b in results.bands] == [
        ("0–59", 2), ("60–69", 0), ("70–79", 0), ("80–89", 0), ("90–100", 1),
    ]


def test_item_analysis_of_the_graded_attempts_matches_the_hand_computation(dataset):
    items = exam_results(dataset["exam"]).items
    q1, q2, q3 = dataset["questions"]
    assert [i.question_id for i in items] == [q1.pk, q2.pk, q3.pk]  # paper order
    assert [(i.n, i.difficulty, i.discrimination, i.point_biserial) for i in items] == [
        (3, 0.67, 1.0, 0.76),
        (3, 0.67, 0.0, 0.19),
        (3, 0.5, 1.0, 0.98),
    ]
    assert [i.max_points for i in items] == [Decimal("1.0"), Decimal("1.0"), Decimal("2.0")]
    assert items[2].type_label == QuestionType.FILL_BLANK.label


def test_best_attempt_counts_and_a_retake_changes_status(dataset):
    ex, (q1, q2, q3) = dataset["exam"], dataset["questions"]
    people = dataset["people"]
    attempt = services.attempt_start(ex, people["丙"], now=at(12))
    items = {item["q"]: item for item in attempt.layout}
    for q in (q1, q2):
        services.attempt_save_answer(attempt, attempt.token, q.pk, right_answer(items[q.pk], q), now=at(12, 5))
    services.attempt_save_answer(attempt, attempt.token, q3.pk, ["预防", "综合"], now=at(12, 6))
    services.attempt_submit(attempt, now=at(12, 10))
    row = next(r for r in exam_results(ex).rows if r.employee.name == "丙")
    assert (row.status, row.best_score, row.attempts) == (Status.PASSED, Decimal("4.0"), 2)


def test_bands_put_boundaries_in_the_upper_band():
    from exams.analysis import ExamineeRow

    rows = [
        ExamineeRow(employee=None, status=Status.FAILED, best_score=Decimal(s), max_score=Decimal(100), attempts=1)
        for s in ("59.9", "60", "79.9", "80", "89.9", "90", "100")
    ]
    assert [b.count for b in score_bands(rows)] == [1, 1, 1, 2, 2]


def _xlsx(content: bytes):
    return load_workbook(io.BytesIO(content), data_only=True)


def test_export_has_chinese_headers_and_the_same_figures(dataset):
    results = exam_results(dataset["exam"])
    wb = _xlsx(results_workbook(results))
    assert wb.sheetnames == ["成绩", "未参加", "成绩分布", "试题分析", "考试信息"]
    sheet = wb["成绩"]
    assert [c.value for c in sheet[1]] == ["工号", "姓名", "所在单位", "状态", "最高分", "满分", "考试次数", "考试对象"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["P01"][3:7] == ("合格", 4, 4, 1)
    assert rows["P04"][3:7] == ("未参加", None, None, 0)
    assert [r[1] for r in wb["未参加"].iter_rows(min_row=2, values_only=True)] == ["丁"]
    assert list(wb["成绩分布"].iter_rows(min_row=2, values_only=True)) == [
        ("0–59", 2), ("60–69", 0), ("70–79", 0), ("80–89", 0), ("90–100", 1),
    ]
    items = list(wb["试题分析"].iter_rows(min_row=2, values_only=True))
    assert [c.value for c in wb["试题分析"][1]][5:8] == ["作答人数", "难度（P 值）", "区分度（D）"]
    assert [(r[5], r[6], r[7], r[10]) for r in items] == [(3, 0.67, 1, 0.76), (3, 0.67, 0, 0.19), (3, 0.5, 1, 0.98)]


def test_questions_edited_after_use_are_analysed_per_version(dataset, ent_a):
    from exams import question_services

    q1 = dataset["questions"][0]
    new = question_services.question_update(question=Question.objects.get(pk=q1.pk), actor=None, explanation="新解析")
    assert new.pk != q1.pk
    items = exam_results(dataset["exam"]).items
    # The attempts showed version 1: the analysis names that version.
    assert items[0].question_id == q1.pk and items[0].version == 1
