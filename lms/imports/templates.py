"""The template workbook of an import, built from its spec's columns: a data
sheet (headers with required ones marked and explained in a comment, an
optional example row, text/date formats, drop-down lists) and a "填写说明"
sheet (one row per column, then the numbered instructions)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lms.spreadsheet import safe_row

# Rows of the data sheet that carry the formats and drop-down lists.
TEMPLATE_ROWS = 5000
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_EXAMPLE_FONT = Font(italic=True, color="808080")


def list_validation(labels, title: str, cells: str) -> DataValidation:
    """A drop-down list of ``labels`` on ``cells`` (blank allowed)."""
    validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
    validation.error = "请从下拉列表中选择：" + "、".join(labels)
    validation.errorTitle = title
    validation.add(cells)
    return validation


def build_workbook(spec) -> bytes:
    """The .xlsx template of ``spec`` (an ImportSpec)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.sheet_title
    examples = spec.example_values() if spec.example_row else {}
    for index, column in enumerate(spec.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=f"{column.header}*" if column.required else column.header)
        cell.fill = HEADER_FILL
        cell.font = _REQUIRED_FONT if column.required else Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(str(column.help), "安训")
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = column.width
        number_format = spec.number_format(column)
        if number_format:
            dimension.number_format = number_format
        if spec.example_row:
            cell = sheet.cell(row=2, column=index, value=examples.get(column.field))
            cell.font = _EXAMPLE_FONT
            if number_format:
                cell.number_format = number_format
    sheet.freeze_panes = "A2"

    ranges = {
        c.field: f"{get_column_letter(i)}2:{get_column_letter(i)}{TEMPLATE_ROWS}"
        for i, c in enumerate(spec.columns, start=1)
    }
    for validation in spec.validations(ranges):
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "填写说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in spec.notes_rows():
        notes.append(safe_row(row))
    notes.append([])
    for line in spec.instructions:
        notes.append([line])
    for letter, width in zip("ABCD", spec.notes_widths, strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    spec.extend_notes(notes)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
