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
from .models import Difficulty, Question, QuestionBank, QuestionType

TEMPLATE_FILENAME = "题库导入模板.xlsx"
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


_EXAMPLES = (
    (
        "单选题",
        "发现有人触电，首先应当？",
        "切断电源",
        "拨打 120",
        "用手拉开触电者",
        "",
        "A",
        "先断电，避免施救者触电。",
        "容易",
        "通用知识/用电安全",
    ),
    (
        "多选题",
        "动火作业前应当做到哪些？",
        "办理动火作业许可",
        "清理周围可燃物",
        "安排监护人",
        "随身携带打火机",
        "ABC",
        "",
        "中等",
        "通用知识/动火作业",
    ),
    (
        "判断题",
        "进入受限空间前必须先通风、检测。",
        "",
        "",
        "",
        "",
        "对",
        "先通风、再检测、后作业。",
        "容易",
        "通用知识/受限空间",
    ),
    ("填空题", "安全生产方针是安全第一、____、综合治理。", "", "", "", "", "预防为主", "", "中等", "法律法规"),
)


def build_template() -> bytes:
    """The empty import template: a 题目 sheet with the headers, and a
    填写说明 sheet explaining each column with example rows."""
    workbook = Workbook()
    sheet = _sheet(workbook, _("题目"))
    for index in range(1, len(COLUMNS) + 1):
        sheet.column_dimensions[get_column_letter(index)].number_format = "@"
    notes = workbook.create_sheet(_("填写说明"))
    notes.append(safe_row([_("列名"), _("是否必填"), _("说明")]))
    for cell in notes[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    shown = set()
    for column in COLUMNS:
        header = "选项A…选项H" if column.field.startswith("option_") else column.header
        if header in shown:
            continue
        shown.add(header)
        notes.append(safe_row([header, _("必填") if column.required else _("选填"), str(column.help)]))
    notes.append([])
    notes.append(
        [
            _("其他说明"),
            "",
            _(
                "第 1 行为表头，每行一道题，空行会被忽略。整个文件没有任何错误才会导入，"
                "否则一道题也不导入，并列出每处错误的行号、列名和原因。"
            ),
        ]
    )
    notes.append([])
    notes.append([_("示例（请在“题目”工作表中按此格式填写）")])
    example_headers = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "分类"]
    notes.append(safe_row(example_headers))
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for example in _EXAMPLES:
        notes.append(safe_row(example))
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 36
    notes.column_dimensions["C"].width = 80
    for letter in "DEFGHIJ":
        notes.column_dimensions[letter].width = 16
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
