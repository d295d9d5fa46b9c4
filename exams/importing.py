"""Import questions into a bank from the xlsx template, Moodle XML or GIFT:
every question, or none.

The file is read (``exams.formats``), every question checked against the
question rules, the rest of the file and the bank's current questions, and
each problem reported with its row (spreadsheets) or question number (XML,
GIFT), the field and a reason in Chinese. Unsupported Moodle types (essay,
matching, numeric…) are listed as skipped with their reason. Only a file
without a single error is written, in one transaction, with bulk inserts.

Duplicates: a question the bank already has (same fingerprint among its
current questions) is an error "题库中已有相同题目", or skipped when
``skip_duplicates`` is set. Within the file, a question with the same type,
stem and options as an earlier one is an error naming the earlier row; a
plain repeat (same answer and explanation too) is skipped, as nothing would
be lost by importing it once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from wagtail.log_actions import log

from lms.imports import ImportFileError, chunks, log_user, purge_stored_files
from lms.imports.spec import ImportSpec
from lms.spreadsheet import safe_row
from lms.uploads import UploadRefused, check_size

from .formats import parse_file
from .formats.common import Problem, Skipped, detect_format, fingerprint, normalize_format, same_content
from .formats.xlsx import COLUMNS as XLSX_COLUMNS
from .formats.xlsx import MAX_ROWS as XLSX_MAX_ROWS
from .models import Question, QuestionBank, QuestionCategory
from .question_services import DUPLICATE_IN_BANK, require_bank_edit

BATCH_SIZE = 500
# Where a checked question file waits between the preview and the confirmation.
UPLOAD_DIR = "exams/question-imports"
# A preview nobody confirmed or cancelled within a day is abandoned.
PREVIEW_LIFETIME = dt.timedelta(hours=24)


TEMPLATE_FILENAME = "题库导入模板.xlsx"

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


class QuestionImport(ImportSpec):
    """Questions into a bank, from the spreadsheet template, Moodle XML or
    GIFT. The formats read their own files (``exams.formats``), so ``run``
    is :func:`import_questions`; the spreadsheet's columns, row cap and
    template are declared here."""

    name = "questions"
    columns = XLSX_COLUMNS
    max_rows = XLSX_MAX_ROWS
    template_filename = TEMPLATE_FILENAME
    sheet_title = "题目"
    example_row = False  # an example question would be imported by mistake
    instructions = (
        "第 1 行为表头，每行一道题，空行会被忽略。整个文件没有任何错误才会导入，"
        "否则一道题也不导入，并列出每处错误的行号、列名和原因。",
    )
    notes_widths = (14, 36, 80, 16)

    def run(self, *, target, fileobj, filename, actor, dry_run=False, progress=None, job=None, **options):
        return import_questions(
            bank=target, fileobj=fileobj, filename=filename, actor=actor, dry_run=dry_run, job=job, **options
        )

    def authorize(self, actor, target) -> None:
        require_bank_edit(actor, target)

    def failed(self, errors, total_rows=0):
        # A job's own errors (lms.imports.jobs) are RowErrors: the file as a whole.
        return QuestionImportResult(errors=[Problem(0, e.column, e.reason) for e in errors])

    def count(self, upload, filename):
        if PurePath(filename).suffix.lower() in (".xlsx", ".xlsm", ".csv"):
            return super().count(upload, filename)
        return 0  # XML and GIFT: counted by the run

    def job_result(self, result) -> dict:
        return {
            **result.counts(),
            "unit": result.unit,
            "skipped_items": [
                {"where": result.where(s.number, s.label), "reason": s.reason} for s in result.skipped
            ],
        }

    def number_format(self, column):
        return "@"  # answers like "1" and option text stay as typed

    def notes_rows(self):
        rows, shown = [], set()
        for column in self.columns:
            header = "选项A…选项H" if column.field.startswith("option_") else column.header
            if header not in shown:
                shown.add(header)
                rows.append([header, self.requirement(column), str(column.help), ""])
        return rows

    def extend_notes(self, sheet) -> None:
        sheet.append([])
        sheet.append(["示例（请在“题目”工作表中按此格式填写）"])
        sheet.append(["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "分类"])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for example in _EXAMPLES:
            sheet.append(safe_row(example))
        for letter in "EFGHIJ":
            sheet.column_dimensions[letter].width = 16


QUESTIONS = QuestionImport()


@dataclass
class QuestionImportResult:
    """What an import found and (unless it failed or was a dry run) wrote.

    ``unit`` is "row" (spreadsheet rows, as numbered in Excel) or "question"
    (position in an XML/GIFT file); ``created`` counts the questions written,
    or that would be written by a dry run; ``duplicates`` lists every
    duplicate found, whether reported as an error or skipped."""

    format: str = ""
    unit: str = "question"
    filename: str = ""
    total: int = 0
    created: int = 0
    new_categories: int = 0
    errors: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def where(self, number: int, label: str = "") -> str:
        """ "第 5 行", "第 3 题（Q2）" or "文件" for number 0."""
        if not number:
            return _("文件")
        if self.unit == "row":
            return _("第 %(n)s 行") % {"n": number}
        text = _("第 %(n)s 题") % {"n": number}
        return f"{text}（{label}）" if label else text

    def describe(self, item: Problem | Skipped) -> str:
        """One line for a person: where, which field, why."""
        where = self.where(item.number, item.label)
        fieldname = getattr(item, "field", "")
        return f"{where} · {fieldname}：{item.reason}" if fieldname else f"{where}：{item.reason}"

    def counts(self) -> dict:
        return {
            "format": self.format,
            "total": self.total,
            "created": self.created,
            "skipped": len(self.skipped),
            "duplicates": len(self.duplicates),
            "errors": len(self.errors),
            "new_categories": self.new_categories,
        }


def _read(fileobj) -> bytes:
    if hasattr(fileobj, "seek"):
        with contextlib.suppress(OSError, ValueError):
            fileobj.seek(0)
    data = fileobj.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _categories(bank: QuestionBank, paths: set[str]) -> dict[str, QuestionCategory]:
    """path → category for ``paths`` (and every existing one), creating the
    missing ones level by level with one insert per level."""
    known = {c.path: c for c in QuestionCategory.objects.filter(bank=bank)}
    missing = sorted(paths - set(known), key=lambda p: (p.count("/"), p))
    for depth in sorted({p.count("/") for p in missing}):
        level = []
        for full in (p for p in missing if p.count("/") == depth):
            parent_path, _sep, name = full.rpartition("/")
            level.append(QuestionCategory(bank=bank, parent=known.get(parent_path), name=name, path=full))
        for node in QuestionCategory.objects.bulk_create(level):
            known[node.path] = node
    return known


def import_questions(
    *,
    bank: QuestionBank,
    fileobj,
    filename: str,
    fmt: str | None = None,
    actor,
    dry_run: bool = False,
    skip_duplicates: bool = False,
    job=None,
) -> QuestionImportResult:
    """Check every question of the file and, if there is no error and this is
    not a dry run, write them all into ``bank`` in one transaction (creating
    missing categories). ``fmt`` is "xlsx", "moodle-xml" or "gift"; None
    guesses from the extension and content. ``actor`` None = the system.
    Raises PermissionDenied if ``actor`` may not write the bank. ``job``
    (lms.imports.jobs.JobGuard) is held and marked done inside the writing
    transaction."""
    require_bank_edit(actor, bank)
    result = QuestionImportResult(filename=filename, dry_run=dry_run)
    try:
        check_size(fileobj)  # before reading it (an .xlsx is also inflation-checked by read_table)
    except UploadRefused as exc:
        result.errors.append(Problem(0, "", str(exc.messages[0])))
        return result
    data = _read(fileobj)
    try:
        result.format = normalize_format(fmt) or detect_format(filename, data[:512])
    except ImportFileError as exc:
        result.errors.append(Problem(0, "", str(exc.messages[0])))
        return result
    parsed = parse_file(data, filename, result.format)
    result.unit, result.total = parsed.unit, parsed.total
    result.skipped = list(parsed.skipped)
    errors = list(parsed.errors)
    if any(e.number == 0 for e in errors):
        result.errors = [e for e in errors if e.number == 0]
        return result

    if dry_run:
        return _check_and_write(bank, parsed, result, errors, actor=actor, skip_duplicates=skip_duplicates)
    with transaction.atomic():
        if job is not None:
            job.hold()
        # One import into a bank at a time: the duplicate check and the
        # writing see the same questions (a confirmed upload sent twice
        # finds its questions already there).
        list(QuestionBank.objects.select_for_update().filter(pk=bank.pk).values_list("pk", flat=True))
        return _check_and_write(
            bank, parsed, result, errors, actor=actor, skip_duplicates=skip_duplicates, job=job
        )


def _check_and_write(
    bank, parsed, result: QuestionImportResult, errors: list, *, actor, skip_duplicates: bool, job=None
):
    """Check the drafts against each other and the bank; write them unless
    there is an error or this is a dry run."""
    filename, dry_run = result.filename, result.dry_run
    existing = (
        set(Question.objects.current().filter(bank=bank).values_list("fingerprint", flat=True)) if bank.pk else set()
    )
    first_seen: dict[str, object] = {}
    accepted = []
    for draft in parsed.drafts:
        digest = fingerprint(draft.type, draft.stem, draft.options)
        first = first_seen.get(digest)
        if first is not None:
            earlier = result.where(first.number, first.label)
            if same_content(first, draft):
                reason = _("与%(where)s完全相同，已跳过") % {"where": earlier}
                result.skipped.append(Skipped(draft.number, reason, draft.label))
            else:
                reason = _("与%(where)s的题目重复（题型、题干和选项相同）") % {"where": earlier}
                errors.append(Problem(draft.number, _("题干"), reason, draft.label))
            result.duplicates.append(Problem(draft.number, _("题干"), reason, draft.label))
            continue
        first_seen[digest] = draft
        if digest in existing:
            result.duplicates.append(Problem(draft.number, _("题干"), str(DUPLICATE_IN_BANK), draft.label))
            if skip_duplicates:
                result.skipped.append(Skipped(draft.number, _("题库中已有相同题目，已跳过"), draft.label))
            else:
                errors.append(Problem(draft.number, _("题干"), str(DUPLICATE_IN_BANK), draft.label))
            continue
        accepted.append((draft, digest))

    result.errors = sorted(errors, key=lambda e: e.number)
    result.skipped.sort(key=lambda s: s.number)
    known_paths = set(QuestionCategory.objects.filter(bank=bank).values_list("path", flat=True)) if bank.pk else set()
    wanted = set()
    for draft, _digest in accepted:
        names = [n.replace("/", "／") for n in draft.category]
        wanted |= {"/".join(names[: i + 1]) for i in range(len(names))}
    result.new_categories = len(wanted - known_paths)
    result.created = len(accepted)
    if result.errors or dry_run:
        if result.errors:
            result.created = 0
        return result

    source = filename[:200]
    with transaction.atomic():
        categories = _categories(bank, wanted)
        rows = [
            Question(
                bank=bank,
                category=categories.get("/".join(n.replace("/", "／") for n in draft.category)),
                type=draft.type,
                stem=draft.stem,
                options=draft.options,
                answer=draft.answer,
                explanation=draft.explanation,
                difficulty=draft.difficulty,
                tags=draft.tags,
                applicability=draft.applicability,
                source=source,
                fingerprint=digest,
            )
            for draft, digest in accepted
        ]
        for batch in chunks(rows, BATCH_SIZE):
            Question.objects.bulk_create(batch)
        result.written = True
        log(bank, "anxun.question_import", user=log_user(actor), data={"file": filename, **result.counts()})
        if job is not None:
            job.done(result)
    return result


def question_uploads_purge(*, now: dt.datetime) -> int:
    """Delete question files whose preview was never confirmed or cancelled
    (a confirmed, cancelled or failed import deletes its file at once)."""
    retention = dt.timedelta(hours=settings.ANXUN_IMPORT_RETENTION_HOURS)
    return purge_stored_files(f"{UPLOAD_DIR}/", older_than=now - max(retention, PREVIEW_LIFETIME))
