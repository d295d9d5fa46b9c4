"""HR logs in with MFA, uploads a staff spreadsheet with one bad row, sees
the row error, fixes it, imports, and finds the employees listed."""

import os

import pytest
from openpyxl import Workbook

from lms.workforce.models import Employee
from lms.workforce.synthetic import make_id_number
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADERS = ["工号*", "姓名*", "身份证号*", "手机号", "用工形式", "所在单位编码", "岗位编码", "入职日期*", "主要负责人", "安全管理人员"]


def _sheet(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_hr_imports_staff_after_fixing_a_bad_row(page, live_server, alice, tree_a, tmp_path):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    good_id = make_id_number()
    other_id = make_id_number()
    bad_id = other_id[:-1] + ("0" if other_id[-1] != "0" else "1")  # broken check digit
    rows = [
        ["A1001", "张伟", good_id, "13800001111", "正式员工", "A-T1", "A-OP", "2025-03-01", "否", "否"],
        ["A1002", "李娜", bad_id, "13800002222", "劳务派遣", "A-T1", "A-OP", "2025-03-02", "否", "否"],
    ]
    bad_file = tmp_path / "员工名单.xlsx"
    _sheet(bad_file, rows)

    # Log in: password, then the TOTP code from the authenticator.
    log_in(page, live_server.url, alice)
    page.wait_for_url("**/admin/**")

    # Upload with one bad row: the error names row 3, the column and the reason; nothing is written.
    page.goto(f"{live_server.url}/admin/workforce/import/")
    page.set_input_files("input[type=file]", str(bad_file))
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    body = page.locator("body")
    body.get_by_text("身份证号校验位错误").first.wait_for()
    table_text = page.locator("table").first.inner_text()
    assert "3" in table_text and "身份证号" in table_text
    assert Employee.objects.count() == 0

    # Fix the row and upload again.
    rows[1][2] = other_id
    fixed_file = tmp_path / "员工名单-已修正.xlsx"
    _sheet(fixed_file, rows)
    page.set_input_files("input[type=file]", str(fixed_file))
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()
    page.get_by_text("新增").first.wait_for()
    assert Employee.objects.filter(enterprise=tree_a[0].enterprise).count() == 2

    # The employee list shows both, ID numbers masked.
    page.goto(f"{live_server.url}/admin/workforce/employee/")
    page.get_by_text("张伟").first.wait_for()
    listing = page.locator("main").inner_text()
    assert "李娜" in listing
    assert good_id not in listing
    assert good_id[:6] in listing
    page.screenshot(path=str(tmp_path / "employees.png"), full_page=True)
