"""Results and item analysis of one exam (成绩与试题分析).

One function, :func:`exam_results`, reads everything the results page and the
Excel export show — who is in the audience and how they did, who has not sat
the exam, the score distribution, and per-question difficulty and
discrimination — in a fixed number of queries whatever the number of
examinees. The page and the export render the same :class:`ExamResults`, so
their figures cannot differ. :func:`exam_counts` gives the dashboard the
same statuses for several exams at once.

Item analysis (classical test theory), over each examinee's **best graded
attempt** (the attempt whose score the results table shows; ties: the
earlier attempt):

- ``n``: examinees whose attempt showed the question (random papers draw
  different questions for different people; a question left unanswered
  counts as 0 points);
- difficulty ``p`` = mean of points / max points (1.00 = everyone right);
- discrimination ``d`` = p of the upper 27 % minus p of the lower 27 % of
  examinees ranked by total score (group size ``round(0.27 × N)``, at least
  1; needs at least 2 examinees);
- ``r_pb``: point-biserial correlation — Pearson's r between the item's
  points / max and the examinee's total score in percent (undefined when
  either does not vary).

Figures are rounded once, here (difficulty and discrimination to 2 places,
scores to 1), so the table and the export show identical numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from lms.workforce.models import Employee

from .models import Attempt, AttemptAnswer, Exam, Paper, PaperQuestion, Question
from .selectors import exam_audience

# Share of examinees in the upper and lower groups (Kelley's 27 %).
GROUP_SHARE = 0.27

# Score bands of the distribution, on a 100-point scale: (label, lowest, highest-exclusive).
BANDS = (
    ("0–59", Decimal(0), Decimal(60)),
    ("60–69", Decimal(60), Decimal(70)),
    ("70–79", Decimal(70), Decimal(80)),
    ("80–89", Decimal(80), Decimal(90)),
    ("90–100", Decimal(90), None),
)


class Status:
    """How an audience member stands in the exam (one label each)."""

    NOT_TAKEN = "not_taken"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"

    LABELS = {
        NOT_TAKEN: _("未参加"),
        IN_PROGRESS: _("答题中"),
        PASSED: _("合格"),
        FAILED: _("不合格"),
    }
    ORDER = (NOT_TAKEN, IN_PROGRESS, PASSED, FAILED)


@dataclass
class ExamineeRow:
    employee: Employee
    status: str
    best_score: Decimal | None
    max_score: Decimal | None
    attempts: int
    in_audience: bool = True
    best_attempt_id: int | None = None

    @property
    def status_label(self) -> str:
        return str(Status.LABELS[self.status])

    @property
    def score_text(self) -> str:
        """"85 / 100" (or "—" before a graded attempt), as the results table shows it."""
        if self.best_score is None:
            return "—"
        return f"{_points(self.best_score)} / {_points(self.max_score)}"

    @property
    def percent(self) -> Decimal | None:
        """The best score on a 100-point scale (what the distribution bands use)."""
        if self.best_score is None or not self.max_score:
            return None
        return (self.best_score * 100 / self.max_score).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Band:
    label: str
    count: int
    passing: int = 0  # of ``count``, those at or above the exam's pass score


@dataclass
class ItemRow:
    question_id: int
    number: int
    stem: str
    type_label: str
    version: int
    max_points: Decimal
    n: int
    difficulty: float | None
    discrimination: float | None
    point_biserial: float | None
    upper_p: float | None = None
    lower_p: float | None = None

    @property
    def max_points_text(self) -> str:
        return _points(self.max_points)


@dataclass
class ExamResults:
    exam: Exam
    rows: list[ExamineeRow]
    bands: list[Band]
    items: list[ItemRow]
    counts: dict = field(default_factory=dict)

    @property
    def not_taken(self) -> list[ExamineeRow]:
        return [row for row in self.rows if row.status == Status.NOT_TAKEN]

    @property
    def scored(self) -> list[ExamineeRow]:
        return [row for row in self.rows if row.best_score is not None]


def _points(value) -> str:
    """2.0 → "2", 2.5 → "2.5" (the engine's way of writing points)."""
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _round(value, places: int = 2) -> float | None:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    # Half-up like a person would round (0.125 → 0.13), not the float's binary accident.
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)) + 0.0


def status_for(attempts: list[dict]) -> str:
    """The status of one person from their attempts (dicts with status and passed)."""
    if not attempts:
        return Status.NOT_TAKEN
    if any(a["status"] == Attempt.Status.GRADED and a["passed"] for a in attempts):
        return Status.PASSED
    if any(a["status"] != Attempt.Status.GRADED for a in attempts):
        # Sitting it now (or handed in and being graded).
        return Status.IN_PROGRESS
    return Status.FAILED


def exam_counts(exams: list[Exam]) -> dict[int, dict]:
    """应考/已考/合格/未参加 per exam: one audience query per exam and one
    query for all their attempts (nothing per examinee)."""
    if not exams:
        return {}
    attempts: dict[int, dict[int, list[dict]]] = {}
    for row in Attempt.objects.filter(exam__in=exams).values("exam_id", "employee_id", "status", "passed"):
        attempts.setdefault(row["exam_id"], {}).setdefault(row["employee_id"], []).append(row)
    result = {}
    for exam in exams:
        audience = set(exam_audience(exam).values_list("pk", flat=True))
        mine = attempts.get(exam.pk, {})
        statuses = {pk: status_for(rows) for pk, rows in mine.items()}
        result[exam.pk] = {
            "audience": len(audience),
            "sat": len(mine),
            "passed": sum(1 for s in statuses.values() if s == Status.PASSED),
            "not_taken": len(audience - set(mine)),
        }
    return result


def _best(attempts: list[dict]) -> dict | None:
    graded = [a for a in attempts if a["status"] == Attempt.Status.GRADED and a["score"] is not None]
    if not graded:
        return None
    # Highest score; the earlier attempt on a tie.
    return max(graded, key=lambda a: (a["score"], -a["number"], -a["id"]))


def score_bands(rows: list[ExamineeRow], pass_score: Decimal | None = None) -> list[Band]:
    """How many examinees' best scores (on a 100-point scale) fall in each band,
    and how many of them reach ``pass_score``."""
    counts = []
    for label, low, high in BANDS:
        scores = [
            row.percent for row in rows
            if row.percent is not None and row.percent >= low and (high is None or row.percent < high)
        ]
        passing = sum(1 for score in scores if pass_score is not None and score >= pass_score)
        counts.append(Band(label, len(scores), passing))
    return counts


def band_position(score) -> float:
    """Where ``score`` (100-point scale) lies on an axis of the bands, band i
    spanning i − 0.5 to i + 0.5 (60 → 0.5, the start of "60–69"; 65 → 1.0)."""
    score = Decimal(score)
    index = next(i for i, (_label, _low, high) in enumerate(BANDS) if high is None or score < high)
    _label, low, high = BANDS[index]
    share = min(max((score - low) / ((high or Decimal(100)) - low), Decimal(0)), Decimal(1))
    return float(index - Decimal("0.5") + share)


def item_statistics(responses: pd.DataFrame) -> pd.DataFrame:
    """Difficulty and discrimination per question.

    ``responses``: one row per (examinee, question shown) with columns
    ``examinee``, ``question``, ``points``, ``max_points`` and ``total`` (the
    examinee's total score in percent). Returns one row per question (index:
    question) with ``n``, ``difficulty``, ``upper_p``, ``lower_p``,
    ``discrimination`` and ``point_biserial`` (NaN where undefined).
    """
    columns = ["n", "difficulty", "upper_p", "lower_p", "discrimination", "point_biserial"]
    if responses.empty:
        return pd.DataFrame(columns=columns)
    df = responses.copy()
    df["max_points"] = df["max_points"].astype(float)
    df["points"] = df["points"].astype(float)
    df["total"] = df["total"].astype(float)
    df["ratio"] = (df["points"] / df["max_points"]).where(df["max_points"] > 0)

    totals = df.groupby("examinee", sort=True)["total"].first()
    # Rank by total, highest first; ties keep examinee order (deterministic).
    ranked = totals.sort_values(ascending=False, kind="mergesort")
    examinees = len(ranked)
    k = max(1, math.floor(examinees * GROUP_SHARE + 0.5))
    upper = set(ranked.index[:k])
    lower = set(ranked.index[-k:])

    grouped = df.groupby("question", sort=False)
    stats = pd.DataFrame({"n": grouped["examinee"].nunique(), "difficulty": grouped["ratio"].mean()})
    stats["upper_p"] = df[df["examinee"].isin(upper)].groupby("question")["ratio"].mean()
    stats["lower_p"] = df[df["examinee"].isin(lower)].groupby("question")["ratio"].mean()
    if examinees >= 2:
        stats["discrimination"] = stats["upper_p"] - stats["lower_p"]
    else:
        stats["discrimination"] = float("nan")

    def pearson(group: pd.DataFrame) -> float:
        if len(group) < 2 or group["ratio"].nunique() < 2 or group["total"].nunique() < 2:
            return float("nan")
        return float(group["ratio"].corr(group["total"]))

    stats["point_biserial"] = pd.Series(
        {question: pearson(group) for question, group in grouped[["ratio", "total"]]}, dtype=float
    )
    return stats[columns]


def _question_order(exam: Exam) -> dict[int, int]:
    """Fixed papers list questions in paper order; drawn ones by bank order."""
    if exam.paper.kind != Paper.Kind.FIXED:
        return {}
    ids = PaperQuestion.objects.filter(paper_id=exam.paper_id).order_by("position", "id")
    return {qid: i for i, qid in enumerate(ids.values_list("question_id", flat=True))}


def exam_results(exam: Exam, *, audience: QuerySet | None = None) -> ExamResults:
    """Everything the results page and export show for ``exam``.

    ``audience``: the employees who should sit it (default
    :func:`exams.selectors.exam_audience`). People who sat the exam without
    being in the audience (e.g. the audience changed) are listed too. Runs a
    fixed number of queries, whatever the number of examinees.
    """
    audience = exam_audience(exam) if audience is None else audience
    employees = {e.pk: e for e in audience.select_related("org_unit").order_by("employee_no", "pk")}

    attempts = list(
        Attempt.objects.filter(exam=exam)
        .order_by("employee_id", "number", "id")
        .values("id", "employee_id", "number", "status", "score", "max_score", "passed", "layout")
    )
    by_employee: dict[int, list[dict]] = {}
    for attempt in attempts:
        by_employee.setdefault(attempt["employee_id"], []).append(attempt)

    outsiders = set(by_employee) - set(employees)
    extra = (
        {e.pk: e for e in Employee.objects.filter(pk__in=outsiders).select_related("org_unit").order_by("employee_no")}
        if outsiders
        else {}
    )

    rows = []
    for pk, employee in [*employees.items(), *extra.items()]:
        mine = by_employee.get(pk, [])
        best = _best(mine)
        rows.append(
            ExamineeRow(
                employee=employee,
                status=status_for(mine),
                best_score=best["score"] if best else None,
                max_score=best["max_score"] if best else None,
                attempts=len(mine),
                in_audience=pk in employees,
                best_attempt_id=best["id"] if best else None,
            )
        )

    items = _items(exam, rows, {a["id"]: a for a in attempts})
    counts = {status: sum(1 for r in rows if r.status == status) for status in Status.ORDER}
    counts["audience"] = sum(1 for r in rows if r.in_audience)
    counts["sat"] = sum(1 for r in rows if r.status != Status.NOT_TAKEN)
    return ExamResults(exam=exam, rows=rows, bands=score_bands(rows, exam.pass_score), items=items, counts=counts)


def _items(exam: Exam, rows: list[ExamineeRow], attempts: dict[int, dict]) -> list[ItemRow]:
    best = {row.best_attempt_id: row for row in rows if row.best_attempt_id is not None}
    if not best:
        return []
    points = {
        (a["attempt_id"], a["question_id"]): a["points"]
        for a in AttemptAnswer.objects.filter(attempt_id__in=list(best)).values("attempt_id", "question_id", "points")
    }
    records = []
    for attempt_id, row in best.items():
        for entry in attempts[attempt_id]["layout"] or []:
            qid = int(entry["q"])
            records.append(
                {
                    "examinee": attempt_id,
                    "question": qid,
                    "points": points.get((attempt_id, qid)) or 0,
                    "max_points": Decimal(str(entry.get("points", 0))),
                    "total": row.percent if row.percent is not None else 0,
                }
            )
    stats = item_statistics(pd.DataFrame.from_records(records))
    if stats.empty:
        return []
    questions = {
        q["id"]: q
        for q in Question.objects.filter(pk__in=[int(i) for i in stats.index]).values("id", "stem", "type", "version")
    }
    max_points = {r["question"]: r["max_points"] for r in records}
    order = _question_order(exam)
    type_labels = dict(Question._meta.get_field("type").choices)
    ids = sorted(stats.index, key=lambda qid: (order.get(qid, len(order)), qid))
    items = []
    for number, qid in enumerate(ids, start=1):
        stat = stats.loc[qid]
        question = questions.get(qid, {"stem": "", "type": "", "version": 1})
        items.append(
            ItemRow(
                question_id=qid,
                number=number,
                stem=question["stem"],
                type_label=str(type_labels.get(question["type"], question["type"])),
                version=question["version"],
                max_points=max_points[qid],
                n=int(stat["n"]),
                difficulty=_round(stat["difficulty"]),
                discrimination=_round(stat["discrimination"]),
                point_biserial=_round(stat["point_biserial"]),
                upper_p=_round(stat["upper_p"]),
                lower_p=_round(stat["lower_p"]),
            )
        )
    return items
