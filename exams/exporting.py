"""Export a bank's current questions as Moodle XML or as the xlsx import
template, and build the empty template. Both exports import back into a bank
unchanged (``exams.importing``)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lms.accounts.roles import Role
from lms.spreadsheet import safe_row
from lms.workforce.models import Industry

from .formats import moodle
from .formats.common import TYPE_LABELS, true_false_label
from .formats.xlsx import COLUMNS
from .importing import QUESTIONS
from .models import Difficulty, Question, QuestionBank, QuestionType

EXPORT_FORMATS = ("moodle-xml", "xlsx")

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ROLE_LABELS = {r.value: str(r.label) for r in Role}
_INDUSTRY_LABELS = {i.value: str(i.label) for i in Industry}


def bank_questions(bank: QuestionBank):
    """The bank's current questions in export order (category path, then id)."""
    return Question.objects.current().filter(bank=bank).select_related("category").order_by("category__path", "id")


def export_moodle_xml(bank: QuestionBank, questions: Iterable[Question] | None = None) -> bytes:
    """Moodle XML of the bank's current questions (category questions first)."""
    return moodle.build(bank_questions(bank) if questions is None else questions)


def _headers() -> list[str]:
    return [f"{c.header}*" if c.required else c.header for c in COLUMNS]


def _answer_cell(question: Question) -> str:
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return "".join(sorted(str(a) for a in question.answer))
    if question.type == QuestionType.TRUE_FALSE:
        return true_false_label(bool(question.answer and question.answer[0]))
    blanks = []
    for blank in question.answer:
        alternatives = [str(a) for a in blank]
        separator = "；" if any("/" in a for a in alternatives) else "/"
        blanks.append(separator.join(alternatives))
    return "|".join(blanks)


def question_row(question: Question) -> list[str]:
    """The template row of one question."""
    options = {o["key"]: o["text"] for o in question.options or []}
    applicability = question.applicability or {}
    row = {
        "type": TYPE_LABELS.get(question.type, question.type),
        "stem": question.stem,
        **{f"option_{key}": options.get(key, "") for key in "ABCDEFGH"},
        "answer": _answer_cell(question),
        "explanation": question.explanation,
        "difficulty": str(Difficulty(question.difficulty).label),
        "category": question.category.path if question.category_id else "",
        "tags": question.tags,
        "posts": "、".join(applicability.get("posts", [])),
        "roles": "、".join(_ROLE_LABELS.get(r, r) for r in applicability.get("roles", [])),
        "industries": "、".join(_INDUSTRY_LABELS.get(i, i) for i in applicability.get("industries", [])),
    }
    return [row[c.field] for c in COLUMNS]


def _sheet(workbook: Workbook, title: str):
    sheet = workbook.active
    sheet.title = title
    sheet.append(safe_row(_headers()))
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    return sheet


def export_xlsx(bank: QuestionBank, questions: Iterable[Question] | None = None) -> bytes:
    """The bank's current questions as an .xlsx in the import template's format."""
    workbook = Workbook()
    sheet = _sheet(workbook, _("题目"))
    wrap = Alignment(wrap_text=True, vertical="top")
    for question in bank_questions(bank) if questions is None else questions:
        sheet.append(safe_row(question_row(question)))
        for cell in sheet[sheet.max_row]:
            cell.number_format = "@"
            cell.alignment = wrap
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_template() -> bytes:
    """The empty import template: a 题目 sheet with the headers, and a
    填写说明 sheet explaining each column with example rows."""
    return QUESTIONS.build_template()
