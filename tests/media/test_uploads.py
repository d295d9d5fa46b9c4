"""Every upload is bounded before anything reads it: a size cap per file
(and on the request, answered 413 in Chinese before the body is read), an
inflation cap read from the ZIP directory of .xlsx/.docx/.zip files, and a
row cap while parsing. Nothing of a refused upload is kept."""

import datetime as dt
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from lms.imports import ImportFileError, read_table
from lms.supervision.models import Finding
from lms.supervision.services import SupervisionError, finding_answer
from lms.uploads import UploadRefused, check_upload
from lms.workforce.models import ImportJob

pytestmark = pytest.mark.django_db

EMPLOYEE_UPLOAD = "/admin/workforce/import/"
RECORDS_UPLOAD = "/admin/archive/import/"
BOMB_MESSAGE = "疑似压缩炸弹"


def _workbook_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["工号", "姓名", "身份证号"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_with_sheet(sheet_rows: str) -> bytes:
    """A real .xlsx whose first sheet is replaced by ``sheet_rows`` (row XML)."""
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes()))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData>{sheet_rows}</sheetData></worksheet>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            archive.writestr(info.filename, data)
    return out.getvalue()


def bomb_xlsx(megabytes=12) -> bytes:
    """The same row over and over: the sheet XML compresses far beyond 100:1."""
    row = '<row><c t="inlineStr"><is><t>110101199001011234</t></is></c></row>'
    return xlsx_with_sheet(row * (megabytes * 1024 * 1024 // len(row)))


def rows_xlsx(n: int) -> bytes:
    cells = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>E{i:06d}</t></is></c>'
        f'<c r="B{i}" t="inlineStr"><is><t>员工{i}</t></is></c></row>'
        for i in range(2, n + 2)
    )
    header = ('<row r="1"><c r="A1" t="inlineStr"><is><t>工号</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>')
    return xlsx_with_sheet(header + cells)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the inflation cap, before parsing ---------------------------------------------------------


def test_a_zip_bomb_xlsx_is_refused_before_parsing_and_leaves_nothing(alice_client, ent_a, settings, monkeypatch):
    import pandas as pd

    data = bomb_xlsx()
    member = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert member.file_size > 100 * member.compress_size and len(data) < 1024 * 1024

    def never(*args, **kwargs):
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(pd, "read_excel", never)
    started = time.monotonic()
    response = alice_client.post(
        EMPLOYEE_UPLOAD, {"enterprise": ent_a.pk, "file": SimpleUploadedFile("员工名单.xlsx", data)}
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert BOMB_MESSAGE in response.content.decode()
    assert not ImportJob.objects.exists() and stored_files(settings) == []


def test_the_records_import_refuses_the_bomb_too(alice_client, ent_a, settings):
    response = alice_client.post(RECORDS_UPLOAD, {"enterprise": ent_a.pk, "file": SimpleUploadedFile("档案.xlsx", bomb_xlsx())})
    assert response.status_code == 200 and BOMB_MESSAGE in response.content.decode()
    assert stored_files(settings) == []


def test_every_reader_of_spreadsheets_checks_the_bound(settings):
    with pytest.raises(ImportFileError, match=BOMB_MESSAGE):
        read_table(io.BytesIO(bomb_xlsx(2)), "x.xlsx")
    settings.ANXUN_UPLOAD_MAX_INFLATED_BYTES = 200 * 1024  # total uncompressed size, whatever the ratio
    with pytest.raises(ImportFileError, match=BOMB_MESSAGE):
        read_table(io.BytesIO(rows_xlsx(3000)), "x.xlsx")


def test_nested_zips_count_and_deeper_nesting_is_refused(settings):
    inner = zip_of({"a.txt": b"x" * 1000})
    middle = zip_of({"inner.zip": inner})
    check_upload(SimpleUploadedFile("ok.zip", zip_of({"inner.zip": inner})))
    with pytest.raises(UploadRefused, match=BOMB_MESSAGE):
        check_upload(SimpleUploadedFile("deep.zip", zip_of({"middle.zip": middle})))
    settings.ANXUN_UPLOAD_MAX_INFLATED_BYTES = 1050  # inner.zip is ~150 bytes; its 1000-byte member counts too
    with pytest.raises(UploadRefused, match=BOMB_MESSAGE):
        check_upload(SimpleUploadedFile("ok.zip", zip_of({"inner.zip": inner})))


def test_too_many_members_are_refused(settings):
    settings.ANXUN_UPLOAD_MAX_ZIP_MEMBERS = 5
    with pytest.raises(UploadRefused, match="超过上限 5 个"):
        check_upload(SimpleUploadedFile("photos.zip", zip_of({f"{n}.txt": b"x" for n in range(6)})))


def test_finding_evidence_is_bounded(ent_a, alice, regulator):
    finding = Finding.objects.create(enterprise=ent_a, kind="other", description="台账缺页",
                                     deadline=dt.date(2030, 12, 31), created_by=regulator)
    bomb = zip_of({"a.txt": b"\0" * (3 * 1024 * 1024)})
    with pytest.raises(SupervisionError) as refused:
        finding_answer(actor=alice, finding=finding, text="已整改", evidence=SimpleUploadedFile("照片.zip", bomb))
    assert BOMB_MESSAGE in str(refused.value)
    assert not finding.entries.exists()


# --- the size cap ----------------------------------------------------------------------------


def test_an_oversized_upload_gets_a_chinese_413_before_it_is_read(alice_client, ent_a, settings):
    settings.ANXUN_UPLOAD_MAX_BYTES = 100 * 1024
    big = SimpleUploadedFile("员工名单.csv", b"a,b\n" * (200 * 1024))
    response = alice_client.post(EMPLOYEE_UPLOAD, {"enterprise": ent_a.pk, "file": big})
    assert response.status_code == 413
    assert "上传的文件过大：单个文件不能超过 0.0976562 MB" in response.content.decode()
    assert not ImportJob.objects.exists() and stored_files(settings) == []


def test_the_api_gets_the_413_as_json(client, settings):
    settings.ANXUN_UPLOAD_MAX_BYTES = 1024
    response = client.post("/api/v1/employees/", data=b"x" * 600 * 1024, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "upload_too_large"


def test_a_file_just_over_the_cap_is_refused_by_the_form(alice_client, ent_a, settings):
    settings.ANXUN_UPLOAD_MAX_BYTES = 100 * 1024  # the request may still carry 256 KB of form around it
    upload = SimpleUploadedFile("员工名单.csv", b"a,b\n" * (40 * 1024))
    response = alice_client.post(EMPLOYEE_UPLOAD, {"enterprise": ent_a.pk, "file": upload})
    assert response.status_code == 200
    assert "文件超过 0.0976562 MB 的上传上限" in response.content.decode()
    assert not ImportJob.objects.exists() and stored_files(settings) == []


# --- the row cap while parsing ------------------------------------------------------------------


def test_parsing_stops_at_the_row_cap(settings):
    data = rows_xlsx(30000)

    def peak(max_rows):
        tracemalloc.start()
        try:
            read_table(io.BytesIO(data), "x.xlsx", max_rows=max_rows)
        except ImportFileError as exc:
            assert "超过单次导入上限 100 行" in exc.messages[0]
        else:
            assert max_rows is None
        finally:
            used = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return used

    bounded, whole = peak(100), peak(None)
    assert bounded * 3 < whole, (bounded, whole)
