"""Report figures, computed with pandas from a constant number of queries.

Every builder takes a :class:`ReportScope` (which enterprises, which year,
as of which day, grouped by what) and returns a :class:`Table`: labelled
columns over one DataFrame, a 合计 row, and the series to chart. The page,
the chart and the Excel export all render that same Table, so their figures
agree by construction. Ratios are rounded once, here (to 0.1 %), hours to
0.1 学时; nothing downstream recomputes a figure.

Queries read whole enterprises with ``values_list`` (no model instances, no
id lists that grow with headcount); the group-bys happen in pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation, ObligationKind
from lms.kernel.rates import rate
from lms.workforce.models import Employee, Enterprise, OrgUnit, Post, PostAssignment
from lms.compliance.selectors import lapsed_on_post
from exams.models import Attempt
from certificates.models import Certificate, CertificateKind
from courses.apprenticeship.models import Apprenticeship

DUE_SOON_DAYS = 30
CHART_MAX_GROUPS = 30  # more bars than this are unreadable on a phone; the table has them all


@dataclass(frozen=True)
class ReportScope:
    enterprise_ids: tuple[int, ...]
    year: int
    as_of: dt.date
    by: str = ""

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def year_end(self) -> dt.date:
        return dt.date(self.year, 12, 31)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | hours | pct | number


@dataclass
class Table:
    columns: list[Column]
    frame: pd.DataFrame  # one row per group; columns are the Column keys
    total: dict | None
    chart: dict = field(default_factory=dict)
    note: str = ""

    def rows(self) -> list[list]:
        """The cells of each row, in column order (NaN → None)."""
        keys = [c.key for c in self.columns]
        frame = self.frame.reindex(columns=keys)
        return [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]

    def total_row(self) -> list | None:
        if self.total is None:
            return None
        return [_cell(self.total.get(c.key)) for c in self.columns]


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return value


# --- helpers -----------------------------------------------------------------------------------


def _ratio(num, den):
    """num/den rounded to 0.1 % (as a fraction), NaN where den is 0 — no
    rate, shown "—" (lms.kernel.rates); works on scalars and Series."""
    if isinstance(den, pd.Series):
        out = num.astype(float) / den.where(den != 0)
        return out.round(4)
    value = rate(num, den)
    return float("nan") if value is None else float(value)


def _hours(series: pd.Series) -> pd.Series:
    return series.astype(float).round(1)


def _quarter_label(year: int, q: int) -> str:
    return _("%(year)s年第%(q)s季度") % {"year": year, "q": q}


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _local_dates(series: pd.Series) -> pd.Series:
    """Aware datetimes → local calendar dates (Asia/Shanghai)."""
    if series.empty:
        return pd.Series([], dtype="object", index=series.index)
    stamps = pd.to_datetime(series, utc=True).dt.tz_convert(timezone.get_current_timezone_name())
    return stamps.dt.date


def people(scope: ReportScope, *, on_duty_only: bool = True) -> pd.DataFrame:
    """The people of the enterprises: those on duty (在岗), or everyone (exam,
    warning and apprenticeship figures count people since gone on leave). One query."""
    qs = Employee.objects.filter(enterprise_id__in=scope.enterprise_ids)
    if on_duty_only:
        qs = qs.filter(status=Employee.Status.ACTIVE)
    return _frame(qs.values_list("pk", "enterprise_id", "org_unit_id"), ["employee_id", "enterprise_id", "unit_id"])


def enterprise_names(scope: ReportScope) -> dict[int, str]:
    return dict(Enterprise.objects.filter(pk__in=scope.enterprise_ids).values_list("pk", "name"))


def _unit_labels(scope: ReportScope, several: bool) -> dict:
    labels = {}
    for pk, name, ent in OrgUnit.objects.filter(enterprise_id__in=scope.enterprise_ids).values_list(
            "pk", "name", "enterprise__name"):
        labels[pk] = f"{ent} · {name}" if several else name
    return labels


def _post_labels(scope: ReportScope, several: bool) -> dict:
    labels = {}
    for pk, name, code, ent in Post.objects.filter(enterprise_id__in=scope.enterprise_ids).values_list(
            "pk", "name", "code", "enterprise__name"):
        labels[pk] = f"{ent} · {name}（{code}）" if several else f"{name}（{code}）"
    return labels


def current_posts(scope: ReportScope) -> pd.DataFrame:
    """Who is on which post on the as-of day (one row per person and post). One query."""
    return _frame(
        PostAssignment.objects.filter(employee__enterprise_id__in=scope.enterprise_ids, start_date__lte=scope.as_of)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=scope.as_of))
        .values_list("employee_id", "post_id").distinct(),
        ["employee_id", "post_id"],
    )


def group_people(scope: ReportScope, persons: pd.DataFrame, by: str) -> pd.DataFrame:
    """employee_id → (key, label) for the dimension ``by`` (enterprise, unit, post).
    A person on two posts counts under each; one on none under 未上岗."""
    several = len(scope.enterprise_ids) > 1
    if by == "enterprise":
        names = enterprise_names(scope)
        out = persons[["employee_id", "enterprise_id"]].rename(columns={"enterprise_id": "key"})
        out["label"] = out["key"].map(names)
    elif by == "unit":
        labels = _unit_labels(scope, several)
        out = persons[["employee_id", "unit_id"]].rename(columns={"unit_id": "key"})
        out["key"] = out["key"].fillna(0).astype(int)
        out["label"] = out["key"].map(labels).fillna(_("未分配单位"))
    elif by == "post":
        labels = _post_labels(scope, several)
        posts = current_posts(scope)
        out = persons[["employee_id"]].merge(posts, on="employee_id", how="left").rename(columns={"post_id": "key"})
        out["key"] = out["key"].fillna(0).astype(int)
        out["label"] = out["key"].map(labels).fillna(_("未上岗"))
    else:
        raise ValueError(by)
    return out[["employee_id", "key", "label"]]


def _groups_sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in label order, with the catch-all groups (key 0) last."""
    frame = frame.assign(_last=frame["key"] == 0).sort_values(["_last", "label"], kind="stable")
    return frame.drop(columns=["_last"]).reset_index(drop=True)


# --- 培训覆盖与学时 ------------------------------------------------------------------------------


def records(scope: ReportScope, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Training records that began between ``start`` and ``end`` (local days),
    less every record a later correction replaces (the correction counts instead).
    Two queries."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    base = TrainingRecord.objects.filter(employee__enterprise_id__in=scope.enterprise_ids)
    frame = _frame(
        base.filter(start_at__gte=lo, start_at__lt=hi).values_list("pk", "employee_id", "hours", "start_at"),
        ["record_id", "employee_id", "hours", "start_at"],
    )
    corrected = set(base.filter(corrects__isnull=False).values_list("corrects_id", flat=True))
    if corrected:
        frame = frame[~frame["record_id"].isin(corrected)]
    frame = frame.assign(hours=frame["hours"].map(float) if len(frame) else pd.Series(dtype=float))
    frame["day"] = _local_dates(frame["start_at"])
    frame["quarter"] = frame["day"].map(lambda d: (d.month - 1) // 3 + 1) if len(frame) else pd.Series(dtype=int)
    return frame


def obligations_due(scope: ReportScope, start: dt.date, end: dt.date, kinds=None) -> pd.DataFrame:
    """Obligations (not void) due between ``start`` and ``end``, with the hours
    they credit (never more than they require) and whether each is overdue on
    the as-of day. One query."""
    qs = Obligation.objects.filter(
        employee__enterprise_id__in=scope.enterprise_ids, due_date__gte=start, due_date__lte=end,
    ).exclude(status=Obligation.Status.VOID)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    frame = _frame(
        qs.values_list("employee_id", "kind", "min_hours", "completed_hours", "status", "due_date"),
        ["employee_id", "kind", "min_hours", "completed_hours", "status", "due_date"],
    )
    if frame.empty:
        for column, dtype in (("credited", float), ("overdue", bool), ("met", bool), ("due_soon", bool), ("quarter", int)):
            frame[column] = pd.Series(dtype=dtype)
        frame["min_hours"] = frame["min_hours"].astype(float)
        return frame
    frame["min_hours"] = frame["min_hours"].map(float)
    frame["completed_hours"] = frame["completed_hours"].map(float)
    frame["met"] = frame["status"] == Obligation.Status.MET
    # Hours a met obligation asked for are all credited; an open one counts what was done so far.
    frame["credited"] = frame["min_hours"].where(frame["met"], frame[["completed_hours", "min_hours"]].min(axis=1))
    frame["overdue"] = ~frame["met"] & (frame["due_date"] < scope.as_of)
    soon = scope.as_of + dt.timedelta(days=DUE_SOON_DAYS)
    frame["due_soon"] = ~frame["met"] & ~frame["overdue"] & (frame["due_date"] <= soon)
    frame["quarter"] = frame["due_date"].map(lambda d: (d.month - 1) // 3 + 1)
    return frame


COVERAGE_COLUMNS = [
    Column("headcount", gettext_lazy("在岗人数")),
    Column("trained", gettext_lazy("参训人数")),
    Column("coverage", gettext_lazy("培训覆盖率"), "pct"),
    Column("hours", gettext_lazy("已修学时"), "hours"),
    Column("hours_per_head", gettext_lazy("人均学时"), "hours"),
    Column("required", gettext_lazy("应修学时"), "hours"),
    Column("credited", gettext_lazy("计入义务学时"), "hours"),
    Column("completion", gettext_lazy("学时完成率"), "pct"),
    Column("overdue_people", gettext_lazy("逾期未完成人数")),
    Column("compliant", gettext_lazy("达标率"), "pct"),
]


def _per_person(persons: pd.DataFrame, recs: pd.DataFrame, obls: pd.DataFrame) -> pd.DataFrame:
    per = pd.DataFrame(index=pd.Index(persons["employee_id"].unique(), name="employee_id"))
    per["hours"] = recs.groupby("employee_id")["hours"].sum().reindex(per.index).fillna(0.0)
    per["trained"] = per["hours"] > 0
    per["required"] = obls.groupby("employee_id")["min_hours"].sum().reindex(per.index).fillna(0.0)
    per["credited"] = obls.groupby("employee_id")["credited"].sum().reindex(per.index).fillna(0.0)
    per["overdue"] = obls.groupby("employee_id")["overdue"].any().reindex(per.index).fillna(False).astype(bool)
    return per.reset_index()


def _coverage_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived columns from the summed ones (same formulas for groups and the total)."""
    frame = frame.copy()
    frame["hours"] = _hours(frame["hours"])
    frame["required"] = _hours(frame["required"])
    frame["credited"] = _hours(frame["credited"])
    frame["coverage"] = _ratio(frame["trained"], frame["headcount"])
    frame["hours_per_head"] = _hours(frame["hours"] / frame["headcount"].where(frame["headcount"] != 0))
    frame["completion"] = _ratio(frame["credited"], frame["required"])
    frame["compliant"] = _ratio(frame["headcount"] - frame["overdue_people"], frame["headcount"])
    return frame


def _sum_people(per: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return per.groupby(keys, dropna=False).agg(
        headcount=("employee_id", "nunique"), trained=("trained", "sum"), hours=("hours", "sum"),
        required=("required", "sum"), credited=("credited", "sum"), overdue_people=("overdue", "sum"),
    ).reset_index()


def coverage(scope: ReportScope) -> Table:
    """培训覆盖与学时: who trained, how many hours, against the hours their
    obligations (the rules of RULES.md applied to each person) ask this year."""
    persons = people(scope)
    recs = records(scope, scope.year_start, scope.year_end)
    recs = recs[recs["employee_id"].isin(persons["employee_id"])]
    obls = obligations_due(scope, scope.year_start, scope.year_end)
    obls = obls[obls["employee_id"].isin(persons["employee_id"])]
    total_per = _per_person(persons, recs, obls).assign(all=1)
    if len(total_per):
        total = _coverage_figures(_sum_people(total_per, ["all"])).to_dict("records")[0]
    else:  # an enterprise with nobody on duty yet
        total = _coverage_figures(pd.DataFrame([{
            "headcount": 0, "trained": 0, "hours": 0.0, "required": 0.0, "credited": 0.0, "overdue_people": 0}])
        ).to_dict("records")[0]
    if scope.by == "quarter":
        rows = []
        for q in range(1, 5):
            per = _per_person(persons, recs[recs["quarter"] == q], obls[obls["quarter"] == q]).assign(key=q)
            row = _sum_people(per, ["key"]) if len(per) else pd.DataFrame(
                [{"key": q, "headcount": 0, "trained": 0, "hours": 0.0, "required": 0.0, "credited": 0.0, "overdue_people": 0}])
            row["label"] = _quarter_label(scope.year, q)
            rows.append(row)
        frame = _coverage_figures(pd.concat(rows, ignore_index=True))
    else:
        grouped = group_people(scope, persons, scope.by).merge(_per_person(persons, recs, obls), on="employee_id")
        frame = _groups_sorted(_coverage_figures(_sum_people(grouped, ["key", "label"])))
    table = Table(
        [Column("label", _dimension_label(scope.by), "text"), *COVERAGE_COLUMNS], frame, {"label": _("合计"), **total},
        note=_("应修学时为本年度到期的培训义务所要求的学时（按国家和本企业的培训规则逐人生成）；计入义务学时不超过各项义务的要求，"
               "多学的学时不抵他人的欠缺。达标率为没有逾期未完成义务的人员比例。"),
    )
    table.chart = chart(table, ["coverage", "completion", "compliant"], percent=True)
    return table


# --- 待完成与逾期的培训义务 --------------------------------------------------------------------


OBLIGATION_COLUMNS = [
    Column("owed", gettext_lazy("义务数")),
    Column("met", gettext_lazy("已完成")),
    Column("open_later", gettext_lazy("未到期")),
    Column("due_soon", gettext_lazy("30 天内到期")),
    Column("overdue", gettext_lazy("已逾期")),
    Column("met_rate", gettext_lazy("完成率"), "pct"),
]


def _obligation_figures(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["met_rate"] = _ratio(frame["met"], frame["owed"])
    return frame


def _sum_obligations(obls: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    obls = obls.assign(open_later=~obls["met"] & ~obls["overdue"] & ~obls["due_soon"])
    return obls.groupby(keys, dropna=False).agg(
        owed=("employee_id", "size"), met=("met", "sum"), open_later=("open_later", "sum"),
        due_soon=("due_soon", "sum"), overdue=("overdue", "sum"),
    ).reset_index()


def obligations(scope: ReportScope) -> Table:
    """培训义务完成情况: this year's obligations, met, not yet due, due within
    30 days, overdue — by kind, enterprise, unit or post."""
    persons = people(scope)
    obls = obligations_due(scope, scope.year_start, scope.year_end)
    obls = obls[obls["employee_id"].isin(persons["employee_id"])]
    total = _obligation_figures(_sum_obligations(obls.assign(all=1), ["all"])).to_dict("records")[0] if len(obls) else {
        "owed": 0, "met": 0, "open_later": 0, "due_soon": 0, "overdue": 0, "met_rate": float("nan")}
    if scope.by == "kind":
        labels = dict(ObligationKind.choices)
        frame = _sum_obligations(obls.rename(columns={"kind": "key"}), ["key"]) if len(obls) else _empty(OBLIGATION_COLUMNS)
        frame["label"] = frame["key"].map(lambda k: str(labels.get(k, k)))
        order = {k: i for i, k in enumerate(labels)}
        frame = frame.assign(_o=frame["key"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    else:
        grouped = group_people(scope, persons, scope.by).merge(obls, on="employee_id")
        frame = _groups_sorted(_sum_obligations(grouped, ["key", "label"])) if len(grouped) else _empty(OBLIGATION_COLUMNS)
    frame = _obligation_figures(frame)
    table = Table([Column("label", _dimension_label(scope.by), "text"), *OBLIGATION_COLUMNS], frame,
                  {"label": _("合计"), **total},
                  note=_("本年度到期的培训义务（已失效的不计）。逾期：截止日期已过仍未完成。"))
    table.chart = chart(table, ["met", "open_later", "due_soon", "overdue"], stacked=True)
    return table


def _empty(columns: list[Column]) -> pd.DataFrame:
    return pd.DataFrame(columns=["key", "label", *[c.key for c in columns]])


def _dimension_label(by: str) -> str:
    return str(dict(DIMENSIONS).get(by, by))


DIMENSIONS = [
    ("enterprise", gettext_lazy("企业")),
    ("unit", gettext_lazy("单位")),
    ("post", gettext_lazy("岗位")),
    ("quarter", gettext_lazy("季度")),
    ("kind", gettext_lazy("类别")),
    ("month", gettext_lazy("月份")),
    ("exam", gettext_lazy("考试")),
]


# --- chart series ------------------------------------------------------------------------------


def chart(table: Table, keys: list[str], *, percent: bool = False, stacked: bool = False) -> dict:
    """The Chart.js data for ``keys`` of ``table``: the same rounded figures the table shows
    (percentages ×100), for at most CHART_MAX_GROUPS groups."""
    columns = {c.key: c for c in table.columns}
    frame = table.frame.head(CHART_MAX_GROUPS)
    datasets = []
    for key in keys:
        values = frame[key].tolist() if key in frame else []
        if columns[key].kind == "pct":
            values = [None if v is None or pd.isna(v) else round(float(v) * 100, 1) for v in values]
        else:
            values = [None if v is None or pd.isna(v) else _cell(v) for v in values]
        datasets.append({"key": key, "label": str(columns[key].label), "data": values})
    return {
        "type": "bar", "percent": percent, "stacked": stacked,
        "labels": [str(v) for v in frame["label"].tolist()],
        "datasets": datasets,
        "truncated": len(table.frame) > CHART_MAX_GROUPS,
    }


# --- 在岗未达标 ----------------------------------------------------------------------------------

REASON_LABELS = {
    "EMPLOYEE_ON_LEAVE": gettext_lazy("人员离岗"),
    "INDUCTION_LEVEL_MISSING": gettext_lazy("三级安全教育未完成"),
    "HOURS_SHORT": gettext_lazy("学时不足"),
    "EXAM_NOT_PASSED": gettext_lazy("考核未合格"),
    "RETRAINING_REQUIRED": gettext_lazy("须再培训"),
    "NEW_PROCESS_TRAINING_MISSING": gettext_lazy("四新培训未完成"),
    "OFF_POST_RETRAINING_REQUIRED": gettext_lazy("违规离岗再培训未完成"),
    "APPRENTICESHIP_INCOMPLETE": gettext_lazy("师带徒未出师"),
    "PRINCIPAL_TRAINING_MISSING": gettext_lazy("负责人培训未完成"),
    "REFRESHER_OVERDUE": gettext_lazy("年度再培训逾期"),
    "CERT_MISSING": gettext_lazy("缺少证书"),
    "CERT_EXPIRED": gettext_lazy("证书过期"),
    "CERT_REVIEW_OVERDUE": gettext_lazy("证书逾期未复审"),
}

LAPSED_COLUMNS = [
    Column("on_post", gettext_lazy("在岗人次")),
    Column("lapsed", gettext_lazy("未达标人次")),
    Column("lapsed_rate", gettext_lazy("未达标率"), "pct"),
    Column("main_reason", gettext_lazy("主要原因"), "text"),
]


def lapsed(scope: ReportScope) -> Table:
    """在岗未达标: people working a post whose clearance for it has lapsed on
    the as-of day (the clearance service's own answer, apprentices under a
    mentor excepted as on the 在岗未达标 page). Constant queries per enterprise."""

    persons = people(scope)
    on_post = current_posts(scope).merge(persons, on="employee_id")
    found = []
    for enterprise in Enterprise.objects.filter(pk__in=scope.enterprise_ids).order_by("pk"):
        for assignment, clearance in lapsed_on_post(enterprise=enterprise, on_date=scope.as_of):
            code = clearance.reasons[0].code if clearance.reasons else ""
            found.append((assignment.employee_id, assignment.post_id, code))
    bad = _frame(dict.fromkeys(found), ["employee_id", "post_id", "reason"]).drop_duplicates(["employee_id", "post_id"])
    on_post = on_post.merge(bad, on=["employee_id", "post_id"], how="left")
    on_post["is_lapsed"] = on_post["reason"].notna()
    if scope.by == "post":
        labels = _post_labels(scope, len(scope.enterprise_ids) > 1)
        grouped = on_post.assign(key=on_post["post_id"], label=on_post["post_id"].map(labels))
    else:
        groups = group_people(scope, persons, scope.by).drop_duplicates("employee_id")
        grouped = on_post.merge(groups, on="employee_id")

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=[*keys, "on_post", "lapsed", "main_reason"])
        out = frame.groupby(keys).agg(on_post=("post_id", "size"), lapsed=("is_lapsed", "sum")).reset_index()
        reasons = frame[frame["is_lapsed"]].groupby(keys)["reason"].agg(lambda s: s.value_counts().index[0])
        out = out.merge(reasons.rename("main_reason").reset_index(), on=keys, how="left")
        out["main_reason"] = out["main_reason"].map(lambda c: str(REASON_LABELS.get(c, c)) if isinstance(c, str) else "")
        return out

    frame = summarise(grouped, ["key", "label"])
    frame["lapsed_rate"] = _ratio(frame["lapsed"], frame["on_post"]) if len(frame) else pd.Series(dtype=float)
    frame = _groups_sorted(frame) if len(frame) else frame
    total_frame = summarise(on_post.assign(all=1), ["all"])
    total = total_frame.to_dict("records")[0] if len(total_frame) else {"on_post": 0, "lapsed": 0, "main_reason": ""}
    total["lapsed_rate"] = _ratio(total["lapsed"], total["on_post"])
    table = Table([Column("label", _dimension_label(scope.by), "text"), *LAPSED_COLUMNS], frame,
                  {"label": _("合计"), **total},
                  note=_("截至 %(day)s 仍在岗、但按准入规则已不具备上岗资格的人次（跟岗学徒只差出师的不计）。") % {"day": scope.as_of})
    table.chart = chart(table, ["on_post", "lapsed"])
    return table


# --- 考试合格率 ----------------------------------------------------------------------------------

EXAM_COLUMNS = [
    Column("attempts", gettext_lazy("考试人次")),
    Column("examinees", gettext_lazy("参考人数")),
    Column("passed", gettext_lazy("合格人数")),
    Column("pass_rate", gettext_lazy("合格率"), "pct"),
    Column("first_pass_rate", gettext_lazy("一次通过率"), "pct"),
    Column("avg_score", gettext_lazy("平均分"), "number"),
]


def exams(scope: ReportScope) -> Table:
    """考试合格率: graded attempts of the year (online and paper), by exam,
    quarter, enterprise or unit. A person passes a group if any attempt there passed."""

    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(scope.year_start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(scope.year_end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    frame = _frame(
        Attempt.objects.filter(exam__enterprise_id__in=scope.enterprise_ids, status=Attempt.Status.GRADED,
                               graded_at__gte=lo, graded_at__lt=hi)
        .values_list("employee_id", "exam_id", "exam__title", "exam__opens_at", "number", "passed", "score", "graded_at"),
        ["employee_id", "exam_id", "title", "opens_at", "number", "passed", "score", "graded_at"],
    )
    frame["passed"] = frame["passed"].fillna(False).astype(bool)
    frame["score"] = frame["score"].map(lambda v: float(v) if v is not None else float("nan"))
    frame["first_pass"] = frame["passed"] & (frame["number"] == 1)
    if scope.by == "exam":
        frame["key"] = frame["exam_id"]
        frame["label"] = [f"{t}（{_local_dates(pd.Series([o])).iloc[0]:%Y-%m-%d}）" for t, o in
                          zip(frame["title"], frame["opens_at"])] if len(frame) else []
    elif scope.by == "quarter":
        frame["key"] = _local_dates(frame["graded_at"]).map(lambda d: (d.month - 1) // 3 + 1) if len(frame) else []
        frame["label"] = frame["key"].map(lambda q: _quarter_label(scope.year, q))
    else:
        persons = people(scope, on_duty_only=False)
        groups = group_people(scope, persons, scope.by).drop_duplicates("employee_id")
        frame = frame.merge(groups, on="employee_id")

    def summarise(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        if f.empty:
            return pd.DataFrame(columns=[*keys, *[c.key for c in EXAM_COLUMNS]])
        by_person = f.groupby([*keys, "employee_id"]).agg(passed=("passed", "any"), first_pass=("first_pass", "any"))
        people_sum = by_person.groupby(keys).agg(examinees=("passed", "size"), passed=("passed", "sum"),
                                                 first=("first_pass", "sum"))
        out = f.groupby(keys).agg(attempts=("employee_id", "size"), avg_score=("score", "mean")).join(people_sum)
        out["pass_rate"] = _ratio(out["passed"], out["examinees"])
        out["first_pass_rate"] = _ratio(out["first"], out["examinees"])
        out["avg_score"] = out["avg_score"].astype(float).round(1)
        return out.drop(columns="first").reset_index()

    grouped = summarise(frame, ["key", "label"])
    if scope.by == "quarter":
        grouped = grouped.sort_values("key").reset_index(drop=True)
    elif scope.by == "exam":
        grouped = grouped.sort_values("label").reset_index(drop=True)
    elif len(grouped):
        grouped = _groups_sorted(grouped)
    total_frame = summarise(frame.assign(all=1), ["all"])
    # No graded attempt: counts are 0, rates and the average are no figure ("—"), not 0 %.
    total = total_frame.to_dict("records")[0] if len(total_frame) else {
        c.key: (None if c.kind == "pct" or c.key == "avg_score" else 0) for c in EXAM_COLUMNS}
    table = Table([Column("label", _dimension_label(scope.by), "text"), *EXAM_COLUMNS], grouped,
                  {"label": _("合计"), **total},
                  note=_("本年度已评分的答卷（含线下纸质考试）。合格人数：该组内任一次考试合格的人数；一次通过率：第一次考试即合格的比例。"))
    table.chart = chart(table, ["pass_rate", "first_pass_rate"], percent=True)
    return table


# --- 证书到期预测 --------------------------------------------------------------------------------

CERTIFICATE_COLUMNS = [
    Column("expiring", gettext_lazy("有效期届满")),
    Column("review_due", gettext_lazy("复审到期")),
    Column("special_op", gettext_lazy("其中特种作业操作证")),
]


def certificates(scope: ReportScope) -> Table:
    """证书到期预测: current certificates (valid or suspended) whose validity or
    review falls due in each of the next 12 months from the as-of day, with
    those already lapsed in a first row — or the same by certificate kind."""

    frame = _frame(
        Certificate.objects.filter(employee__enterprise_id__in=scope.enterprise_ids, status__in=Certificate.CURRENT,
                                   employee__status=Employee.Status.ACTIVE)
        .values_list("pk", "kind", "valid_until", "next_review_due"),
        ["certificate_id", "kind", "valid_until", "next_review_due"],
    )
    first = scope.as_of.replace(day=1)
    months = [(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1) for i in range(12)]
    horizon = dt.date(months[-1][0] + months[-1][1] // 12, months[-1][1] % 12 + 1, 1)

    def bucket(day):
        if day is None or pd.isna(day):
            return None
        if day < scope.as_of:
            return 0
        if day >= horizon:
            return None
        return months.index((day.year, day.month)) + 1

    frame["expiry_bucket"] = frame["valid_until"].map(bucket)
    frame["review_bucket"] = frame["next_review_due"].map(bucket)
    frame["is_special"] = frame["kind"] == CertificateKind.SPECIAL_OPERATION
    frame["any_bucket"] = frame[["expiry_bucket", "review_bucket"]].min(axis=1)
    if scope.by == "kind":
        labels = dict(CertificateKind.choices)
        rows = []
        for kind, label in labels.items():
            part = frame[frame["kind"] == kind]
            if part.empty:
                continue
            rows.append({"key": kind, "label": str(label), **_cert_counts(part)})
        grouped = pd.DataFrame(rows, columns=["key", "label", *[c.key for c in CERTIFICATE_COLUMNS]])
    else:
        rows = [{"key": 0, "label": _("已过期/逾期未复审"), **_cert_counts(frame, bucket=0)}]
        for i, (year, month) in enumerate(months, start=1):
            rows.append({"key": i, "label": _("%(year)s年%(month)s月") % {"year": year, "month": month},
                         **_cert_counts(frame, bucket=i)})
        grouped = pd.DataFrame(rows)
    total = {"label": _("合计"), **_cert_counts(frame)}
    table = Table([Column("label", _dimension_label(scope.by or "month"), "text"), *CERTIFICATE_COLUMNS], grouped, total,
                  note=_("在岗人员现行有效（含暂停）的证书；自 %(day)s 起 12 个月内有效期届满或须复审的张数，已过期或逾期未复审的列在首行。")
                  % {"day": scope.as_of})
    table.chart = chart(table, ["expiring", "review_due"], stacked=False)
    return table


def _cert_counts(frame: pd.DataFrame, bucket=None) -> dict:
    if bucket is None:
        expiring = frame["expiry_bucket"].notna()
        review = frame["review_bucket"].notna()
        special = frame["any_bucket"].notna() & frame["is_special"]
    else:
        expiring = frame["expiry_bucket"] == bucket
        review = frame["review_bucket"] == bucket
        special = (expiring | review) & frame["is_special"]
    return {"expiring": int(expiring.sum()), "review_due": int(review.sum()), "special_op": int(special.sum())}


# --- 警示教育覆盖 --------------------------------------------------------------------------------

WARNING_COLUMNS = [
    Column("owed", gettext_lazy("应参加人数")),
    Column("met", gettext_lazy("已完成人数")),
    Column("missing", gettext_lazy("未完成人数")),
    Column("coverage", gettext_lazy("覆盖率"), "pct"),
]


def warning(scope: ReportScope) -> Table:
    """警示教育覆盖: the quarterly warning-education obligations of the year,
    met or not, by quarter, enterprise or unit."""
    qs = Obligation.objects.filter(
        employee__enterprise_id__in=scope.enterprise_ids, kind=ObligationKind.WARNING,
        cycle__in=[f"{scope.year}Q{q}" for q in range(1, 5)],
    ).exclude(status=Obligation.Status.VOID)
    frame = _frame(qs.values_list("employee_id", "cycle", "status"), ["employee_id", "cycle", "status"])
    frame["met"] = frame["status"] == Obligation.Status.MET
    if scope.by == "quarter":
        frame["key"] = frame["cycle"].map(lambda c: int(c[-1]))
        frame["label"] = frame["key"].map(lambda q: _quarter_label(scope.year, q))
    else:
        persons = people(scope, on_duty_only=False)
        frame = frame.merge(group_people(scope, persons, scope.by).drop_duplicates("employee_id"), on="employee_id")

    def summarise(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        if f.empty:
            return pd.DataFrame(columns=[*keys, "owed", "met", "missing", "coverage"])
        out = f.groupby(keys).agg(owed=("employee_id", "size"), met=("met", "sum")).reset_index()
        out["missing"] = out["owed"] - out["met"]
        out["coverage"] = _ratio(out["met"], out["owed"])
        return out

    grouped = summarise(frame, ["key", "label"])
    if scope.by == "quarter":
        present = set(grouped["key"])
        filler = [{"key": q, "label": _quarter_label(scope.year, q), "owed": 0, "met": 0, "missing": 0,
                   "coverage": float("nan")} for q in range(1, 5) if q not in present]
        grouped = pd.concat([grouped, pd.DataFrame(filler)], ignore_index=True) if filler else grouped
        grouped = grouped.sort_values("key").reset_index(drop=True)
    elif len(grouped):
        grouped = _groups_sorted(grouped)
    total_frame = summarise(frame.assign(all=1), ["all"])
    total = total_frame.to_dict("records")[0] if len(total_frame) else {"owed": 0, "met": 0, "missing": 0,
                                                                     "coverage": float("nan")}
    table = Table([Column("label", _dimension_label(scope.by), "text"), *WARNING_COLUMNS], grouped,
                  {"label": _("合计"), **total},
                  note=_("每季度一次的警示教育义务（人次）；未开始的季度还没有义务。"))
    table.chart = chart(table, ["coverage"], percent=True)
    return table


# --- 师带徒 --------------------------------------------------------------------------------------

APPRENTICESHIP_COLUMNS = [
    Column("running", gettext_lazy("带徒中")),
    Column("overdue", gettext_lazy("期满未出师")),
    Column("completed", gettext_lazy("本年出师")),
    Column("ended", gettext_lazy("本年终止")),
]


def apprenticeship(scope: ReportScope) -> Table:
    """师带徒: pairings running (and those past their planned end without
    出师), completed and ended this year, by unit, post or enterprise. A
    pairing that ended because the mentor left and went on under a new mentor
    is not counted as ended."""

    A = Apprenticeship
    frame = _frame(
        A.objects.filter(apprentice__enterprise_id__in=scope.enterprise_ids)
        .values_list("apprentice_id", "post_id", "status", "planned_end", "completed_on", "ended_on", "end_reason"),
        ["employee_id", "post_id", "status", "planned_end", "completed_on", "ended_on", "end_reason"],
    )
    in_year = lambda d: d is not None and not pd.isna(d) and scope.year_start <= d <= scope.year_end  # noqa: E731
    frame["running"] = frame["status"] == A.Status.RUNNING
    frame["overdue"] = frame["running"] & (frame["planned_end"] < scope.as_of)
    frame["completed"] = (frame["status"] == A.Status.COMPLETED) & frame["completed_on"].map(in_year).astype(bool)
    frame["ended"] = ((frame["status"] == A.Status.ENDED) & frame["ended_on"].map(in_year).astype(bool)
                      & ~frame["end_reason"].isin(list(A.REPAIR_REASONS)))
    if scope.by == "post":
        labels = _post_labels(scope, len(scope.enterprise_ids) > 1)
        frame = frame.assign(key=frame["post_id"], label=frame["post_id"].map(labels))
    else:
        persons = people(scope, on_duty_only=False)
        frame = frame.merge(group_people(scope, persons, scope.by).drop_duplicates("employee_id"), on="employee_id")
    counted = ["running", "overdue", "completed", "ended"]

    def summarise(f, keys):
        if f.empty:
            return pd.DataFrame(columns=[*keys, *counted])
        return f.groupby(keys)[counted].sum().reset_index()

    grouped = summarise(frame, ["key", "label"])
    grouped = grouped[grouped[counted].sum(axis=1) > 0] if len(grouped) else grouped
    grouped = _groups_sorted(grouped) if len(grouped) else grouped
    total_frame = summarise(frame.assign(all=1), ["all"])
    total = total_frame.to_dict("records")[0] if len(total_frame) else dict.fromkeys(counted, 0)
    table = Table([Column("label", _dimension_label(scope.by), "text"), *APPRENTICESHIP_COLUMNS], grouped,
                  {"label": _("合计"), **total},
                  note=_("期满未出师：计划期满日期已过仍在带徒。师傅离岗后重新指定师傅接续的，不计为终止。"))
    table.chart = chart(table, counted, stacked=True)
    return table
