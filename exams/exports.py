"""Excel export of an exam's results and item analysis (成绩与试题分析).

Writes exactly the figures of :class:`exams.analysis.ExamResults` — the same
object the results page renders — so page and workbook agree to the digit.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lms.spreadsheet import safe_row

from .analysis import ExamResults

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def results_headers() -> list[str]:
    return [_("工号"), _("姓名"), _("所在单位"), _("状态"), _("最高分"), _("满分"), _("考试次数"), _("考试对象")]


def item_headers() -> list[str]:
    return [
        _("序号"),
        _("题干"),
        _("题型"),
        _("版本"),
        _("分值"),
        _("作答人数"),
        _("难度（P 值）"),
        _("区分度（D）"),
        _("高分组 P"),
        _("低分组 P"),
        _("点双列相关（r）"),
    ]


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list], widths: list[int] | None = None):
    ws = wb.create_sheet(title)
    ws.append(safe_row(headers))
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for row in rows:
        ws.append(safe_row(row))
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    return ws


def results_workbook(results: ExamResults) -> bytes:
    """The workbook (xlsx bytes): 成绩, 未参加, 成绩分布, 试题分析, 考试信息."""
    wb = Workbook()
    wb.remove(wb.active)

    def person(row):
        e = row.employee
        return [e.employee_no, e.name, e.org_unit.name if e.org_unit_id else ""]

    _sheet(
        wb,
        _("成绩"),
        results_headers(),
        [
            [
                *person(row),
                row.status_label,
                row.best_score,
                row.max_score,
                row.attempts,
                _("是") if row.in_audience else _("否"),
            ]
            for row in results.rows
        ],
        [12, 12, 16, 10, 10, 10, 10, 10],
    )
    _sheet(wb, _("未参加"), [_("工号"), _("姓名"), _("所在单位")], [person(r) for r in results.not_taken], [12, 12, 16])
    _sheet(
        wb,
        _("成绩分布"),
        [_("分数段"), _("人数")],
        [[band.label, band.count] for band in results.bands],
        [12, 10],
    )
    ws = _sheet(
        wb,
        _("试题分析"),
        item_headers(),
        [
            [
                item.number,
                item.stem,
                item.type_label,
                item.version,
                item.max_points,
                item.n,
                item.difficulty,
                item.discrimination,
                item.upper_p,
                item.lower_p,
                item.point_biserial,
            ]
            for item in results.items
        ],
        [6, 60, 10, 6, 8, 10, 12, 12, 10, 10, 14],
    )
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    # Difficulty, discrimination and r with two decimals, as on the page.
    for row in ws.iter_rows(min_row=2, min_col=7, max_col=11):
        for cell in row:
            cell.number_format = "0.00"

    exam = results.exam
    counts = results.counts
    info = wb.create_sheet(_("考试信息"))
    for label, value in [
        (_("考试名称"), exam.title),
        (_("企业"), exam.enterprise.name),
        (_("开始时间"), timezone.localtime(exam.opens_at).strftime("%Y-%m-%d %H:%M")),
        (_("结束时间"), timezone.localtime(exam.closes_at).strftime("%Y-%m-%d %H:%M")),
        (_("及格分"), exam.pass_score),
        (_("应考人数"), counts.get("audience", 0)),
        (_("已考人数"), counts.get("sat", 0)),
        (_("合格"), counts.get("passed", 0)),
        (_("不合格"), counts.get("failed", 0)),
        (_("答题中"), counts.get("in_progress", 0)),
        (_("未参加"), counts.get("not_taken", 0)),
        (_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]:
        info.append(safe_row([label, value]))
        info.cell(info.max_row, 1).font = HEADER_FONT
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 40
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
