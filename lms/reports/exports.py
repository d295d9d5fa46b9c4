"""Excel exports of report tables: the very Table the page shows, with the
same rounded figures, plus a sheet saying what, for whom and when."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lms.kernel.rates import NO_RATE
from lms.spreadsheet import safe_row

from .frames import Table

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
FORMATS = {"pct": "0.0%", "hours": "0.0", "number": "0.0", "int": "0"}


def table_xlsx(table: Table, *, title: str, about: list[tuple[str, str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(safe_row(str(c.label) for c in table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    body = table.rows()
    total = table.total_row()
    kinds = [c.kind for c in table.columns]
    for row in [*body, *([total] if total else [])]:
        # A rate with nothing owed is "—", not an empty cell read as 0 %.
        ws.append(safe_row([NO_RATE if v is None and k == "pct" else v for v, k in zip(row, kinds, strict=False)]))
    for index, column in enumerate(table.columns, start=1):
        fmt = FORMATS.get(column.kind)
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = 36 if column.kind == "text" else 14
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    if total:
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    ws.freeze_panes = "B2"

    info = wb.create_sheet(_("说明"))
    now = timezone.localtime()
    for key, value in [(_("报表"), title), *about, (_("生成时间"), now.strftime("%Y-%m-%d %H:%M")), (_("说明"), table.note)]:
        info.append(safe_row([key, value]))
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 90
    for (cell,) in info.iter_rows(min_col=1, max_col=1):
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
