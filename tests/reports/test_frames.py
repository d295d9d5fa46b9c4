"""Report figures against a small enterprise computed by hand.

华兴化工 (ent_a), as of 2026-09-01:
- 张一 (一车间): induction 24 h met (due 03-01), refresher 8 h with 2 h done, due
  06-30 → overdue. Records: 24 h in February, 2 h in May.
- 张二 (一车间): refresher 8 h open, due 12-31. No records.
- 张三 (二车间): refresher 8 h met (due 10-31). Records: 10 h in August, and a
  July record of 5 h corrected to 3 h (the correction counts, the original not).
- 张四 (二车间) is on leave: not counted. ent_b's people never appear.
"""

import datetime as dt
import math
from decimal import Decimal

import pytest

from lms.compliance.models import Obligation, ObligationKind
from lms.reports import frames
from lms.workforce.models import Employee, OrgUnit
from tests.compliance.helpers import train
from tests.factories import EmployeeFactory, OrgUnitFactory, PostAssignmentFactory, PostFactory

from tests.factories import ExamFactory, GradedAttemptFactory, ObligationFactory

D = dt.date
AS_OF = D(2026, 9, 1)
MET = Obligation.Status.MET


@pytest.fixture
def people_a(ent_a, tree_a, ent_b):
    company, w1, team, post = tree_a
    w2 = OrgUnitFactory(enterprise=ent_a, kind=OrgUnit.Kind.WORKSHOP, parent=company, code="A-W2", name="二车间")
    welder = PostFactory(enterprise=ent_a, org_unit=w2, code="A-WELD", name="焊工")
    p1 = EmployeeFactory(enterprise=ent_a, org_unit=w1, name="张一")
    p2 = EmployeeFactory(enterprise=ent_a, org_unit=w1, name="张二")
    p3 = EmployeeFactory(enterprise=ent_a, org_unit=w2, name="张三")
    p4 = EmployeeFactory(enterprise=ent_a, org_unit=w2, name="张四", status=Employee.Status.ON_LEAVE)
    PostAssignmentFactory(employee=p1, post=post, start_date=D(2026, 3, 2))
    PostAssignmentFactory(employee=p3, post=welder, start_date=D(2025, 1, 1))
    ObligationFactory(employee=p1, kind=ObligationKind.INDUCTION, min_hours=24, completed_hours=24, status=MET,
                      due_date=D(2026, 3, 1))
    ObligationFactory(employee=p1, min_hours=8, completed_hours=2, due_date=D(2026, 6, 30))
    ObligationFactory(employee=p2, min_hours=8, due_date=D(2026, 12, 31))
    ObligationFactory(employee=p3, min_hours=8, completed_hours=8, status=MET, due_date=D(2026, 10, 31))
    ObligationFactory(employee=p4, min_hours=8, due_date=D(2026, 5, 1))
    train(p1, "induction", 24, D(2026, 2, 10), level="company")
    train(p1, "refresher", 2, D(2026, 5, 10))
    train(p3, "refresher", 10, D(2026, 8, 3))
    wrong = train(p3, "refresher", 5, D(2026, 7, 6))
    train(p3, "refresher", 3, D(2026, 7, 6), corrects=wrong)
    train(p4, "refresher", 4, D(2026, 4, 1))
    train(p1, "refresher", 6, D(2025, 11, 1))  # last year: not in 2026
    outsider = EmployeeFactory(enterprise=ent_b, name="外企员工")
    ObligationFactory(employee=outsider, min_hours=8)
    train(outsider, "refresher", 8, D(2026, 3, 3))
    return {"w1": w1, "w2": w2, "post": post, "welder": welder, "p1": p1, "p2": p2, "p3": p3, "p4": p4}


def scope(ent, by, as_of=AS_OF):
    return frames.ReportScope((ent.pk,), as_of.year, as_of, by)


def by_label(table):
    return {row["label"]: row for row in table.frame.to_dict("records")}


def test_coverage_by_unit_matches_the_hand_count(ent_a, people_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        table = frames.coverage(scope(ent_a, "unit"))
    rows = by_label(table)
    assert list(rows) == ["一车间", "二车间"]
    w1, w2 = rows["一车间"], rows["二车间"]
    assert (w1["headcount"], w1["trained"], w1["coverage"]) == (2, 1, 0.5)
    assert (w1["hours"], w1["hours_per_head"], w1["required"], w1["credited"]) == (26.0, 13.0, 40.0, 26.0)
    assert (w1["completion"], w1["overdue_people"], w1["compliant"]) == (0.65, 1, 0.5)
    assert (w2["headcount"], w2["trained"], w2["coverage"], w2["hours"]) == (1, 1, 1.0, 13.0)
    assert (w2["required"], w2["credited"], w2["completion"], w2["compliant"]) == (8.0, 8.0, 1.0, 1.0)
    total = table.total
    assert (total["headcount"], total["trained"], total["hours"], total["required"], total["credited"]) == (3, 2, 39.0, 48.0, 34.0)
    assert total["coverage"] == 0.6667 and total["completion"] == 0.7083 and total["compliant"] == 0.6667


def test_coverage_by_quarter(ent_a, people_a):
    rows = frames.coverage(scope(ent_a, "quarter")).frame.to_dict("records")
    assert [r["label"] for r in rows] == ["2026年第1季度", "2026年第2季度", "2026年第3季度", "2026年第4季度"]
    assert [r["hours"] for r in rows] == [24.0, 2.0, 13.0, 0.0]
    assert [r["trained"] for r in rows] == [1, 1, 1, 0]
    assert [r["required"] for r in rows] == [24.0, 8.0, 0.0, 16.0]
    assert [r["credited"] for r in rows] == [24.0, 2.0, 0.0, 8.0]
    assert rows[0]["completion"] == 1.0 and rows[1]["completion"] == 0.25 and rows[3]["completion"] == 0.5
    assert math.isnan(rows[2]["completion"])  # nothing was due in Q3: no rate, not 0 %
    assert [r["overdue_people"] for r in rows] == [0, 1, 0, 0]


def test_coverage_by_post_counts_people_without_a_post_last(ent_a, people_a):
    rows = frames.coverage(scope(ent_a, "post")).frame.to_dict("records")
    assert [r["label"] for r in rows] == ["操作工（A-OP）", "焊工（A-WELD）", "未上岗"]
    assert [r["headcount"] for r in rows] == [1, 1, 1]
    assert [r["hours"] for r in rows] == [26.0, 13.0, 0.0]


def test_obligations_by_kind(ent_a, people_a):
    table = frames.obligations(scope(ent_a, "kind"))
    rows = by_label(table)
    assert list(rows) == ["三级安全教育", "年度再培训"]
    assert rows["三级安全教育"]["owed"] == 1 and rows["三级安全教育"]["met"] == 1
    refresher = rows["年度再培训"]
    assert (refresher["owed"], refresher["met"], refresher["open_later"], refresher["due_soon"], refresher["overdue"]) == (3, 1, 1, 0, 1)
    assert (table.total["owed"], table.total["met"], table.total["overdue"], table.total["met_rate"]) == (4, 2, 1, 0.5)


def test_obligations_due_soon_is_within_30_days(ent_a, people_a):
    table = frames.obligations(scope(ent_a, "kind", as_of=D(2026, 12, 5)))
    refresher = by_label(table)["年度再培训"]
    # 张二's refresher (12-31) is 26 days away; 张一's is overdue.
    assert (refresher["due_soon"], refresher["overdue"], refresher["open_later"]) == (1, 1, 0)


def test_lapsed_counts_people_on_posts_without_clearance(ent_a, people_a):
    table = frames.lapsed(scope(ent_a, "unit"))
    # 张一 is on 操作工 with his refresher overdue and no three-level induction for the post:
    # the clearance service refuses him. 张三 has nothing owed but is also judged by the service.
    from lms.compliance.selectors import clearance

    expected = sum(
        0 if clearance(p, post, AS_OF).cleared else 1 for p, post in
        ((people_a["p1"], people_a["post"]), (people_a["p3"], people_a["welder"])))
    assert table.total["on_post"] == 2
    assert table.total["lapsed"] == expected
    assert table.total["lapsed"] >= 1
    row = by_label(table)["一车间"]
    assert row["on_post"] == 1 and row["lapsed"] == 1 and row["lapsed_rate"] == 1.0
    assert row["main_reason"]


def test_exam_pass_rates(ent_a, people_a, ent_b):
    exam = ExamFactory(enterprise=ent_a, title="年度考试")
    p1, p2, p3 = people_a["p1"], people_a["p2"], people_a["p3"]
    GradedAttemptFactory(exam=exam, employee=p1, score=Decimal("60"))                 # failed first,
    GradedAttemptFactory(exam=exam, employee=p1, number=2, score=Decimal("90"))       # passed the retake
    GradedAttemptFactory(exam=exam, employee=p2, score=Decimal("85"))                 # passed first time
    GradedAttemptFactory(exam=exam, employee=p3, score=Decimal("70"))                 # failed
    other = ExamFactory(enterprise=ent_b)
    GradedAttemptFactory(exam=other, employee=EmployeeFactory(enterprise=ent_b), score=Decimal("99"))
    table = frames.exams(scope(ent_a, "exam"))
    assert len(table.frame) == 1
    row = table.frame.iloc[0].to_dict()
    assert row["label"].startswith("年度考试")
    assert (row["attempts"], row["examinees"], row["passed"]) == (4, 3, 2)
    assert row["pass_rate"] == 0.6667 and row["first_pass_rate"] == 0.3333
    assert row["avg_score"] == 76.2  # (60 + 90 + 85 + 70) / 4 = 76.25 → 76.2 (banker's rounding of .25)
    unit = by_label(frames.exams(scope(ent_a, "unit")))
    assert unit["一车间"]["examinees"] == 2 and unit["一车间"]["passed"] == 2
    assert unit["二车间"]["examinees"] == 1 and unit["二车间"]["passed"] == 0


def test_certificate_forecast_by_month(ent_a, people_a):
    from tests.compliance.helpers import certificate

    p1, p3 = people_a["p1"], people_a["p3"]
    certificate(p1, "电工作业", D(2021, 1, 1), D(2026, 10, 15), review=D(2026, 9, 20), number="T-1")
    certificate(p3, "焊接与热切割作业", D(2020, 1, 1), D(2026, 8, 1), number="T-2")  # already expired
    certificate(p3, "高处作业", D(2020, 1, 1), D(2027, 12, 1), number="T-3")  # beyond 12 months
    certificate(people_a["p4"], "高处作业", D(2020, 1, 1), D(2026, 9, 10), number="T-4")  # on leave: not counted
    table = frames.certificates(scope(ent_a, "month"))
    rows = table.frame.to_dict("records")
    assert rows[0]["label"] == "已过期/逾期未复审" and rows[0]["expiring"] == 1
    assert rows[1]["label"] == "2026年9月" and (rows[1]["expiring"], rows[1]["review_due"]) == (0, 1)
    assert rows[2]["label"] == "2026年10月" and rows[2]["expiring"] == 1
    assert len(rows) == 13 and rows[-1]["label"] == "2027年8月"
    assert (table.total["expiring"], table.total["review_due"], table.total["special_op"]) == (2, 1, 2)


def test_warning_coverage_by_quarter(ent_a, people_a):
    p1, p2, p3 = people_a["p1"], people_a["p2"], people_a["p3"]
    for person, cycle, status in ((p1, "2026Q1", MET), (p2, "2026Q1", Obligation.Status.OPEN), (p3, "2026Q2", MET),
                                  (p1, "2025Q4", MET)):
        ObligationFactory(employee=person, kind=ObligationKind.WARNING, cycle=cycle, min_hours=1, status=status,
                          due_date=D(2026, 3, 31))
    table = frames.warning(scope(ent_a, "quarter"))
    rows = table.frame.to_dict("records")
    assert [(r["owed"], r["met"], r["missing"]) for r in rows] == [(2, 1, 1), (1, 1, 0), (0, 0, 0), (0, 0, 0)]
    assert rows[0]["coverage"] == 0.5 and rows[1]["coverage"] == 1.0 and math.isnan(rows[2]["coverage"])
    assert (table.total["owed"], table.total["met"], table.total["coverage"]) == (3, 2, 0.6667)


def test_chart_series_are_the_table_figures(ent_a, people_a):
    table = frames.coverage(scope(ent_a, "unit"))
    chart = table.chart
    assert chart["labels"] == ["一车间", "二车间"]
    series = {d["key"]: d["data"] for d in chart["datasets"]}
    assert series["coverage"] == [50.0, 100.0]
    assert series["completion"] == [65.0, 100.0]
    assert series["compliant"] == [50.0, 100.0]


def test_query_count_does_not_grow_with_headcount(ent_a, tree_a, django_assert_num_queries):
    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            frames.coverage(scope(ent_a, "unit"))
            frames.obligations(scope(ent_a, "kind"))
            frames.warning(scope(ent_a, "unit"))
        return len(ctx.captured_queries)

    EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1])
    few = count()
    for i in range(20):
        person = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1 + i % 2])
        ObligationFactory(employee=person)
        train(person, "refresher", 2, D(2026, 4, 1))
    assert count() == few
