"""python manage.py import_records FILE --enterprise CODE [--dry-run]"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.archive.models import TrainingRecord
from tests.factories import EmployeeFactory

from .test_import_records import csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def call(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_records", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


@pytest.fixture
def people(ent_a):
    return [
        EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟"),
        EmployeeFactory(enterprise=ent_a, employee_no="A0102", name="李娜"),
    ]


def test_imports_as_the_system_and_says_what_it_did(ent_a, people, tmp_path):
    path = tmp_path / "纸质档案.xlsx"
    path.write_bytes(xlsx_bytes([row(), row("A0102"), row(教育层级="车间级")]))

    error, out, _err = call(str(path), "--enterprise", "hxchem")

    assert error is None
    assert "导入完成：华兴化工有限公司，共 3 行；新增培训记录 3 条（涉及 2 名员工），已存在跳过 0 条。" in out
    record = TrainingRecord.objects.filter(employee=people[0]).first()
    assert record.source == "historical" and record.recorded_by is None
    assert record.source_ref == "历史档案导入：纸质档案.xlsx 第 2 行"

    # The same file again: every row is already there, nothing is written, success.
    error, out, _err = call(str(path), "--enterprise", ent_a.credit_code)
    assert error is None
    assert "第 2 行：已存在，跳过" in out and "新增培训记录 0 条" in out and "已存在跳过 3 条" in out
    assert TrainingRecord.objects.count() == 3


def test_errors_are_printed_one_per_line_and_exit_status_is_1(ent_a, people, tmp_path):
    path = tmp_path / "档案.csv"
    path.write_bytes(csv_bytes([row(), row("A9999"), row("A0102", 学时="abc")], encoding="gbk"))

    error, _out, err = call(str(path), "--enterprise", "hxchem")

    assert isinstance(error, CommandError) and error.returncode == 1
    assert "文件有 2 处错误，未导入任何记录。" in str(error)
    assert err.splitlines() == [
        "第 3 行 · 工号：工号“A9999”在本企业不存在（请先导入员工名单）",
        "第 4 行 · 学时：学时应为 0 到 999.9 之间的数字（最多一位小数），实际为“abc”",
    ]
    assert TrainingRecord.objects.count() == 0


def test_dry_run_checks_and_writes_nothing(ent_a, people, tmp_path):
    path = tmp_path / "档案.xlsx"
    path.write_bytes(xlsx_bytes([row(), row("A0102")]))

    error, out, _err = call(str(path), "--enterprise", "hxchem", "--dry-run")

    assert error is None and "检查通过（未写入）" in out and "将新增培训记录 2 条" in out
    assert TrainingRecord.objects.count() == 0


def test_unknown_enterprise_or_missing_file_fails(ent_a, people, tmp_path):
    path = tmp_path / "档案.xlsx"
    path.write_bytes(xlsx_bytes([row()]))
    error, _out, _err = call(str(path), "--enterprise", "nope")
    assert isinstance(error, CommandError) and error.returncode == 1 and "找不到企业：nope" in str(error)

    error, _out, _err = call(str(tmp_path / "没有.xlsx"), "--enterprise", "hxchem")
    assert isinstance(error, CommandError) and "找不到文件" in str(error)
    assert TrainingRecord.objects.count() == 0
