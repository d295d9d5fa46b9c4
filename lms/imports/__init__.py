"""The import framework (employees, historical training records, questions).

This module holds what every spreadsheet import reads with: .xlsx / .csv as
text, Chinese headers and their aliases, dates as people write them, and
the shape of a reported problem (row, column, reason in Chinese). Beside it:
``spec`` (``ImportSpec``: an import's columns, row cap, row checks and bulk
writing, run all or nothing), ``templates`` (the template workbook built
from a spec), ``views`` (upload form, 403 page, template download) and
``commands`` (the ``import_<x>`` management command). Each app declares
its spec and keeps only its domain rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass
from pathlib import PurePath

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user  # noqa: F401  (log_user: re-exported for the importers)
from lms.uploads import UploadRefused, check_archive, check_size, upload_size
from lms.spreadsheet import restore_column

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- columns and headers ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file. ``header`` is the file format itself
    (always Chinese, never translated); ``help`` is shown in the template."""

    field: str
    header: str
    required: bool
    help: str
    example: str
    aliases: tuple[str, ...] = ()
    text: bool = False  # keep as text in Excel (leading zeros, 18 digits)
    width: int = 14


_NOTE = re.compile(r"[(\[【].*?[)\]】]")
_HEADER_JUNK = re.compile(r"[\s*:：]")


def normalize_header(value) -> str:
    """The bare name of a header cell: no spaces, no "*", no "（说明）" notes."""
    text = unicodedata.normalize("NFKC", str(value))  # full-width （ ＊ and spaces → ASCII
    text = _NOTE.sub("", text)
    return _HEADER_JUNK.sub("", text)


def match_headers(headers, columns) -> dict[str, str]:
    """Map field → the file's header for every column of ``columns`` the file
    has, by header or alias (first one wins)."""
    lookup: dict[str, str] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup.setdefault(normalize_header(name), column.field)
    found: dict[str, str] = {}
    for header in headers:
        fieldname = lookup.get(normalize_header(header))
        if fieldname and fieldname not in found:
            found[fieldname] = header
    return found


# --- cell parsers ----------------------------------------------------------------

_TRUE = frozenset({"是", "y", "yes", "1", "1.0", "√", "✓", "✔", "true", "t", "对"})
_FALSE = frozenset({"否", "n", "no", "0", "0.0", "×", "✗", "false", "f", "不是", ""})

_TIME = r"(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?"
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATETIME = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]*" + _TIME + r")?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")
_EXCEL_SERIAL_TIME = re.compile(r"^(\d{5})(\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_bool(text: str) -> bool | None:
    """是/否, Y/N, 1/0, √ (blank = 否); None if not recognised."""
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def parse_date(text: str) -> dt.date | None:
    """A date from the usual ways it is written or exported; None if not a date."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    try:
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = _EXCEL_SERIAL.match(text)
        if match and 10000 <= int(match[1]) <= 80000:  # an Excel day number (1927–2119)
            return _EXCEL_EPOCH + dt.timedelta(days=int(match[1]))
    except ValueError:
        return None
    return None


def parse_datetime(text: str) -> tuple[dt.date, dt.time | None] | None:
    """A date with an optional time of day, as people write or Excel exports
    it ("2024-03-01 08:30", "2024年3月1日 8时30分", "2024/3/1", an Excel day
    number with a fraction…). The time is None when only a date is given or
    the time is exactly 0:00 (what a date-only Excel cell reads as). None if
    it is not a date."""
    text = unicodedata.normalize("NFKC", text).strip()
    try:
        match = _DATETIME.match(text)
        if match:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
            if match[4] is None:
                return day, None
            clock = dt.time(int(match[4]), int(match[5]), int(match[6] or 0))
            return day, (clock if clock != dt.time(0) else None)
        match = _COMPACT_DATE.match(text)
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3])), None
        match = _EXCEL_SERIAL_TIME.match(text)
        if match and 10000 <= int(match[1]) <= 80000:  # an Excel day number (1927–2119)
            day = _EXCEL_EPOCH + dt.timedelta(days=int(match[1]))
            seconds = round(float(match[2] or 0) * 86400)
            if seconds <= 0 or seconds >= 86400:
                return day, None
            return day, (dt.datetime.min + dt.timedelta(seconds=seconds)).time()
    except ValueError:
        return None
    return None


# --- reading files ---------------------------------------------------------------


class ImportFileError(ValidationError):
    """The file itself cannot be used (type, encoding, damage); message in Chinese."""


try:
    from python_calamine import CalamineError, PasswordError, WorkbookClosed, WorksheetNotFound, XmlError, ZipError

    _CALAMINE_ERRORS: tuple[type[Exception], ...] = (
        CalamineError,
        PasswordError,
        WorkbookClosed,
        WorksheetNotFound,
        XmlError,
        ZipError,
    )
except ImportError:  # pragma: no cover - openpyxl fallback
    _CALAMINE_ERRORS = ()


def file_kind(filename: str) -> str:
    """'xlsx' or 'csv', or raise ImportFileError naming what is accepted."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix in (".xls", ".et", ".wps"):
        raise ImportFileError(
            _("不支持旧版 Excel（%(ext)s）文件，请在 Excel 中“另存为” .xlsx 后再上传") % {"ext": suffix}
        )
    raise ImportFileError(_("不支持的文件类型“%(ext)s”，请上传 .xlsx 或 .csv 文件") % {"ext": suffix or filename})


# calamine (Rust) reads a 10,000-row sheet ~5× faster than openpyxl, with
# the same cell text; openpyxl stays the fallback.
_EXCEL_ENGINE = "calamine" if importlib.util.find_spec("python_calamine") else "openpyxl"


def _decode_csv(data: bytes) -> str:
    # Chinese Excel saves CSV as GBK; newer tools as UTF-8 (with a BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV"))


def _read_bytes(fileobj) -> bytes:
    if hasattr(fileobj, "seek"):
        try:
            fileobj.seek(0)
        except (OSError, ValueError):
            pass
    data = fileobj.read()
    return data.encode("utf-8") if isinstance(data, str) else data


# Blank rows read beyond an import's row cap before the file is refused
# without counting the rest (so an exact count is reported up to here).
ROW_SLACK = 1000


def check_bounds(fileobj, filename: str) -> None:
    """The upload bounds (size; for .xlsx the inflation cap read from the ZIP
    directory), before anything parses the file. Raises ImportFileError."""
    try:
        check_size(fileobj)
        if PurePath(filename or "").suffix.lower() in (".xlsx", ".xlsm") and upload_size(fileobj):
            check_archive(fileobj, filename)
    except UploadRefused as exc:
        if exc.code == "bad_zip":
            raise ImportFileError(_("无法打开该 Excel 文件，请确认它是 .xlsx 格式且没有损坏或加密")) from exc
        raise ImportFileError(exc.messages[0], code=exc.code) from exc


def read_table(fileobj, filename: str, *, max_rows: int | None = None) -> pd.DataFrame:
    """The first sheet (or the CSV) as text cells.

    Every cell is a ``str`` ("" when blank), so codes keep leading zeros. The
    index is the row number shown in Excel (header = row 1); rows with
    nothing in them are dropped. Raises ImportFileError in Chinese when the
    file cannot be read, breaks the upload bounds (checked before parsing),
    or — with ``max_rows`` — has so many rows beyond it that they are not
    even read (at most ``max_rows + ROW_SLACK`` rows become Python objects).
    """
    kind = file_kind(filename)
    check_bounds(fileobj, filename)
    data = _read_bytes(fileobj)
    if not data.strip():
        return pd.DataFrame()
    nrows = None if max_rows is None else max_rows + ROW_SLACK + 1
    try:
        if kind == "xlsx":
            df = pd.read_excel(
                io.BytesIO(data), sheet_name=0, dtype=str, na_filter=False, engine=_EXCEL_ENGINE, nrows=nrows
            )
        else:
            text = _decode_csv(data)
            first_line = text.split("\n", 1)[0]
            sep = "\t" if "\t" in first_line and "," not in first_line else ","
            df = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, na_filter=False, skip_blank_lines=False,
                skipinitialspace=True, nrows=nrows,
            )
    except ImportFileError:
        raise
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (zipfile.BadZipFile, KeyError, OSError, *_CALAMINE_ERRORS) as exc:
        raise ImportFileError(_("无法打开该 Excel 文件，请确认它是 .xlsx 格式且没有损坏或加密")) from exc
    except (ValueError, pd.errors.ParserError, csv.Error) as exc:
        raise ImportFileError(_("无法读取文件内容：%(detail)s") % {"detail": str(exc)[:200]}) from exc
    if nrows is not None and len(df) >= nrows:
        raise ImportFileError(
            _("文件数据行数超过单次导入上限 %(max)s 行，请拆分后分批导入") % {"max": max_rows}, code="too_many_rows"
        )
    df = df.fillna("").astype(str)
    # A file we exported carries safe_cell's quote before = + - @: take it off.
    df = df.apply(restore_column)
    df.index = range(2, len(df) + 2)
    if len(df):
        filled = df.apply(lambda col: col.str.strip() != "").any(axis=1)
        df = df[filled]
    return df


def count_rows(fileobj, filename: str, *, max_rows: int | None = None) -> int:
    """How many non-blank data rows the file has (no validation). Raises
    ImportFileError like read_table."""
    return len(read_table(fileobj, filename, max_rows=max_rows))


# --- results ---------------------------------------------------------------------


@dataclass
class RowError:
    """A problem with one cell: ``row`` as numbered in Excel (header = 1),
    ``column`` the Chinese header ("" for the whole file), ``reason`` in Chinese."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row}
        return f"{where} · {self.column}：{self.reason}" if self.column else f"{where}：{self.reason}"


def table_errors(total: int, headers: dict[str, str], columns, limit: int) -> list[RowError]:
    """What makes a whole table unusable before any row is read: no data
    rows, more than ``limit`` rows, or a required column missing (one error
    at row 1); [] if the table can be checked row by row."""
    if total == 0:
        return [RowError(1, "", _("文件中没有数据行"))]
    if total > limit:
        return [
            RowError(
                1,
                "",
                _("文件有 %(n)s 行数据，超过单次导入上限 %(max)s 行，请拆分后分批导入") % {"n": total, "max": limit},
            )
        ]
    missing = [c.header for c in columns if c.required and c.field not in headers]
    if missing:
        return [
            RowError(
                1,
                "、".join(missing),
                _("缺少必填列：%(cols)s（表头须在第 1 行，可下载模板对照）") % {"cols": "、".join(missing)},
            )
        ]
    return []


def first_message(exc: ValidationError) -> str:
    """The first message of a ValidationError, as text."""
    return str(exc.messages[0]) if exc.messages else str(exc)


# --- who imports -----------------------------------------------------------------


def require_change(actor, enterprise) -> None:
    """Raise PermissionDenied unless ``actor`` (None = the system) may change
    the enterprise's data."""
    if actor is not None and not can(actor, Capability.CHANGE, enterprise.pk):
        raise PermissionDenied(_("您无权修改该企业的数据"))


def chunks(items: list, size: int = 500):
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- uploads kept for an import ------------------------------------------------------
# Import files hold full ID numbers: each pipeline deletes its upload when the
# import finishes (ANXUN_IMPORT_RETENTION_HOURS), and registers here a purger
# for what a crash left behind; ``purge_import_uploads`` runs them all (the
# hourly task and the command of the same name).

_PURGERS: list = []


def register_upload_purger(purger) -> None:
    """``purger(now=datetime) -> int`` deletes its pipeline's leftover
    uploads and says how many."""
    if purger not in _PURGERS:
        _PURGERS.append(purger)


def purge_import_uploads(*, now=None) -> int:
    """Run every registered purger; the number of files deleted."""
    now = now or timezone.now()
    return sum(purger(now=now) for purger in _PURGERS)


def _walk(storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}{sub}/")


def purge_stored_files(folder: str, *, older_than, keep=frozenset(), storage=None) -> int:
    """Delete the files under ``folder`` (ending in "/") of the default
    storage last modified before ``older_than``, except the names in
    ``keep``. Returns how many were deleted."""
    storage = storage or default_storage
    deleted = 0
    for name in list(_walk(storage, folder)):
        if name in keep:
            continue
        try:
            if storage.get_modified_time(name) >= older_than:
                continue
        except (FileNotFoundError, NotImplementedError):
            continue
        storage.delete(name)
        deleted += 1
    return deleted
