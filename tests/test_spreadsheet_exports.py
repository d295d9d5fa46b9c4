"""CSV/Excel formula injection (issue 16): no export writes a cell that a
spreadsheet would run as a formula. Text starting with = + - @ tab or CR
gets a leading quote (OWASP); numbers stay numbers. Every export is listed
here — a new export URL or list_export viewset fails the inventory tests
until it is covered."""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook
from wagtail.admin.viewsets import viewsets

from lms.imports import read_table
from lms.spreadsheet import SafeSpreadsheetExportMixin, safe_cell, safe_frame, safe_row
from tests.conftest import login_with_mfa
from tests.exams.admin_helpers import sam, world  # noqa: F401  (fixtures)
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent

# The payloads of issue 16 "Why 7", and what each must be written as.
EVIL = ['=HYPERLINK("http://x","y")', "=1+1", "@SUM(A1)", "+1", "-1+2", "\t=1", "\r=1"]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def xlsx_cells(response, sheet=0):
    wb = load_workbook(io.BytesIO(body(response)))
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    return [cell for row in ws.iter_rows() for cell in row]


def assert_neutralised_xlsx(cells, payloads=EVIL):
    """Each payload is in the sheet only as the text "'<payload>"; no cell is a formula."""
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    for payload in payloads:
        assert "'" + payload in texts, payload
    for cell in cells:
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
            raise AssertionError(f"{cell.coordinate}: {cell.value!r} would run as a formula")


def csv_rows(response):
    text = body(response).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def assert_neutralised_csv(rows, payloads=EVIL):
    cells = [cell for row in rows for cell in row]
    for payload in payloads:
        assert "'" + payload in cells, payload
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


# --- the helper ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", EVIL)
def test_safe_cell_quotes_text_that_would_be_a_formula(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["张三", "", "3-1 车间", "a=b", "'=already quoted", "＝全角", " =1"])
def test_safe_cell_leaves_other_text_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-1, -1.5, 0, 3, Decimal("-2.50"), None, True, dt.date(2026, 1, 2),
                                   dt.datetime(2026, 1, 2, 3, 4)])
def test_safe_cell_keeps_numbers_dates_and_blanks(value):
    assert safe_cell(value) is value


def test_safe_row_and_frame_keep_numeric_columns_numeric():
    assert safe_row(["=1+1", -3, "ok"]) == ["'=1+1", -3, "ok"]
    frame = safe_frame(pd.DataFrame({"=名字": ["-1+2", "李四"], "学时": [-1.5, 2.0], "次数": [-1, 2]}))
    assert list(frame.columns) == ["'=名字", "学时", "次数"]
    assert list(frame["'=名字"]) == ["'-1+2", "李四"]
    assert frame["学时"].dtype.kind == "f" and frame["次数"].dtype.kind == "i"


def test_an_exported_sheet_reads_back_as_what_was_exported():
    """Export → edit → import: the quote safe_cell added is taken off by the one reader."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["姓名", "备注"])
    for payload in EVIL:
        wb.active.append(safe_row([payload, "'纯文本"]))
    buffer = io.BytesIO()
    wb.save(buffer)
    table = read_table(io.BytesIO(buffer.getvalue()), "x.xlsx")
    assert list(table["姓名"]) == EVIL
    assert set(table["备注"]) == {"'纯文本"}  # a quote the user typed before plain text stays


# --- inventory: every export is covered ------------------------------------------------

# Every export URL (by name) and the test below that proves it; the import
# templates hold only our fixed headers and example rows.
EXPORT_URLS = {
    "archive:person_file_xlsx": "test_person_file_xlsx",
    "reports:export": "test_report_export",
    "exam:results_export": "test_exam_results_export",
    "exams_import:export": "test_question_bank_export",
    "workforce_import:template": None,
    "archive_import:template": None,
    "exams_import:template": None,
}

# Modules that build workbooks or CSV; each must use lms.spreadsheet (or be a template/demo file).
WRITERS_WITHOUT_USER_TEXT = {
    "lms/workforce/importing.py": "import template: our headers and one example row",
    "lms/archive/importing.py": "import template: our headers and one example row",
}


def _url_names(resolver=None, ns=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _url_names(p, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield (ns + p.name) if p.name else None, str(p.pattern)


def test_every_export_url_is_listed_here():
    found = {
        name
        for name, pattern in _url_names()
        if name and (re.search(r"export|xlsx|csv", name) or re.search(r"export|\.xlsx|\.csv", pattern))
    }
    assert found == set(EXPORT_URLS), "a new export: run its cells through lms.spreadsheet and test it here"
    for test in filter(None, EXPORT_URLS.values()):
        assert test in globals()


def test_every_list_export_viewset_neutralises_its_cells():
    """Every Wagtail viewset with list_export (CSV and XLSX buttons) writes through SafeSpreadsheetExportMixin."""
    get_resolver().url_patterns  # the admin URLs register the viewsets
    exporting = [vs for vs in viewsets.viewsets
                 if getattr(getattr(vs, "index_view_class", None), "list_export", None)
                 or isinstance(getattr(vs, "list_export", None), list) and vs.list_export]
    assert {type(vs).__name__ for vs in exporting} >= {"EmployeeViewSet", "CertificateViewSet", "ApprenticeshipViewSet"}
    for vs in exporting:
        view_class = vs.index_view_class
        assert issubclass(view_class, SafeSpreadsheetExportMixin), type(vs).__name__
        view = view_class()
        for payload in EVIL:
            assert view.preprocess_field_value("x", payload, "csv") == "'" + payload
            assert view.preprocess_field_value("x", payload, "xlsx") == "'" + payload
        assert view.preprocess_field_value("x", -3, "xlsx") == -3


def test_every_spreadsheet_writer_uses_the_helper():
    writers = re.compile(r"\bWorkbook\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|\.to_csv\(")
    offenders = []
    for path in BASE_DIR.rglob("*.py"):
        rel = path.relative_to(BASE_DIR).as_posix()
        if rel.startswith((".venv/", "tests/", "bench/", "var/")) or rel == "lms/spreadsheet.py":
            continue
        text = path.read_text(encoding="utf-8")
        if writers.search(text) and "lms.spreadsheet import" not in text and rel not in WRITERS_WITHOUT_USER_TEXT:
            offenders.append(rel)
    assert offenders == []


# --- each export, end to end -----------------------------------------------------------


@pytest.fixture
def evil_staff(ent_a, tree_a):
    return [
        EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name=payload, employee_no=f"E{i:03d}")
        for i, payload in enumerate(EVIL)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_employee_list_export(alice_client, evil_staff, fmt):
    response = alice_client.get(reverse("employee:index"), {"export": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        assert_neutralised_csv(csv_rows(response))
    else:
        cells = xlsx_cells(response)
        assert_neutralised_xlsx(cells)
        assert any(c.is_date for c in cells)  # hire dates stay dates


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_certificate_list_export(alice, ent_a, evil_staff, fmt):
    from certificates.models import CertificateKind
    from certificates.services import certificate_register

    for i, employee in enumerate(evil_staff):
        certificate_register(employee=employee, kind=CertificateKind.SPECIAL_EQUIPMENT, number=f"-{i}+2",
                             authority="@应急管理局", issued_on=dt.date(2024, 1, 1), valid_until=dt.date(2030, 1, 1),
                             actor=None)
    client = login_with_mfa(Client(), alice)
    response = client.get(reverse("certificate:index"), {"export": fmt})
    assert response.status_code == 200
    payloads = [*EVIL, "-0+2", "@应急管理局"]
    if fmt == "csv":
        assert_neutralised_csv(csv_rows(response), payloads)
    else:
        assert_neutralised_xlsx(xlsx_cells(response), payloads)


def test_person_file_xlsx(alice_client, evil_staff):
    employee = evil_staff[0]
    response = alice_client.get(reverse("archive:person_file_xlsx", args=[employee.pk]))
    assert response.status_code == 200
    assert_neutralised_xlsx(xlsx_cells(response, "基本信息"), [employee.name])


def test_report_export(alice_client, ent_a, tree_a, evil_staff):
    from tests.compliance.helpers import train

    team = tree_a[2]  # where the staff work
    team.name = "=1+1"
    team.save(update_fields=["name"])
    train(evil_staff[0], "refresher", 8, dt.date(dt.date.today().year, 1, 5))
    response = alice_client.get(reverse("reports:export", args=["coverage"]), {"by": "unit"})
    assert response.status_code == 200
    cells = xlsx_cells(response)
    assert_neutralised_xlsx(cells, ["=1+1"])
    # The figures are still numbers, not text.
    assert any(c.data_type == "n" and isinstance(c.value, (int, float)) and c.row > 1 for c in cells)


def test_exam_results_export(as_user, sam, world):  # noqa: F811
    for person, payload in zip(world["people"], EVIL):
        person.name = payload
        person.save(update_fields=["name"])
    response = as_user(sam).get(reverse("exam:results_export", args=[world["exam"].pk]))
    assert response.status_code == 200
    cells = xlsx_cells(response, "成绩")
    assert_neutralised_xlsx(cells, EVIL[:2])
    scores = [c.value for c in cells if c.column == 5 and c.row > 1]
    assert scores and all(isinstance(s, (int, float)) for s in scores if s is not None)


def test_question_bank_export(as_user, sam, world):  # noqa: F811
    question = world["questions"][0]
    question.stem = "=HYPERLINK(\"http://x\",\"y\")"
    question.explanation = "-1+2"
    question.save(update_fields=["stem", "explanation"])
    response = as_user(sam).get(reverse("exams_import:export", args=[world["bank"].pk, "xlsx"]))
    assert response.status_code == 200
    assert_neutralised_xlsx(xlsx_cells(response), [question.stem, "-1+2"])
    # Imported again, the stem is what was exported: the quote is taken off.
    table = read_table(io.BytesIO(body(response)), "bank.xlsx")
    assert question.stem in set(table.iloc[:, 1])


def test_supervision_bundle_summary(regulator, ent_a, evil_staff):
    from lms.supervision.bundle import bundle_summary_xlsx
    from lms.supervision.services import sample_draw

    sample = sample_draw(regulator=regulator, region_code="320505", n=1, m=1, seed=7)
    rows = [{"序号": i + 1, "姓名": payload, "累计学时": -1.5, "证书数": -2} for i, payload in enumerate(EVIL)]
    data = bundle_summary_xlsx(rows, sample)
    wb = load_workbook(io.BytesIO(data))
    cells = [c for row in wb.worksheets[0].iter_rows() for c in row]
    assert_neutralised_xlsx(cells)
    numbers = [c.value for c in cells if c.column in (3, 4) and c.row > 1]
    assert numbers == [-1.5, -2] * len(EVIL) and all(c.data_type == "n" for c in cells if c.column in (3, 4) and c.row > 1)
