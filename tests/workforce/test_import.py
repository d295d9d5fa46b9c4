"""Employee import: all rows or none, every error reported, tolerant reading,
idempotent, transfers on a changed post, constant query count."""

import collections
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.compliance.models import Obligation, TrainingRule
from lms.workforce.importing import (
    EXAMPLE_ID_NUMBER,
    ImportResult,
    RowError,
    build_template,
    import_employees,
    importjob_create,
    importjob_run,
    read_table,
)
from lms.workforce.models import Employee, EmploymentEvent, EmploymentType, ImportJob, PostAssignment
from lms.workforce.synthetic import make_id_number
from tests.factories import EmployeeFactory, MembershipFactory, PostFactory, UserFactory

from .fixtures.importfiles import HEADERS, csv_bytes, person_id, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(enterprise, data: bytes, filename="员工.xlsx", actor=None, **kwargs) -> ImportResult:
    return import_employees(enterprise=enterprise, fileobj=io.BytesIO(data), filename=filename, actor=actor, **kwargs)


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


def counts():
    return (
        Employee.objects.count(),
        EmploymentEvent.objects.count(),
        PostAssignment.objects.count(),
        Obligation.objects.count(),
    )


# --- a good file ---------------------------------------------------------------


@pytest.fixture
def no_training_rules(db):
    """No training rules in force: hires owe no pre-post training, so the
    clearance gate lets a new hire onto an ordinary post at once."""
    TrainingRule.objects.all().delete()


def test_valid_file_creates_employees_hire_events_and_obligations(ent_a, tree_a, alice):
    _company, _workshop, team, post = tree_a
    rows = [
        row(1, 所在单位编码=team.code, 岗位编码=post.code, 主要负责人="是"),
        row(2, 用工形式="劳务派遣", 安全管理人员="Y"),
        row(3, 手机号="", 用工形式="实习生"),
    ]
    result = run(ent_a, xlsx_bytes(rows), actor=alice)

    assert result.ok and result.errors == []
    assert (result.total_rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    first = Employee.objects.get(enterprise=ent_a, employee_no="00001")
    assert first.name == "员工1" and first.id_number == person_id(1)
    assert first.phone == "+8613900000001"
    assert first.org_unit == team and first.is_principal and not first.is_safety_manager
    assert first.hire_date == dt.date(2024, 3, 1) and first.status == Employee.Status.ACTIVE
    second = Employee.objects.get(employee_no="00002")
    assert second.employment_type == EmploymentType.DISPATCHED and second.is_safety_manager
    third = Employee.objects.get(employee_no="00003")
    assert third.employment_type == EmploymentType.INTERN and third.phone == ""

    hires = EmploymentEvent.objects.filter(type=EmploymentEvent.Type.HIRE, source=EmploymentEvent.Source.IMPORT)
    assert hires.count() == 3
    assert hires.get(employee=first).post == post
    assert hires.get(employee=first).recorded_by == alice
    assert hires.get(employee=second).post is None
    # As through services.event_record: the hire creates the three-level induction.
    levels = set(first.obligations.filter(kind="induction").values_list("level", flat=True))
    assert levels == {"company", "workshop", "team"}
    assert second.obligations.filter(kind="induction").count() == 3
    # The gate: untrained, so not put on the post; the hire event keeps it as the target.
    assert not PostAssignment.objects.exists()
    assert (result.assigned, result.awaiting_clearance) == (0, 1)
    entry = ModelLogEntry.objects.get(action="anxun.import")
    assert entry.object_id == str(ent_a.pk) and entry.user == alice
    assert entry.data["created"] == 3 and entry.data["total_rows"] == 3 and entry.data["awaiting_clearance"] == 1


def test_cleared_new_hire_is_put_on_the_post_from_the_hire_date(ent_a, tree_a, no_training_rules):
    post = tree_a[3]
    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=post.code), row(2)]))

    assert (result.created, result.assigned, result.awaiting_clearance) == (2, 1, 0)
    assignment = PostAssignment.objects.get()
    assert (assignment.employee.employee_no, assignment.post, assignment.start_date, assignment.end_date) == (
        "00001",
        post,
        dt.date(2024, 3, 1),
        None,
    )


def test_the_gate_also_refuses_a_special_operation_post_without_certificate(ent_a, tree_a, no_training_rules):
    welder = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", special_operation="welding")
    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=welder.code)]))

    assert result.ok and (result.assigned, result.awaiting_clearance) == (0, 1)
    assert not PostAssignment.objects.exists()
    assert EmploymentEvent.objects.get().post == welder


def test_row_error_string_names_row_column_and_reason():
    assert str(RowError(7, "身份证号", "身份证号校验位错误")) == "第 7 行 · 身份证号：身份证号校验位错误"


# --- all or nothing ----------------------------------------------------------------


def test_one_bad_row_among_good_ones_writes_nothing_and_names_it(ent_a, tree_a):
    rows = [row(1), row(2), row(3, 身份证号="110101199003071235"), row(4)]
    result = run(ent_a, xlsx_bytes(rows))

    assert not result.ok
    assert errors_of(result) == [(4, "身份证号", "身份证号校验位错误")]
    assert counts() == (0, 0, 0, 0)
    assert not ModelLogEntry.objects.filter(action="anxun.import").exists()


def test_every_bad_row_is_reported_not_just_the_first(ent_a, tree_a):
    rows = [row(1, 姓名=""), row(2), row(3, 手机号="12345"), row(4, 入职日期="2024-02-30"), row(5, 用工形式="临时工")]
    result = run(ent_a, xlsx_bytes(rows))

    assert [(e.row, e.column) for e in result.errors] == [(2, "姓名"), (4, "手机号"), (5, "入职日期"), (6, "用工形式")]
    assert all(e.reason for e in result.errors)
    assert counts() == (0, 0, 0, 0)


def test_an_existing_employee_is_not_updated_when_another_row_is_bad(ent_a, tree_a):
    EmployeeFactory(enterprise=ent_a, employee_no="00001", id_number=person_id(1), name="旧名字")
    result = run(ent_a, xlsx_bytes([row(1, 姓名="新名字"), row(2, 身份证号="123")]))

    assert not result.ok
    assert Employee.objects.get(employee_no="00001").name == "旧名字"
    assert Employee.objects.count() == 1


# --- each kind of error --------------------------------------------------------------

FUTURE = (timezone.localdate() + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "column", "reason"),
    [
        ({"工号": ""}, "工号", "必填项不能为空"),
        ({"工号": "A 01"}, "工号", "只能包含字母、数字"),
        ({"姓名": ""}, "姓名", "必填项不能为空"),
        ({"身份证号": ""}, "身份证号", "必填项不能为空"),
        ({"身份证号": "11010119900307123"}, "身份证号", "身份证号应为 18 位"),
        ({"身份证号": "110101199003071235"}, "身份证号", "身份证号校验位错误"),
        ({"身份证号": "110101199002300006"}, "身份证号", "出生日期"),
        ({"身份证号": "1.10101199003071E+17"}, "身份证号", "存成了数字"),
        ({"手机号": "1380013800"}, "手机号", "手机号格式不正确"),
        ({"用工形式": "临时工"}, "用工形式", "无法识别的用工形式“临时工”"),
        ({"所在单位编码": "NOPE"}, "所在单位编码", "单位编码“NOPE”在本企业不存在"),
        ({"岗位编码": "NOPE"}, "岗位编码", "岗位编码“NOPE”在本企业不存在"),
        ({"入职日期": ""}, "入职日期", "必填项不能为空"),
        ({"入职日期": "去年三月"}, "入职日期", "无法识别的日期“去年三月”"),
        ({"入职日期": "2024-13-01"}, "入职日期", "无法识别的日期"),
        ({"入职日期": FUTURE}, "入职日期", "晚于今天"),
        ({"入职日期": "1960-01-01"}, "入职日期", "早于身份证号中的出生日期"),
        ({"主要负责人": "也许"}, "主要负责人", "应填“是”或“否”"),
        ({"安全管理人员": "maybe"}, "安全管理人员", "应填“是”或“否”"),
    ],
)
def test_each_cell_error_is_reported_with_row_column_and_reason(ent_a, tree_a, overrides, column, reason):
    result = run(ent_a, xlsx_bytes([row(1), row(2, **overrides)]))

    assert len(result.errors) == 1, errors_of(result)
    error = result.errors[0]
    assert (error.row, error.column) == (3, column)
    assert reason in error.reason
    assert counts() == (0, 0, 0, 0)


def test_inactive_unit_and_post_are_refused(ent_a, tree_a):
    _company, _workshop, team, post = tree_a
    team.is_active = False
    team.save()
    post.is_active = False
    post.save()
    result = run(ent_a, xlsx_bytes([row(1, 所在单位编码=team.code, 岗位编码=post.code)]))

    assert errors_of(result) == [
        (2, "所在单位编码", f"单位“甲班”（{team.code}）已停用"),
        (2, "岗位编码", f"岗位“操作工”（{post.code}）已停用"),
    ]


def test_unit_and_post_of_another_enterprise_count_as_unknown(ent_a, tree_a, tree_b):
    _company_b, _workshop_b, team_b, post_b = tree_b
    result = run(ent_a, xlsx_bytes([row(1, 所在单位编码=team_b.code, 岗位编码=post_b.code)]))

    assert errors_of(result) == [
        (2, "所在单位编码", f"单位编码“{team_b.code}”在本企业不存在"),
        (2, "岗位编码", f"岗位编码“{post_b.code}”在本企业不存在"),
    ]


def test_duplicate_employee_numbers_report_every_duplicate_naming_the_first(ent_a, tree_a):
    rows = [row(1), row(2, 工号="00001"), row(3), row(4, 工号="00001")]
    result = run(ent_a, xlsx_bytes(rows))

    assert errors_of(result) == [
        (3, "工号", "工号“00001”与第 2 行重复"),
        (5, "工号", "工号“00001”与第 2 行重复"),
    ]


def test_duplicate_id_numbers_in_the_file_are_reported(ent_a, tree_a):
    rows = [row(1), row(2, 身份证号=person_id(1).lower())]
    result = run(ent_a, xlsx_bytes(rows))

    assert errors_of(result) == [(3, "身份证号", "身份证号与第 2 行重复")]


def test_id_number_of_another_employee_in_the_enterprise_is_refused(ent_a, ent_b, tree_a):
    EmployeeFactory(enterprise=ent_a, employee_no="X9", id_number=person_id(7))
    # The same person may work for another enterprise: no conflict there.
    EmployeeFactory(enterprise=ent_b, employee_no="00008", id_number=person_id(8))
    result = run(ent_a, xlsx_bytes([row(1, 身份证号=person_id(7)), row(8)]))

    assert errors_of(result) == [(2, "身份证号", "该身份证号已被本企业工号为“X9”的员工使用")]


def test_missing_required_header_is_one_error_on_row_1(ent_a, tree_a):
    headers = [h for h in HEADERS if h not in ("身份证号*", "入职日期*")]
    result = run(ent_a, xlsx_bytes([row(1), row(2)], headers=headers))

    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.row == 1 and "身份证号" in error.column and "入职日期" in error.column
    assert "缺少必填列：身份证号、入职日期" in error.reason
    assert counts() == (0, 0, 0, 0)


def test_more_rows_than_allowed_is_one_error(ent_a, tree_a, settings):
    settings.ANXUN_IMPORT_MAX_ROWS = 3
    result = run(ent_a, xlsx_bytes([row(n) for n in range(4)]))

    assert len(result.errors) == 1 and "超过单次导入上限 3 行" in result.errors[0].reason
    assert Employee.objects.count() == 0


@pytest.mark.parametrize("data", [b"", csv_bytes([]), b"\n\n"])
def test_file_without_data_rows_says_so(ent_a, data):
    result = run(ent_a, data, filename="空.csv")
    assert errors_of(result) == [(1, "", "文件中没有数据行")]


def test_xlsx_with_only_headers_has_no_data_rows(ent_a):
    assert errors_of(run(ent_a, xlsx_bytes([]))) == [(1, "", "文件中没有数据行")]


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("员工.pdf", b"%PDF-1.4", "不支持的文件类型“.pdf”"),
        ("员工.xls", b"\xd0\xcf\x11\xe0", "另存为"),
        ("员工.xlsx", b"this is not a zip file", "无法打开该 Excel 文件"),
    ],
)
def test_unreadable_or_unknown_files_get_a_clear_chinese_error(ent_a, filename, data, reason):
    result = run(ent_a, data, filename=filename)
    assert len(result.errors) == 1 and reason in result.errors[0].reason


def test_employee_on_leave_cannot_be_moved_to_a_post(ent_a, tree_a):
    post = tree_a[3]
    EmployeeFactory(enterprise=ent_a, employee_no="00001", id_number=person_id(1), status=Employee.Status.ON_LEAVE)
    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=post.code)]))

    assert errors_of(result) == [(2, "岗位编码", "员工处于离岗状态，须先记录复岗，才能调整岗位")]


def test_hire_date_after_a_current_post_start_is_refused(ent_a, tree_a):
    post = tree_a[3]
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="00001", id_number=person_id(1), hire_date=dt.date(2023, 1, 1)
    )
    PostAssignment.objects.create(employee=employee, post=post, start_date=dt.date(2023, 1, 1))
    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=post.code, 入职日期="2024-03-01")]))

    assert errors_of(result) == [(2, "入职日期", "入职日期不能晚于该员工现有岗位的上岗日期 2023-01-01")]


def test_the_template_example_row_left_in_is_refused(ent_a):
    result = run(ent_a, build_template(), filename="员工导入模板.xlsx")
    assert errors_of(result) == [(2, "工号", "这是模板中的示例行，请删除后再导入")]


# --- tolerant reading ------------------------------------------------------------------


def test_gbk_csv_from_chinese_excel_is_read(ent_a, tree_a):
    data = csv_bytes([row(1), row(2, 姓名="欧阳娜娜")], encoding="gbk")
    result = run(ent_a, data, filename="员工名单.csv")

    assert result.ok, errors_of(result)
    assert Employee.objects.get(employee_no="00002").name == "欧阳娜娜"


def test_utf8_csv_keeps_leading_zeros_and_row_numbers_count_blank_lines(ent_a):
    text = f"工号,姓名,身份证号,入职日期\n007,张三,{person_id(1)},2024-03-01\n\n0008,李四,123,2024-03-01\n"
    result = run(ent_a, text.encode("utf-8"), filename="a.csv")
    assert errors_of(result) == [(4, "身份证号", "身份证号应为 18 位")]

    text = text.replace(",123,", f",{person_id(2)},")
    assert run(ent_a, text.encode("utf-8"), filename="a.csv").ok
    assert set(Employee.objects.values_list("employee_no", flat=True)) == {"007", "0008"}


def test_leading_zeros_kept_in_xlsx_text_cells(ent_a):
    result = run(ent_a, xlsx_bytes([row(1, 工号="000123", 手机号="013900000001")]))
    # The phone is not a mobile number once a zero is prefixed: still the cell is read as text.
    assert errors_of(result) == [(2, "手机号", "手机号格式不正确（应为 11 位大陆手机号）")]
    result = run(ent_a, xlsx_bytes([row(1, 工号="000123")]))
    assert result.ok
    assert Employee.objects.get().employee_no == "000123"


def test_numeric_cells_are_read_as_their_digits(ent_a):
    result = run(ent_a, xlsx_bytes([row(1, 工号=1001, 手机号=13900000001, 主要负责人=1, 安全管理人员=0)]))
    assert result.ok, errors_of(result)
    employee = Employee.objects.get()
    assert (employee.employee_no, employee.phone, employee.is_principal, employee.is_safety_manager) == (
        "1001",
        "+8613900000001",
        True,
        False,
    )


def test_id_number_typed_as_a_number_in_excel_gets_a_hint(ent_a):
    result = run(ent_a, xlsx_bytes([row(1, 身份证号=int(person_id(1)[:17] + "0"))]))
    assert len(result.errors) == 1
    assert result.errors[0].column == "身份证号" and "存成了数字" in result.errors[0].reason


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_both_excel_readers_give_the_same_text(engine, monkeypatch):
    from lms import imports  # the shared reader behind lms.workforce.importing.read_table

    monkeypatch.setattr(imports, "_EXCEL_ENGINE", engine)
    data = xlsx_bytes([row(1, 工号="007", 入职日期=dt.date(2024, 3, 1), 手机号=13900000001, 主要负责人=True), {}, row(3)])
    df = read_table(io.BytesIO(data), "x.xlsx")
    assert list(df.index) == [2, 4]
    assert df.loc[2, ["工号*", "入职日期*", "手机号", "主要负责人"]].tolist() == [
        "007",
        "2024-03-01 00:00:00",
        "13900000001",
        "True",
    ]


@pytest.mark.parametrize(
    "cell",
    [
        dt.datetime(2024, 3, 1),
        dt.date(2024, 3, 1),
        "2024-03-01",
        "2024/3/1",
        "2024.3.1",
        "2024年3月1日",
        "20240301",
        " 2024-03-01 ",
        "2024-03-01 00:00:00",
        "45352",
    ],
)
def test_dates_in_the_usual_forms_are_read(ent_a, cell):
    result = run(ent_a, xlsx_bytes([row(1, 入职日期=cell)]))
    assert result.ok, errors_of(result)
    assert Employee.objects.get().hire_date == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("是", True),
        ("Y", True),
        ("y", True),
        ("1", True),
        ("√", True),
        ("TRUE", True),
        (True, True),
        ("否", False),
        ("N", False),
        ("0", False),
        ("", False),
        ("×", False),
        (False, False),
    ],
)
def test_yes_no_variants(ent_a, cell, expected):
    result = run(ent_a, xlsx_bytes([row(1, 主要负责人=cell, 安全管理人员=cell)]))
    assert result.ok, errors_of(result)
    employee = Employee.objects.get()
    assert employee.is_principal is expected and employee.is_safety_manager is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("正式员工", "regular"),
        ("正式", "regular"),
        ("", "regular"),
        ("regular", "regular"),
        ("劳务派遣", "dispatched"),
        ("派遣", "dispatched"),
        ("Dispatched", "dispatched"),
        ("外包", "contractor"),
        ("外包人员", "contractor"),
        ("contractor", "contractor"),
        ("实习", "intern"),
        ("实习生", "intern"),
        ("intern", "intern"),
    ],
)
def test_employment_type_variants(ent_a, cell, expected):
    assert run(ent_a, xlsx_bytes([row(1, 用工形式=cell)])).ok
    assert Employee.objects.get().employment_type == expected


def test_headers_tolerate_spaces_stars_notes_and_full_width(ent_a, tree_a):
    headers = [
        " 工号 * ",
        "姓名＊",
        "身份证号（18位）",
        "手机号(选填)",
        "用工形式",
        "所在单位编码",
        "岗位编码",
        "入职日期（YYYY-MM-DD）",
        "主要负责人 ",
        "安全管理人员",
        "备注",
    ]
    rows = [row(1, 所在单位编码=tree_a[2].code)]
    bare_rows = [{h.strip(" *＊").split("（")[0].split("(")[0].strip(" *"): v for h, v in r.items()} for r in rows]
    data = xlsx_bytes(
        bare_rows,
        headers=[
            "工号",
            "姓名",
            "身份证号",
            "手机号",
            "用工形式",
            "所在单位编码",
            "岗位编码",
            "入职日期",
            "主要负责人",
            "安全管理人员",
            "备注",
        ],
    )
    # Rewrite the header row with the untidy spellings.
    workbook = load_workbook(io.BytesIO(data))
    for index, header in enumerate(headers, start=1):
        workbook.active.cell(row=1, column=index, value=header)
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = run(ent_a, buffer.getvalue())
    assert result.ok, errors_of(result)
    assert Employee.objects.get().org_unit == tree_a[2]


def test_read_table_gives_text_cells_indexed_by_excel_row(ent_a):
    df = read_table(io.BytesIO(xlsx_bytes([row(1, 工号="007"), {}, row(3)])), "x.xlsx")
    assert list(df.index) == [2, 4]
    assert df.loc[2, "工号*"] == "007"


def test_optional_columns_left_out_keep_existing_values(ent_a, tree_a):
    team = tree_a[2]
    EmployeeFactory(
        enterprise=ent_a,
        employee_no="00001",
        id_number=person_id(1),
        name="员工1",
        phone="+8613900000001",
        org_unit=team,
        is_principal=True,
        hire_date=dt.date(2024, 3, 1),
    )
    headers = ["工号", "姓名", "身份证号", "入职日期"]
    result = run(ent_a, xlsx_bytes([row(1)], headers=headers))

    assert (result.updated, result.unchanged) == (0, 1)
    employee = Employee.objects.get()
    assert employee.org_unit == team and employee.is_principal and employee.phone == "+8613900000001"


# --- upsert, idempotence, transfers ----------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(ent_a, tree_a):
    post = tree_a[3]
    data = xlsx_bytes([row(n, 岗位编码=post.code if n % 2 else "", 所在单位编码=tree_a[2].code) for n in range(1, 6)])
    first = run(ent_a, data)
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    before = counts()
    stamps = dict(Employee.objects.values_list("pk", "updated_at"))

    second = run(ent_a, data)
    assert second.ok
    assert (second.created, second.updated, second.unchanged, second.transferred) == (0, 0, 5, 0)
    assert counts() == before
    assert dict(Employee.objects.values_list("pk", "updated_at")) == stamps


def test_changed_rows_are_updated_and_counted(ent_a, tree_a):
    run(ent_a, xlsx_bytes([row(1), row(2), row(3)]))
    result = run(ent_a, xlsx_bytes([row(1, 姓名="新名字", 主要负责人="是"), row(2), row(3, 手机号=""), row(4)]))

    assert (result.created, result.updated, result.unchanged) == (1, 2, 1)
    assert Employee.objects.get(employee_no="00001").name == "新名字"
    assert Employee.objects.get(employee_no="00001").is_principal
    assert Employee.objects.get(employee_no="00003").phone == ""
    # Updates record no new hire event.
    assert EmploymentEvent.objects.filter(type=EmploymentEvent.Type.HIRE).count() == 4


def test_changed_post_is_a_transfer_dated_today(ent_a, tree_a, no_training_rules):
    _company, _workshop, team, old_post = tree_a
    new_post = PostFactory(enterprise=ent_a, org_unit=team, code="A-OP2", name="巡检工")
    run(ent_a, xlsx_bytes([row(1, 岗位编码=old_post.code), row(2, 岗位编码=old_post.code)]))
    today = timezone.localdate()

    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=new_post.code), row(2, 岗位编码=old_post.code)]))

    assert (result.created, result.updated, result.unchanged, result.transferred) == (0, 1, 1, 1)
    moved = Employee.objects.get(employee_no="00001")
    transfer = EmploymentEvent.objects.get(type=EmploymentEvent.Type.TRANSFER)
    assert (transfer.employee, transfer.post, transfer.date, transfer.source) == (moved, new_post, today, "import")
    old = PostAssignment.objects.get(employee=moved, post=old_post)
    assert old.end_date == today - dt.timedelta(days=1)
    new = PostAssignment.objects.get(employee=moved, post=new_post)
    assert (new.start_date, new.end_date) == (today, None)
    stayed = Employee.objects.get(employee_no="00002")
    assert stayed.assignments.get().end_date is None

    # Importing the same file again does not transfer again.
    again = run(ent_a, xlsx_bytes([row(1, 岗位编码=new_post.code), row(2, 岗位编码=old_post.code)]))
    assert (again.updated, again.unchanged, again.transferred) == (0, 2, 0)
    assert EmploymentEvent.objects.filter(type=EmploymentEvent.Type.TRANSFER).count() == 1


def test_transfer_to_a_post_needing_retraining_ends_the_old_post_and_waits(ent_a, tree_a):
    """令3 §17: a transfer owes workshop + team level again, so the gate keeps
    the person off the new post; the old one ends as for any transfer."""
    team, old_post = tree_a[2], tree_a[3]
    new_post = PostFactory(enterprise=ent_a, org_unit=team, code="A-OP2")
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="00001", id_number=person_id(1), name="员工1", phone="+8613900000001"
    )
    PostAssignment.objects.create(employee=employee, post=old_post, start_date=dt.date(2024, 3, 1))

    result = run(ent_a, xlsx_bytes([row(1, 岗位编码=new_post.code)]))

    assert (result.updated, result.transferred, result.assigned, result.awaiting_clearance) == (1, 1, 0, 1)
    employee = Employee.objects.get()
    today = timezone.localdate()
    assert employee.assignments.get().end_date == today - dt.timedelta(days=1)
    transfer = EmploymentEvent.objects.get(type=EmploymentEvent.Type.TRANSFER)
    assert (transfer.post, transfer.date) == (new_post, today)
    assert set(employee.obligations.filter(kind="retraining").values_list("level", flat=True)) == {"workshop", "team"}

    # The target post is remembered: importing the same file again transfers nobody.
    again = run(ent_a, xlsx_bytes([row(1, 岗位编码=new_post.code)]))
    assert (again.updated, again.unchanged, again.transferred) == (0, 1, 0)
    assert EmploymentEvent.objects.filter(type=EmploymentEvent.Type.TRANSFER).count() == 1


def test_transfer_ends_an_assignment_that_started_today_on_its_start_date(ent_a, tree_a):
    team, old_post = tree_a[2], tree_a[3]
    new_post = PostFactory(enterprise=ent_a, org_unit=team, code="A-OP2")
    today = timezone.localdate()
    employee = EmployeeFactory(
        enterprise=ent_a, employee_no="00001", id_number=person_id(1), hire_date=dt.date(2024, 3, 1)
    )
    PostAssignment.objects.create(employee=employee, post=old_post, start_date=today)

    assert run(ent_a, xlsx_bytes([row(1, 岗位编码=new_post.code)])).ok
    assert PostAssignment.objects.get(post=old_post).end_date == today


def _statements(ctx) -> collections.Counter:
    return collections.Counter(q["sql"].split(None, 1)[0].upper() for q in ctx.captured_queries)


def test_query_count_does_not_grow_with_rows(ent_a, tree_a, django_assert_max_num_queries):
    """Reads are a fixed set whatever the row count; writes are bulk
    statements, one per batch (SQLite's 999-parameter limit makes a batch
    ~60–140 rows, PostgreSQL's 500), never one per row."""
    team, post = tree_a[2], tree_a[3]
    new_post = PostFactory(enterprise=ent_a, org_unit=team, code="A-OP2")

    def statements_for(numbers, **overrides):
        data = xlsx_bytes([row(n, 所在单位编码=team.code, **overrides) for n in numbers])
        with CaptureQueriesContext(connection) as ctx:
            result = run(ent_a, data)
        assert result.ok, errors_of(result)
        return _statements(ctx), result

    statements_for([1])  # warm caches (content types for the audit log)
    small, _r = statements_for(range(1000, 1020), 岗位编码=post.code)
    large, _r = statements_for(range(2000, 2200), 岗位编码=post.code)
    assert large["SELECT"] == small["SELECT"]
    # 200 rows write 1,000 rows (employees, hire events, obligations) in a few dozen statements
    # (the placements' requirements and the training on file: a fixed ten more reads).
    assert sum(large.values()) <= 50

    # Updates and transfers (the same 20 and 200 people, now renamed and moved).
    small, result = statements_for(range(1000, 1020), 岗位编码=new_post.code, 姓名="改名")
    assert result.updated == result.transferred == 20
    large, result = statements_for(range(2000, 2200), 岗位编码=new_post.code, 姓名="改名")
    assert result.updated == result.transferred == 200
    assert large["SELECT"] == small["SELECT"]
    assert large["UPDATE"] <= small["UPDATE"] + 2
    assert sum(large.values()) <= 50

    # 1,000 new rows (employees, hire events, 3,000 obligations) under a fixed cap.
    data = xlsx_bytes([row(n, 所在单位编码=team.code, 岗位编码=post.code) for n in range(5000, 6000)])
    with django_assert_max_num_queries(120):
        assert run(ent_a, data).created == 1000


def test_dry_run_checks_but_writes_nothing(ent_a, tree_a):
    result = run(ent_a, xlsx_bytes([row(1), row(2)]), dry_run=True)
    assert result.ok and result.created == 2
    assert counts() == (0, 0, 0, 0)


def test_progress_is_reported_while_checking(ent_a):
    calls = []
    run(ent_a, xlsx_bytes([row(n) for n in range(1200)]), progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 1200) and (500, 1200) in calls and (1000, 1200) in calls and calls[-1] == (1200, 1200)


# --- permission ---------------------------------------------------------------------


def test_hr_of_another_enterprise_may_not_import(ent_a, charlie):
    with pytest.raises(PermissionDenied):
        run(ent_a, xlsx_bytes([row(1)]), actor=charlie)
    assert Employee.objects.count() == 0


def test_employee_and_trainer_may_not_import(ent_a, bob):
    trainer = UserFactory()
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    for actor in (bob, trainer):
        with pytest.raises(PermissionDenied):
            run(ent_a, xlsx_bytes([row(1)]), actor=actor)
    assert not Employee.objects.filter(employee_no="00001").exists()


# --- jobs -----------------------------------------------------------------------------


def upload(data: bytes, name="员工.xlsx"):
    return SimpleUploadedFile(name, data)


def test_job_runs_once_and_stores_counts(ent_a, alice):
    job = importjob_create(enterprise=ent_a, upload=upload(xlsx_bytes([row(1), row(2)])), actor=alice)
    assert (job.status, job.total_rows, job.created_by, job.original_name) == ("pending", 2, alice, "员工.xlsx")

    done = importjob_run(job.id)
    assert done.status == ImportJob.Status.SUCCEEDED
    assert (done.created_count, done.updated_count, done.unchanged_count, done.processed_rows) == (2, 0, 0, 2)
    assert done.finished_at is not None and done.errors == []
    # A second delivery of the task does nothing.
    assert importjob_run(job.id) is None
    assert Employee.objects.count() == 2


def test_failed_job_stores_every_error_as_dicts(ent_a, alice):
    job = importjob_create(
        enterprise=ent_a, upload=upload(xlsx_bytes([row(1, 姓名=""), row(2, 入职日期="x")])), actor=alice
    )
    done = importjob_run(job.id)
    assert done.status == ImportJob.Status.FAILED
    assert done.errors == [
        {"row": 2, "column": "姓名", "reason": "必填项不能为空"},
        {"row": 3, "column": "入职日期", "reason": "无法识别的日期“x”，请写成 YYYY-MM-DD，如 2024-03-01"},
    ]
    assert Employee.objects.count() == 0


def test_job_create_refuses_outsiders_and_unknown_types(ent_a, charlie, alice):
    with pytest.raises(PermissionDenied):
        importjob_create(enterprise=ent_a, upload=upload(xlsx_bytes([row(1)])), actor=charlie)
    from lms.workforce.importing import ImportFileError

    with pytest.raises(ImportFileError):
        importjob_create(enterprise=ent_a, upload=upload(b"x", name="a.txt"), actor=alice)
    assert ImportJob.objects.count() == 0


# --- the template ---------------------------------------------------------------------


def test_template_has_headers_instructions_formats_and_lists():
    workbook = load_workbook(io.BytesIO(build_template()))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == HEADERS
    assert workbook.sheetnames == ["员工名单", "填写说明"]
    assert sheet["C2"].value == EXAMPLE_ID_NUMBER
    assert isinstance(sheet["H2"].value, dt.datetime) and sheet["H2"].number_format == "yyyy-mm-dd"
    assert sheet["A2"].number_format == "@"
    formulas = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"正式员工,劳务派遣,外包,实习"' in formulas and '"是,否"' in formulas
    notes = [r[0] for r in workbook["填写说明"].iter_rows(values_only=True)]
    assert {"工号", "姓名", "身份证号", "入职日期", "主要负责人", "安全管理人员"} <= set(notes)


def test_filled_in_template_imports(ent_a):
    workbook = load_workbook(io.BytesIO(build_template()))
    sheet = workbook.worksheets[0]
    sheet["A2"] = "Z001"
    sheet["C2"] = make_id_number(region="110101", birth=dt.date(1991, 5, 5), seq=1)
    sheet.append(
        [
            "Z002",
            "李四",
            make_id_number(region="110101", birth=dt.date(1992, 5, 5), seq=2),
            None,
            "外包",
            None,
            None,
            dt.datetime(2025, 1, 2),
            "√",
            None,
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = run(ent_a, buffer.getvalue(), filename="员工导入模板.xlsx")
    assert result.ok, errors_of(result)
    assert Employee.objects.get(employee_no="Z002").employment_type == EmploymentType.CONTRACTOR
    assert Employee.objects.get(employee_no="Z002").is_principal
