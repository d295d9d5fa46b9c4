"""An import declared once: ``ImportSpec``.

A spec names its columns (with aliases), its row cap and its template
workbook, and supplies two domain hooks: ``check`` (every row against the
file and the database; the rows to write, or every error) and ``apply``
(write them all, inside one transaction). ``run`` is the same for every
spreadsheet import: read the table, refuse a file that cannot be checked,
check, then apply everything or nothing. Upload view, template download,
management command and background job all go through the spec.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd
from django.db import IntegrityError, transaction
from wagtail.log_actions import log

from . import (
    Column,
    ImportFileError,
    count_rows,
    RowError,
    first_message,
    log_user,
    match_headers,
    read_table,
    require_change,
    table_errors,
)
from .templates import build_workbook

logger = logging.getLogger(__name__)


def error_dicts(errors) -> list[dict]:
    """Every error of a result as JSON (a RowError: row, column, reason; a
    question Problem: number, field, reason, label)."""
    return [dataclasses.asdict(e) for e in errors]


class RowsRejected(Exception):
    """Raised by a spec's ``check`` or ``apply``: these rows cannot be
    imported, so nothing is."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} rows rejected")
        self.errors = errors


@dataclass
class Table:
    """A file read for checking: its non-blank rows (index = Excel row
    number) and which of its headers stands for each known field."""

    df: pd.DataFrame
    headers: dict[str, str]

    def __len__(self) -> int:
        return len(self.df)

    def cells(self, fieldname: str) -> list[str] | None:
        """The column's cells without surrounding spaces; None if the file lacks it."""
        header = self.headers.get(fieldname)
        return None if header is None else [str(v).strip() for v in self.df[header].tolist()]


class ImportSpec:
    """One spreadsheet import. Subclass it, set the attributes, implement
    ``check``, ``apply`` and ``failed``; use one instance."""

    name: str = ""  # short id: "employees", "records", "questions"
    columns: tuple[Column, ...] = ()
    max_rows: int = 10000
    # The template workbook (lms.imports.templates): file name, data sheet
    # title, numbered lines of the "填写说明" sheet, whether it carries an
    # example row, and the widths of the notes sheet's columns.
    template_filename: str = ""
    sheet_title: str = ""
    instructions: tuple[str, ...] = ()
    example_row: bool = True
    notes_widths: tuple[int, ...] = (16, 10, 90, 22)
    # Recorded in Wagtail's log after a real import; None = not logged.
    log_action: str | None = None
    integrity_message: str = ""
    # Check inside the writing transaction (e.g. to hold rows still with
    # SELECT … FOR UPDATE); otherwise the check runs first, outside it, so
    # progress written while checking is seen at once.
    check_in_transaction: bool = False

    # --- the domain hooks ---------------------------------------------------------

    def row_limit(self) -> int:
        """The most data rows one file may have."""
        return self.max_rows

    def authorize(self, actor, target) -> None:
        """Raise PermissionDenied unless ``actor`` (None = the system) may import into ``target``."""
        require_change(actor, target)

    def failed(self, errors: list[RowError], total_rows: int = 0):
        """The result of an import that wrote nothing because of ``errors``."""
        raise NotImplementedError

    def check(self, target, table: Table, *, dry_run: bool, progress: Callable[[int, int], None] | None):
        """``(result, plan)``: the counts to report and what ``apply`` writes
        (None: nothing to write). Raise RowsRejected with every error."""
        raise NotImplementedError

    def apply(self, target, plan, result, *, actor, filename: str) -> None:
        """Write ``plan`` (inside the import's transaction), completing
        ``result``; raise RowsRejected if a row is refused while writing."""
        raise NotImplementedError

    # --- the template hooks (lms.imports.templates) -----------------------------------

    def example_values(self) -> dict:
        """field → the template's example cell (typed: a date stays a date)."""
        return {c.field: c.example or None for c in self.columns}

    def number_format(self, column: Column) -> str | None:
        """The Excel number format of a column in the template."""
        return "@" if column.text else None

    def requirement(self, column: Column) -> str:
        """What the notes sheet says about filling the column in."""
        return "必填" if column.required else "选填"

    def notes_rows(self) -> list[list]:
        """The rows of the notes sheet describing the columns."""
        examples = self.example_values()
        rows = []
        for column in self.columns:
            sample = examples.get(column.field)
            if isinstance(sample, dt.datetime):
                sample = sample.strftime("%Y-%m-%d %H:%M")
            elif isinstance(sample, dt.date):
                sample = sample.isoformat()
            rows.append([column.header, self.requirement(column), str(column.help), "" if sample is None else sample])
        return rows

    def validations(self, ranges: dict[str, str]) -> list:
        """openpyxl DataValidations for the data sheet; ``ranges`` maps a
        field to its cells ("C2:C5000")."""
        return []

    def extend_notes(self, sheet) -> None:
        """Add anything after the instruction lines of the notes sheet."""

    def build_template(self) -> bytes:
        """The .xlsx template of this import."""
        return build_workbook(self)

    # --- as a background job (lms.imports.jobs) ----------------------------------------

    def count(self, upload, filename: str) -> int:
        """The rows of an upload, counted when its job is made (ImportFileError
        if it cannot be read); 0 when only the run can tell."""
        return count_rows(upload, filename, max_rows=self.row_limit())

    def job_result(self, result) -> dict:
        """What the job's result page shows of a finished import (JSON)."""
        return result.counts()

    def job_values(self, result) -> dict:
        """The import job's fields for a finished ``result``: counts, every
        error, and ``job_result``."""
        counts = result.counts()
        total = counts.get("total_rows", counts.get("total", 0))
        return {
            "total_rows": total,
            "processed_rows": total,
            "created_count": counts.get("created", 0),
            "errors": error_dicts(result.errors),
            "result": self.job_result(result),
        }

    # --- running --------------------------------------------------------------------

    def read(self, fileobj, filename: str) -> Table:
        """The file as a Table (ImportFileError if it cannot be read)."""
        df = read_table(fileobj, filename, max_rows=self.row_limit())
        return Table(df, match_headers(df.columns, self.columns) if len(df) else {})

    def run(self, *, target, fileobj, filename: str, actor, dry_run: bool = False, progress=None, job=None):
        """Import ``fileobj`` into ``target``: every row or none. Returns the
        result; on any error it lists every error and nothing is written.
        PermissionDenied if ``actor`` may not import into ``target``.
        ``job`` (lms.imports.jobs.JobGuard) ties the writing transaction to
        a background job: held first, marked done last, inside it."""
        self.authorize(actor, target)
        filename = PurePath(filename or "").name
        try:
            table = self.read(fileobj, filename)
        except ImportFileError as exc:
            return self.failed([RowError(1, "", first_message(exc))])
        total = len(table)
        problems = table_errors(total, table.headers, self.columns, self.row_limit())
        if problems:  # the file cannot be checked row by row
            return self.failed(problems, total_rows=total)
        try:
            with transaction.atomic() if self.check_in_transaction else nullcontext():
                result, plan = self.check(target, table, dry_run=dry_run, progress=progress)
                if dry_run or plan is None:
                    return result
                with transaction.atomic():
                    if job is not None:
                        job.hold()
                    self.apply(target, plan, result, actor=actor, filename=filename)
                    if self.log_action:
                        log(target, self.log_action, user=log_user(actor), data={"file": filename, **result.counts()})
                    if job is not None:
                        job.done(result)
                return result
        except RowsRejected as exc:
            return self.failed(exc.errors, total_rows=total)
        except IntegrityError:
            logger.warning("%s import into %s hit an integrity error", self.name, target.pk, exc_info=True)
            return self.failed([RowError(1, "", str(self.integrity_message))], total_rows=total)
