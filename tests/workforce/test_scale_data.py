"""``python -m bench.seed.scale`` and the import spreadsheet the benchmark uses."""

import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from openpyxl import load_workbook
from stdnum.cn import ric, uscc

from bench.seed import scale
from lms.workforce.importing import import_employees
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment

pytestmark = pytest.mark.django_db


def _generate(*args) -> str:
    out = StringIO()
    call_command(scale.Command(), *args, stdout=out)
    return out.getvalue()


def _snapshot() -> list:
    """Everything the generator wrote, without primary keys or timestamps."""
    rows = []
    for ent in Enterprise.objects.filter(code__startswith="scale-").order_by("code"):
        rows.append((ent.code, ent.name, ent.credit_code, ent.industry, ent.risk_class, ent.region_code))
        rows += list(OrgUnit.objects.filter(enterprise=ent).values_list("code", "name", "kind", "parent__code"))
        rows += list(
            Post.objects.filter(enterprise=ent).values_list(
                "code", "name", "org_unit__code", "hazard_level", "special_operation"
            )
        )
        rows += list(
            Employee.objects.filter(enterprise=ent).values_list(
                "employee_no", "name", "id_number", "phone", "employment_type", "org_unit__code", "hire_date"
            )
        )
        rows += list(
            PostAssignment.objects.filter(employee__enterprise=ent).values_list(
                "employee__employee_no", "post__code", "start_date"
            )
        )
    return sorted(rows, key=repr)


def _generated_and_rolled_back(*args) -> list:
    with transaction.atomic():
        _generate(*args)
        snapshot = _snapshot()
        transaction.set_rollback(True)
    return snapshot


def test_makes_the_requested_enterprises_and_employees():
    out = _generate("--enterprises", "2", "--employees-per", "15", "--seed", "7")
    assert "新建企业 2 家" in out
    enterprises = Enterprise.objects.order_by("code")
    assert list(enterprises.values_list("code", flat=True)) == ["scale-0001", "scale-0002"]
    for ent in enterprises:
        assert uscc.is_valid(ent.credit_code)
        units = OrgUnit.objects.filter(enterprise=ent)
        assert units.filter(kind=OrgUnit.Kind.COMPANY).count() == 1
        assert units.filter(kind=OrgUnit.Kind.WORKSHOP).count() >= 3
        for team in units.filter(kind=OrgUnit.Kind.TEAM):
            assert team.parent.kind == OrgUnit.Kind.WORKSHOP
        assert Post.objects.filter(enterprise=ent, special_operation="electrician").exists()
        employees = Employee.objects.filter(enterprise=ent)
        assert employees.count() == 15
        assert employees.filter(is_principal=True).count() == 1
        assert all(ric.is_valid(number) for number in employees.values_list("id_number", flat=True))
        assert EmploymentEvent.objects.filter(employee__enterprise=ent, type="hire").count() == 15
        assigned = PostAssignment.objects.filter(employee__enterprise=ent, end_date__isnull=True)
        assert 10 <= assigned.count() <= 15
        assert all(a.start_date >= a.employee.hire_date for a in assigned.select_related("employee"))


def test_same_seed_same_data_other_seed_other_data():
    first = _generated_and_rolled_back("--enterprises", "2", "--employees-per", "12", "--seed", "7")
    again = _generated_and_rolled_back("--enterprises", "2", "--employees-per", "12", "--seed", "7")
    other = _generated_and_rolled_back("--enterprises", "2", "--employees-per", "12", "--seed", "8")
    assert len(first) > 50
    assert first == again
    assert first != other


def test_running_again_skips_existing_enterprises():
    _generate("--enterprises", "1", "--employees-per", "5")
    out = _generate("--enterprises", "2", "--employees-per", "5")
    assert "scale-0001 已存在，跳过" in out
    assert Enterprise.objects.count() == 2
    assert Employee.objects.count() == 10


def test_codes_never_collide_with_the_demo_enterprises(ent_a, ent_b):
    _generate("--enterprises", "3", "--employees-per", "0")
    codes = set(Enterprise.objects.values_list("code", flat=True))
    assert codes == {"hxchem", "dfmfg", "scale-0001", "scale-0002", "scale-0003"}
    assert not Employee.objects.exists()
    assert Post.objects.filter(enterprise__code="scale-0003").exists()


def test_bad_arguments_are_refused_in_chinese():
    with pytest.raises(CommandError, match="不能为负"):
        _generate("--employees-per", "-1")
    with pytest.raises(CommandError, match="不存在"):
        _generate("--enterprises", "0", "--xlsx-out", "/tmp/never.xlsx", "--xlsx-enterprise", "nope")
    assert not Enterprise.objects.exists()


def test_import_sheet_has_the_template_headers_and_the_enterprises_codes(tmp_path):
    path = tmp_path / "employees.xlsx"
    out = _generate("--employees-per", "0", "--seed", "3", "--xlsx-out", str(path), "--rows", "40")
    assert "40 行" in out
    enterprise = Enterprise.objects.get(code="scale-0001")
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == scale.IMPORT_HEADERS
    body = rows[1:]
    assert len(body) == 40
    posts = {p.code: p.org_unit.code for p in Post.objects.filter(enterprise=enterprise).select_related("org_unit")}
    for row in body:
        number, name, id_number, phone, kind, unit, post = row[:7]
        assert number.startswith("X") and 2 <= len(name) <= 3
        assert ric.is_valid(id_number) and len(phone) == 11 and phone.startswith("1")
        assert kind in ("正式员工", "劳务派遣", "外包", "实习")
        assert posts[post] == unit
    assert len({row[2] for row in body}) == 40
    assert [row[8] for row in body[:3]] == ["是", "否", "否"]
    assert [row[9] for row in body[:3]] == ["否", "是", "是"]


def test_sheet_imports_cleanly_then_reimports_unchanged(tmp_path):
    """The benchmark's path on a small scale: every row is created, then
    every row is found unchanged."""
    enterprise = scale.create_scale_enterprise(1, seed=5, employees_per=0)
    path = scale.write_employee_sheet(tmp_path / "bench.xlsx", enterprise, 60, random.Random(5))
    with path.open("rb") as fh:
        first = import_employees(enterprise=enterprise, fileobj=fh, filename=path.name, actor=None)
    assert first.ok, [str(e) for e in first.errors[:5]]
    assert (first.created, first.updated, first.unchanged) == (60, 0, 0)
    assert Employee.objects.filter(enterprise=enterprise).count() == 60
    with path.open("rb") as fh:
        again = import_employees(enterprise=enterprise, fileobj=fh, filename=path.name, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 60)


def test_benchmark_run_reports_rows_time_and_queries(tmp_path, capsys):
    from bench.import_employees import run_import

    enterprise = scale.create_scale_enterprise(1, seed=9, employees_per=0)
    path = scale.write_employee_sheet(tmp_path / "bench.xlsx", enterprise, 30, random.Random(9))
    result = run_import(path, enterprise, "first import")
    assert (result["rows"], result["created"]) == (30, 30)
    assert result["queries"] > 0 and result["queries_per_row"] == round(result["queries"] / 30, 4)
    assert result["seconds"] > 0
    assert "first import: rows 30" in capsys.readouterr().out
    again = run_import(path, enterprise, "re-import")
    assert again["unchanged"] == 30
