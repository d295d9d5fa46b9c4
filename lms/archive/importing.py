"""Import of the paper-era training archive (历史培训档案) from .xlsx / .csv.

So an enterprise can bring its existing archive in on day one. Like every
import: all rows are written or none; every bad row is reported with its
row number, column and a reason in Chinese. Each row becomes one training
record appended through :func:`lms.archive.services.record_append` (the
archive's only write, which keeps every person's hash chain), marked
``source="historical"`` with the file name and row number as its reference.

A row identical to a record already in that person's archive is skipped
with a notice ("已存在，跳过"), so importing the same file twice writes
nothing the second time. After writing, each affected person's obligations
are evaluated once, so historical induction counts at once.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.worksheet.datavalidation import DataValidation

from lms.imports import Column, RowError, chunks, first_message, parse_datetime
from lms.imports.spec import ImportSpec, RowsRejected, error_dicts
from lms.imports.templates import list_validation
from lms.workforce.models import Employee, Enterprise, Post

from .models import AssessmentResult, RecordSource, TrainingKind, TrainingLevel, TrainingRecord
from .signals import records_appended


TEMPLATE_FILENAME = "历史培训档案导入模板.xlsx"
# Every row is one record_append (one locked, hash-chained write): a file
# this size takes about a minute; bigger archives go in several files.
MAX_ROWS = 10000

ONE_DECIMAL = Decimal("0.1")
MAX_HOURS = Decimal("999.9")
MAX_SCORE = Decimal("100")
# A date-only end time means "during that day": recorded as 23:59.
END_OF_DAY = dt.time(23, 59)


# --- what people write ------------------------------------------------------------

KIND_LABELS = (
    "三级安全教育",
    "转岗复岗再培训",
    "年度再培训",
    "负责人培训",
    "特种作业培训",
    "四新培训",
    "离岗再培训",
    "警示教育",
    "师带徒",
    "其他",
)
_KINDS = {
    TrainingKind.INDUCTION: ("三级安全教育", "三级教育", "入厂三级安全教育", "岗前三级安全教育"),
    TrainingKind.RETRAINING: ("转岗复岗再培训", "转岗/复岗再培训", "转岗、复岗再培训", "转岗再培训", "复岗再培训"),
    TrainingKind.REFRESHER: ("年度再培训", "年度安全再培训", "年度培训"),
    TrainingKind.PRINCIPAL: (
        "负责人培训",
        "主要负责人培训",
        "安全管理人员培训",
        "主要负责人/安全管理人员培训",
        "主要负责人和安全管理人员培训",
    ),
    TrainingKind.SPECIAL_OPERATION: ("特种作业培训", "特种作业人员培训"),
    TrainingKind.NEW_PROCESS: ("四新培训", "四新专项培训"),
    TrainingKind.OFF_POST: ("离岗再培训", "离岗再培训（违规违章）", "违规违章离岗再培训"),
    TrainingKind.WARNING: ("警示教育", "安全警示教育"),
    TrainingKind.APPRENTICESHIP: ("师带徒",),
    TrainingKind.OTHER: ("其他", "其他培训"),
}
# Only these kinds are given per level (令3 §13–§17: 厂级、车间级、班组级).
LEVELLED_KINDS = frozenset({TrainingKind.INDUCTION, TrainingKind.RETRAINING})

LEVEL_LABELS = ("厂级", "车间级", "班组级")
_LEVELS = {
    TrainingLevel.COMPANY: ("厂级", "公司级", "厂级（公司级）", "厂（公司）级"),
    TrainingLevel.WORKSHOP: ("车间级", "车间（工段、区、队）级"),
    TrainingLevel.TEAM: ("班组级",),
}

RESULT_LABELS = ("合格", "不合格", "未考核")
_RESULTS = {
    AssessmentResult.PASSED: ("合格", "通过", "考核合格", "pass"),
    AssessmentResult.FAILED: ("不合格", "未通过", "考核不合格", "fail"),
    AssessmentResult.NOT_ASSESSED: ("未考核", "不考核", "无"),
}


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def _lookup(table: dict) -> dict[str, str]:
    # The code values are accepted too ("induction", "workshop", "passed").
    return {_key(label): str(code) for code, labels in table.items() for label in (*labels, str(code.value))}


_KIND_LOOKUP = _lookup(_KINDS)
_LEVEL_LOOKUP = _lookup(_LEVELS)
_RESULT_LOOKUP = _lookup(_RESULTS)


# --- the columns -----------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_no",
        "工号",
        True,
        gettext_lazy("本企业已有员工的工号（先导入员工名单）。"),
        "A0001",
        aliases=("员工编号", "员工工号", "编号"),
        text=True,
    ),
    Column(
        "name",
        "姓名",
        False,
        gettext_lazy("可留空；填写时须与该工号员工的姓名一致，用于核对。"),
        "张三",
        aliases=("员工姓名",),
        width=10,
    ),
    Column(
        "kind",
        "培训类别",
        True,
        gettext_lazy(
            "三级安全教育、转岗复岗再培训、年度再培训、负责人培训、特种作业培训、四新培训、离岗再培训、警示教育、"
            "师带徒、其他 之一。"
        ),
        "三级安全教育",
        aliases=("培训类型", "类别"),
        width=16,
    ),
    Column(
        "level",
        "教育层级",
        False,
        gettext_lazy("厂级、车间级、班组级 之一。三级安全教育和转岗复岗再培训必须填写，其他类别留空。"),
        "厂级",
        aliases=("层级", "培训层级", "教育级别"),
        width=10,
    ),
    Column(
        "post",
        "岗位编码",
        False,
        gettext_lazy("培训针对的岗位（系统中已建的岗位编码）。车间级、班组级教育和岗位专项培训宜填写；可留空。"),
        "",
        aliases=("岗位代码", "岗位"),
        text=True,
    ),
    Column(
        "title",
        "培训名称",
        True,
        gettext_lazy("最长 200 个字。"),
        "新员工厂级安全教育",
        aliases=("培训项目", "课程名称"),
        width=22,
    ),
    Column(
        "content",
        "培训内容",
        True,
        gettext_lazy("培训的主要内容。"),
        "安全生产法律法规、本企业安全生产情况及规章制度、典型事故案例",
        aliases=("培训主要内容", "内容"),
        width=36,
    ),
    Column(
        "start",
        "开始时间",
        True,
        gettext_lazy("如 2019-03-01 08:30；只填日期时按当天 0:00 记录。也接受 2019/3/1、2019年3月1日 和 Excel 日期。"),
        "",  # a real date-time cell in the template
        aliases=("培训开始时间", "开始日期", "培训日期"),
        width=18,
    ),
    Column(
        "end",
        "结束时间",
        True,
        gettext_lazy("不能早于开始时间，不能晚于现在；只填日期时按当天 23:59 记录。"),
        "",
        aliases=("培训结束时间", "结束日期"),
        width=18,
    ),
    Column("place", "地点", True, gettext_lazy("最长 200 个字。"), "公司培训教室", aliases=("培训地点",), width=16),
    Column(
        "hours",
        "学时",
        True,
        gettext_lazy("0 到 999.9 之间的数字，最多一位小数。"),
        "8",
        aliases=("培训学时", "课时"),
        width=8,
    ),
    Column(
        "trainer",
        "授课人",
        True,
        gettext_lazy("授课人或组织者，最长 100 个字。"),
        "王安全",
        aliases=("授课教师", "培训教师", "讲师", "授课人/组织者", "组织者"),
        width=12,
    ),
    Column(
        "assessment_method",
        "考核方式",
        False,
        gettext_lazy("如 笔试、实操、口试，最长 50 个字。可留空。"),
        "笔试",
        aliases=("考核形式",),
        width=10,
    ),
    Column(
        "assessment_result",
        "考核结果",
        False,
        gettext_lazy("合格、不合格、未考核 之一（也接受 通过/未通过）。留空为未考核。"),
        "合格",
        aliases=("考核情况",),
        width=10,
    ),
    Column(
        "score",
        "成绩",
        False,
        gettext_lazy("0 到 100 的数字，可留空；填写成绩时考核结果须为合格或不合格。"),
        "92",
        aliases=("考核成绩", "分数", "得分"),
        width=8,
    ),
)
_HEADER = {c.field: c.header for c in COLUMNS}

EXAMPLE_START = dt.datetime(2019, 3, 1, 8, 30)
EXAMPLE_END = dt.datetime(2019, 3, 1, 17, 0)
_EXAMPLE = {c.field: c.example for c in COLUMNS}

_MAX_LENGTHS = {"title": 200, "place": 200, "trainer": 100, "assessment_method": 50}


# --- results -----------------------------------------------------------------------


@dataclass
class RecordImportResult:
    """What an import did, or why it did nothing. ``skipped`` holds a notice
    per row already in the archive; ``errors`` is empty when it succeeded."""

    total_rows: int
    created: int = 0
    skipped: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    employees: int = 0  # people who received records
    obligations_met: int = 0  # obligations that became met (a real run only)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def failed(cls, errors: list[RowError], total_rows: int = 0) -> RecordImportResult:
        return cls(total_rows=total_rows, errors=errors)

    def counts(self) -> dict:
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "skipped": len(self.skipped),
            "employees": self.employees,
            "obligations_met": self.obligations_met,
        }


# --- checking ----------------------------------------------------------------------


@dataclass
class _Row:
    row: int
    employee: Employee
    fields: dict


def _signature(kind, level, post_id, title, content, start_at, end_at, place, hours, trainer, method, result, score):
    """What makes two records "the same training" for a re-import: every
    field the row carries (not the source, its reference or who entered it);
    text compared without surrounding spaces, as cells are read."""
    return (
        kind,
        level,
        post_id,
        title.strip(),
        content.strip(),
        start_at.timestamp(),
        end_at.timestamp(),
        place.strip(),
        Decimal(hours).quantize(ONE_DECIMAL),
        trainer.strip(),
        method.strip(),
        result,
        None if score is None else Decimal(score).quantize(ONE_DECIMAL),
    )


def _row_signature(r: _Row):
    f = r.fields
    return _signature(
        f["kind"],
        f["level"],
        f["post"].pk if f["post"] else None,
        f["title"],
        f["content"],
        f["start_at"],
        f["end_at"],
        f["place"],
        f["hours"],
        f["trainer"],
        f["assessment_method"],
        f["assessment_result"],
        f["score"],
    )


def _number(text: str, low: Decimal, high: Decimal) -> Decimal | None:
    """A number in [low, high] with at most one decimal (Excel's float noise
    rounded away); None if it is not one."""
    try:
        value = Decimal(unicodedata.normalize("NFKC", text).strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    rounded = value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    if abs(rounded - value) > Decimal("0.000001") or not (low <= rounded <= high):
        return None
    return rounded


def _moment(text: str, *, end: bool) -> dt.datetime | None:
    parsed = parse_datetime(text)
    if parsed is None:
        return None
    day, clock = parsed
    if clock is None:
        clock = END_OF_DAY if end else dt.time(0)
    try:
        return timezone.make_aware(dt.datetime.combine(day, clock))
    except (ValueError, OverflowError):
        return None


def _check_rows(enterprise: Enterprise, df: pd.DataFrame, headers: dict[str, str], employees: dict[str, Employee]):
    """Every row checked against the file and the enterprise's employees and
    posts; returns (rows to write, errors). Constant queries."""
    errors: list[RowError] = []
    err = errors.append
    rows: list[_Row] = []
    now = timezone.now()
    posts = {p.code: p for p in Post.objects.filter(enterprise=enterprise).only("id", "code", "name", "enterprise_id")}
    required = _("必填项不能为空")

    def column(fieldname):
        header = headers.get(fieldname)
        if header is None:
            return [""] * len(df)
        return [str(v).strip() for v in df[header].tolist()]

    cells = {c.field: column(c.field) for c in COLUMNS}
    seen: dict[tuple, int] = {}

    row, ok = 0, True

    def bad(fieldname, reason):
        nonlocal ok
        err(RowError(row, _HEADER[fieldname], reason))
        ok = False

    for i, row in enumerate(df.index.tolist()):  # bad() reports against this ``row``
        value = {name: values[i] for name, values in cells.items()}
        ok = True

        for fieldname in ("employee_no", "kind", "title", "content", "start", "end", "place", "hours", "trainer"):
            if not value[fieldname]:
                bad(fieldname, required)

        # 工号 / 姓名
        employee = None
        if value["employee_no"]:
            employee = employees.get(value["employee_no"])
            if employee is None:
                bad("employee_no", _("工号“%(no)s”在本企业不存在（请先导入员工名单）") % {"no": value["employee_no"]})
            elif value["name"] and _key(value["name"]) != _key(employee.name):
                bad(
                    "name",
                    _("姓名“%(name)s”与工号 %(no)s 的员工“%(actual)s”不一致")
                    % {"name": value["name"], "no": employee.employee_no, "actual": employee.name},
                )

        # 培训类别 / 教育层级
        kind = _KIND_LOOKUP.get(_key(value["kind"])) if value["kind"] else None
        if value["kind"] and kind is None:
            bad(
                "kind",
                _("无法识别的培训类别“%(value)s”，应为 %(choices)s 之一")
                % {"value": value["kind"], "choices": "、".join(KIND_LABELS)},
            )
        level = ""
        if value["level"]:
            level = _LEVEL_LOOKUP.get(_key(value["level"]))
            if level is None:
                bad(
                    "level", _("无法识别的教育层级“%(value)s”，应为 厂级、车间级 或 班组级") % {"value": value["level"]}
                )
                level = ""
            elif kind is not None and kind not in LEVELLED_KINDS:
                bad(
                    "level",
                    _("只有三级安全教育和转岗复岗再培训分层级，“%(kind)s”请把教育层级留空") % {"kind": value["kind"]},
                )
        elif kind in LEVELLED_KINDS:
            bad("level", _("三级安全教育和转岗复岗再培训必须填写教育层级（厂级、车间级或班组级）"))

        # 岗位编码
        post = None
        if value["post"]:
            post = posts.get(value["post"])
            if post is None:
                bad("post", _("岗位编码“%(code)s”在本企业不存在") % {"code": value["post"]})

        # Lengths
        for fieldname, limit in _MAX_LENGTHS.items():
            if len(value[fieldname]) > limit:
                bad(fieldname, _("不能超过 %(n)s 个字") % {"n": limit})

        # 开始时间 / 结束时间
        start = end = None
        start_in_future = False
        if value["start"]:
            start = _moment(value["start"], end=False)
            if start is None:
                bad(
                    "start",
                    _("无法识别的时间“%(value)s”，请写成 2019-03-01 08:30 或 2019-03-01") % {"value": value["start"]},
                )
            elif start > now:
                bad("start", _("开始时间晚于现在：只能导入已经完成的培训"))
                start, start_in_future = None, True
        if value["end"]:
            end = _moment(value["end"], end=True)
            if end is None:
                bad(
                    "end",
                    _("无法识别的时间“%(value)s”，请写成 2019-03-01 17:00 或 2019-03-01") % {"value": value["end"]},
                )
            elif start is not None and end < start:
                bad("end", _("结束时间早于开始时间"))
            elif end > now and not start_in_future:
                bad("end", _("结束时间晚于现在（只填日期时按当天 23:59 计）：只能导入已经完成的培训"))

        # 学时 / 成绩 / 考核结果
        hours = None
        if value["hours"]:
            hours = _number(value["hours"], Decimal("0"), MAX_HOURS)
            if hours is None:
                bad(
                    "hours",
                    _("学时应为 0 到 999.9 之间的数字（最多一位小数），实际为“%(value)s”") % {"value": value["hours"]},
                )
        score = None
        if value["score"]:
            score = _number(value["score"], Decimal("0"), MAX_SCORE)
            if score is None:
                bad(
                    "score",
                    _("成绩应为 0 到 100 之间的数字（最多一位小数），实际为“%(value)s”") % {"value": value["score"]},
                )
        result = AssessmentResult.NOT_ASSESSED.value
        if value["assessment_result"]:
            result = _RESULT_LOOKUP.get(_key(value["assessment_result"]))
        if result is None:
            bad(
                "assessment_result",
                _("无法识别的考核结果“%(value)s”，应为 合格、不合格 或 未考核") % {"value": value["assessment_result"]},
            )
        elif score is not None and result == AssessmentResult.NOT_ASSESSED:
            bad("assessment_result", _("填写了成绩，考核结果应为“合格”或“不合格”"))

        if (value["title"], value["content"], value["trainer"]) == (
            _EXAMPLE["title"],
            _EXAMPLE["content"],
            _EXAMPLE["trainer"],
        ):
            err(RowError(row, "", _("这是模板中的示例行，请删除后再导入")))
            ok = False

        # The same training twice in the file.
        if employee is not None and kind is not None and start is not None:
            key = (employee.pk, kind, level, start)
            if key in seen:
                err(
                    RowError(
                        row,
                        "",
                        _("与第 %(row)s 行重复（同一工号、培训类别、教育层级和开始时间）") % {"row": seen[key]},
                    )
                )
                ok = False
            else:
                seen[key] = row

        if not ok or errors:
            continue  # nothing will be written; keep checking, skip building
        rows.append(
            _Row(
                row=row,
                employee=employee,
                fields={
                    "kind": kind,
                    "level": level,
                    "post": post,
                    "title": value["title"],
                    "content": value["content"],
                    "start_at": start,
                    "end_at": end,
                    "place": value["place"],
                    "hours": hours,
                    "trainer": value["trainer"],
                    "assessment_method": value["assessment_method"],
                    "assessment_result": result,
                    "score": score,
                },
            )
        )
    return rows, errors


def _against_archive(rows: list[_Row]) -> tuple[list[_Row], list[RowError], list[RowError]]:
    """Split checked rows by what the archive already holds: (new rows,
    notices for rows already there, errors for rows that clash with a
    different record of the same training)."""
    employee_ids = sorted({r.employee.pk for r in rows})
    existing: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    for batch in chunks(employee_ids):
        for values in TrainingRecord.objects.filter(employee_id__in=batch).values_list(
            "employee_id",
            "seq",
            "kind",
            "level",
            "post_id",
            "title",
            "content",
            "start_at",
            "end_at",
            "place",
            "hours",
            "trainer",
            "assessment_method",
            "assessment_result",
            "score",
        ):
            employee_id, seq, *fields = values
            signature = _signature(*fields)
            existing[(employee_id, fields[0], fields[1], signature[5])].append((seq, signature))
    new, notices, errors = [], [], []
    for r in rows:
        f = r.fields
        same_training = existing.get((r.employee.pk, f["kind"], f["level"], f["start_at"].timestamp()), ())
        signature = _row_signature(r)
        match = next((seq for seq, other in same_training if other == signature), None)
        if match is not None:
            notices.append(RowError(r.row, "", _("已存在，跳过（与档案第 %(seq)s 条记录相同）") % {"seq": match}))
        elif same_training:
            errors.append(
                RowError(
                    r.row,
                    "",
                    _(
                        "该员工档案中已有同一类别、层级和开始时间的培训记录（第 %(seq)s 条），但内容与本行不同。"
                        "档案不能修改：请核对本行；如原记录有误，请在“培训记录”中录入更正记录"
                    )
                    % {"seq": same_training[0][0]},
                )
            )
        else:
            new.append(r)
    return new, notices, errors


# --- writing -----------------------------------------------------------------------


def _source_ref(filename: str, row: int) -> str:
    """ "历史档案导入：<file> 第 N 行", the file name shortened to fit 200
    characters. Stored (and hashed) text: never translated."""
    head, tail = "历史档案导入：", f" 第 {row} 行"
    room = 200 - len(head) - len(tail)
    name = filename if len(filename) <= room else filename[: max(room - 1, 0)] + "…"
    return f"{head}{name}{tail}"


def _apply(rows: list[_Row], *, actor, filename: str) -> int:
    """Append the rows person by person in the order they were trained, then
    tell once who got records (``records_appended``: their obligations are
    evaluated); returns how many obligations became met. Runs inside the
    caller's transaction."""
    from .services import record_append

    by_employee: dict[int, list[_Row]] = defaultdict(list)
    for r in rows:
        by_employee[r.employee.pk].append(r)
    for employee_rows in by_employee.values():
        employee_rows.sort(key=lambda r: (r.fields["start_at"], r.fields["end_at"], r.row))
        for r in employee_rows:
            try:
                record_append(
                    employee=r.employee,
                    actor=actor,
                    evaluate=False,
                    source=RecordSource.HISTORICAL,
                    source_ref=_source_ref(filename, r.row),
                    **r.fields,
                )
            except ValidationError as exc:
                raise RowsRejected([RowError(r.row, "", first_message(exc))]) from exc
    employees = [by_employee[pk][0].employee for pk in sorted(by_employee)]
    answers = records_appended.send(sender=TrainingRecord, employees=employees)
    return sum(len(met) for _receiver, met in answers)


class RecordImport(ImportSpec):
    """The paper-era archive: one training record per row, appended to the
    archive of the 工号's employee."""

    name = "records"
    columns = COLUMNS
    template_filename = TEMPLATE_FILENAME
    sheet_title = "培训档案"
    instructions = (
        "1. 第 1 行是表头，请勿修改或删除；带 * 的列必须填写。每一行是一名员工参加的一次培训。",
        "2. 第 2 行是示例（灰色斜体），导入前请删除或改成真实记录。",
        "3. 员工须已在系统中（先导入员工名单），按工号对应；填写姓名时会核对是否与工号一致。",
        "4. 同一文件中，同一工号、培训类别、教育层级和开始时间只能出现一次。",
        "5. 与员工档案中已有记录完全相同的行会跳过（提示“已存在，跳过”），重复导入同一文件不会产生重复记录。",
        "6. 导入的记录标记为“历史档案导入”，并注明文件名和行号；培训档案只能追加、不能修改，导入前请仔细核对。",
        "7. 文件中只要有一处错误，整份文件都不会导入；系统会列出每一处错误的行号、列名和原因，改正后重新上传即可。",
        f"8. 支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），单个文件不超过 {MAX_ROWS} 行。"
        "工号请保持“文本”格式，以免丢失开头的 0。",
    )
    notes_widths = (14, 16, 90, 30)
    log_action = "anxun.archive_import"
    integrity_message = gettext_lazy("导入期间档案被他人修改，数据库拒绝了写入，未导入任何数据。请重新上传。")
    # The people's archives are held still (SELECT … FOR UPDATE) from checking to writing.
    check_in_transaction = True

    def row_limit(self) -> int:
        return MAX_ROWS

    def failed(self, errors, total_rows=0) -> RecordImportResult:
        return RecordImportResult.failed(errors, total_rows=total_rows)

    def check(self, target, table, *, dry_run, progress):
        nos = set(table.cells("employee_no")) - {""}
        employees = {}
        for batch in chunks(sorted(nos)):
            qs = Employee.objects.filter(enterprise=target, employee_no__in=batch)
            if not dry_run:
                qs = qs.select_for_update().order_by("pk")
            employees.update((e.employee_no, e) for e in qs)
        rows, errors = _check_rows(target, table.df, table.headers, employees)
        if errors:
            raise RowsRejected(errors)
        rows, skipped, errors = _against_archive(rows)
        if errors:
            raise RowsRejected(errors)
        result = RecordImportResult(
            total_rows=len(table),
            created=len(rows),
            skipped=skipped,
            employees=len({r.employee.pk for r in rows}),
            dry_run=dry_run,
        )
        return result, (rows or None)

    def apply(self, target, plan, result, *, actor, filename):
        result.obligations_met = _apply(plan, actor=actor, filename=filename)

    def job_result(self, result) -> dict:
        return {**result.counts(), "dry_run": result.dry_run, "skipped_rows": error_dicts(result.skipped)}

    # The template: real date-time cells, numbers as numbers, drop-down lists.

    def example_values(self) -> dict:
        return {
            **super().example_values(),
            "start": EXAMPLE_START,
            "end": EXAMPLE_END,
            "hours": int(_EXAMPLE["hours"]),
            "score": int(_EXAMPLE["score"]),
        }

    def number_format(self, column):
        return "yyyy-mm-dd hh:mm" if column.field in ("start", "end") else super().number_format(column)

    def requirement(self, column) -> str:
        return "三级安全教育、转岗复岗再培训必填" if column.field == "level" else super().requirement(column)

    def validations(self, ranges):
        hours = DataValidation(type="decimal", operator="between", formula1="0", formula2="999.9", allow_blank=True)
        hours.error = "学时应为 0 到 999.9 之间的数字"
        hours.errorTitle = "学时"
        hours.add(ranges["hours"])
        score = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
        score.error = "成绩应为 0 到 100 之间的数字"
        score.errorTitle = "成绩"
        score.add(ranges["score"])
        return [
            list_validation(KIND_LABELS, "培训类别", ranges["kind"]),
            list_validation(LEVEL_LABELS, "教育层级", ranges["level"]),
            list_validation(RESULT_LABELS, "考核结果", ranges["assessment_result"]),
            hours,
            score,
        ]


RECORDS = RecordImport()


def import_records(
    *, enterprise: Enterprise, fileobj, filename: str, actor, dry_run: bool = False
) -> RecordImportResult:
    """Import the historical training records in ``fileobj`` into the
    archives of ``enterprise``'s employees: every row or none.

    Returns the counts, or every error found (and then writes nothing).
    Rows already in a person's archive are skipped with a notice. New rows
    are appended per person in order of start time as ``historical``
    records, then each person's obligations are re-evaluated. ``actor=None``
    is the system; otherwise the actor must be allowed to change the
    enterprise (PermissionDenied). ``dry_run`` checks and writes nothing.
    """
    return RECORDS.run(target=enterprise, fileobj=fileobj, filename=filename, actor=actor, dry_run=dry_run)


def build_template() -> bytes:
    """The .xlsx template: headers (required ones marked), one example row,
    date and text formats, drop-down lists, and a "填写说明" sheet."""
    return RECORDS.build_template()
