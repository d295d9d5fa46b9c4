"""python manage.py import_employees FILE --enterprise CODE [--dry-run]"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.workforce.models import Employee, EmploymentEvent

from .fixtures.importfiles import csv_bytes, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def call(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_employees", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


def test_imports_by_enterprise_code_as_the_system(ent_a, tree_a, tmp_path):
    path = tmp_path / "员工.xlsx"
    path.write_bytes(xlsx_bytes([row(1, 岗位编码=tree_a[3].code), row(2)]))

    error, out, _err = call(str(path), "--enterprise", "hxchem")

    assert error is None
    assert "导入完成" in out and "共 2 行" in out and "新增 2" in out
    # The new hire owes pre-post training: the post is the target, not yet worked.
    assert "岗位：0 人已上岗；1 人未取得上岗资格" in out
    assert Employee.objects.filter(enterprise=ent_a).count() == 2
    hire = EmploymentEvent.objects.get(employee__employee_no="00001")
    assert hire.source == "import" and hire.recorded_by is None


def test_enterprise_may_be_named_by_credit_code(ent_a, tmp_path):
    path = tmp_path / "员工.csv"
    path.write_bytes(csv_bytes([row(1)], encoding="gbk"))

    error, out, _err = call(str(path), "--enterprise", ent_a.credit_code.lower())

    assert error is None and "新增 1" in out
    assert Employee.objects.get().enterprise == ent_a


def test_errors_are_printed_one_per_line_and_exit_status_is_1(ent_a, tmp_path):
    path = tmp_path / "员工.xlsx"
    path.write_bytes(xlsx_bytes([row(1, 姓名=""), row(2), row(3, 身份证号="110101199003071235")]))

    error, _out, err = call(str(path), "--enterprise", "hxchem")

    assert isinstance(error, CommandError) and error.returncode == 1
    assert "2 处错误，未导入任何数据" in str(error)
    assert err.splitlines() == ["第 2 行 · 姓名：必填项不能为空", "第 4 行 · 身份证号：身份证号校验位错误"]
    assert Employee.objects.count() == 0


def test_dry_run_checks_and_writes_nothing(ent_a, tmp_path):
    path = tmp_path / "员工.xlsx"
    path.write_bytes(xlsx_bytes([row(1), row(2)]))

    error, out, _err = call(str(path), "--enterprise", "hxchem", "--dry-run")

    assert error is None and "检查通过（未写入）" in out and "新增 2" in out
    assert Employee.objects.count() == 0


def test_unknown_enterprise_or_missing_file_fails(ent_a, tmp_path):
    path = tmp_path / "员工.xlsx"
    path.write_bytes(xlsx_bytes([row(1)]))
    error, _out, _err = call(str(path), "--enterprise", "nope")
    assert isinstance(error, CommandError) and "找不到企业：nope" in str(error)

    error, _out, _err = call(str(tmp_path / "没有.xlsx"), "--enterprise", "hxchem")
    assert isinstance(error, CommandError) and "找不到文件" in str(error)
    assert Employee.objects.count() == 0


def test_exit_status_of_the_real_command_line(ent_a, tmp_path, capfd):
    """Run through manage.py's entry point: status 1 and the errors on stderr."""
    from django.core.management import ManagementUtility

    path = tmp_path / "员工.xlsx"
    path.write_bytes(xlsx_bytes([row(1, 手机号="123")]))
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_employees", str(path), "--enterprise", "hxchem"]).execute()
    assert exit_info.value.code == 1
    captured = capfd.readouterr()
    assert "第 2 行 · 手机号：手机号格式不正确（应为 11 位大陆手机号）" in captured.err
