"""Import of historical training records: all rows or none, every error
reported, idempotent, appended through the hash chain, obligations met."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry

from lms.archive import importing
from lms.archive.importing import build_template, import_records
from lms.archive.models import TrainingRecord
from lms.archive.services import archive_verify
from lms.compliance.models import Obligation
from lms.compliance.selectors import clearance
from tests.compliance.helpers import D, at, hire, train
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "工号*",
    "姓名",
    "培训类别*",
    "教育层级",
    "岗位编码",
    "培训名称*",
    "培训内容*",
    "开始时间*",
    "结束时间*",
    "地点*",
    "学时*",
    "授课人*",
    "考核方式",
    "考核结果",
    "成绩",
]


def row(no="A0101", **overrides) -> dict:
    """A valid row (keyed by bare header): company-level induction on 2019-03-04."""
    data = {
        "工号": no,
        "姓名": "",
        "培训类别": "三级安全教育",
        "教育层级": "厂级",
        "岗位编码": "",
        "培训名称": "新员工厂级安全教育",
        "培训内容": "安全生产法律法规、厂规厂纪、事故案例",
        "开始时间": "2019-03-04 08:30",
        "结束时间": "2019-03-04 17:00",
        "地点": "三楼培训室",
        "学时": "8",
        "授课人": "李安全",
        "考核方式": "笔试",
        "考核结果": "合格",
        "成绩": "90",
    }
    data.update(overrides)
    return data


def _cells(rows, headers):
    bare = [h.rstrip("*") for h in headers]
    return [[r.get(h, "") for h in bare] for r in rows]


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for values in _cells(rows, headers):
        sheet.append([None if v == "" else v for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=HEADERS, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(_cells(rows, headers))
    return buffer.getvalue().encode(encoding)


def run(enterprise, data: bytes, filename="历史档案.xlsx", actor=None, **kwargs):
    return import_records(enterprise=enterprise, fileobj=io.BytesIO(data), filename=filename, actor=actor, **kwargs)


def errors_of(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


@pytest.fixture
def zhang(ent_a):
    return EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟", hire_date=D(2019, 3, 1))


@pytest.fixture
def li(ent_a):
    return EmployeeFactory(enterprise=ent_a, employee_no="A0102", name="李娜", hire_date=D(2019, 3, 1))


# --- a good file -------------------------------------------------------------------


def test_rows_become_historical_records_in_the_order_they_were_trained(ent_a, tree_a, zhang, li, alice):
    post = tree_a[3]
    rows = [
        row(
            教育层级="车间级",
            岗位编码=post.code,
            开始时间="2019-03-05 08:30",
            结束时间="2019-03-05 17:00",
            培训名称="车间级安全教育",
            授课人="车间主任王五",
        ),
        row(姓名="张伟"),
        row(
            "A0102",
            培训类别="年度再培训",
            教育层级="",
            培训名称="2020 年度再培训",
            开始时间="2020-06-01 09:00",
            结束时间="2020-06-01 12:00",
            学时="3.5",
            考核结果="未考核",
            成绩="",
            考核方式="",
        ),
    ]

    result = run(ent_a, xlsx_bytes(rows), actor=alice)

    assert result.ok, errors_of(result)
    assert (result.total_rows, result.created, result.employees, result.skipped) == (3, 3, 2, [])
    first, second = TrainingRecord.objects.filter(employee=zhang).order_by("seq")
    # Appended by start time, not file order: the chain reads like the paper file.
    assert (first.seq, first.level, first.title) == (1, "company", "新员工厂级安全教育")
    assert (second.seq, second.level, second.post, second.trainer) == (2, "workshop", post, "车间主任王五")
    assert second.prev_hash == first.hash
    assert first.source == "historical" and first.source_ref == "历史档案导入：历史档案.xlsx 第 3 行"
    assert second.source_ref == "历史档案导入：历史档案.xlsx 第 2 行"
    assert first.recorded_by == alice and first.recorded_by_name == str(alice)
    assert timezone.localtime(first.start_at) == at(D(2019, 3, 4), 8).replace(minute=30)
    assert (first.hours, first.assessment_result, first.score, first.assessment_method) == (
        Decimal("8.0"),
        "passed",
        Decimal("90.0"),
        "笔试",
    )
    refresher = TrainingRecord.objects.get(employee=li)
    assert (refresher.kind, refresher.level, refresher.hours) == ("refresher", "", Decimal("3.5"))
    assert (refresher.assessment_result, refresher.score, refresher.assessment_method) == ("none", None, "")
    assert ModelLogEntry.objects.filter(action="anxun.archive_import", object_id=str(ent_a.pk)).count() == 1


def test_codes_aliases_dates_and_a_gbk_csv_are_understood(ent_a, zhang):
    rows = [
        row(
            培训类别="retraining",
            教育层级="workshop",
            考核结果="通过",
            开始时间="2019年3月6日 8时30分",
            结束时间="2019/3/6 17:00",
        ),
        row(
            培训类别="转岗/复岗再培训",
            教育层级="班组级",
            考核结果="未通过",
            成绩="55",
            开始时间="2019-03-07",
            结束时间="2019-03-07",
        ),
        row(培训类别="负责人培训", 教育层级="", 考核结果="failed", 成绩="", 开始时间="20190308", 结束时间="20190309"),
    ]

    result = run(ent_a, csv_bytes(rows, encoding="gbk"), filename="档案.csv")

    assert result.ok, errors_of(result)
    records = list(TrainingRecord.objects.filter(employee=zhang).order_by("seq"))
    assert [(r.kind, r.level, r.assessment_result) for r in records] == [
        ("retraining", "workshop", "passed"),
        ("retraining", "team", "failed"),
        ("principal", "", "failed"),
    ]
    assert timezone.localtime(records[0].start_at).time() == dt.time(8, 30)
    # A date alone: from the start of the first day to the end of the last.
    assert timezone.localtime(records[1].start_at).time() == dt.time(0, 0)
    assert timezone.localtime(records[1].end_at).time() == dt.time(23, 59)
    assert timezone.localtime(records[2].end_at).date() == D(2019, 3, 9)
    assert records[0].recorded_by is None and records[0].recorded_by_name == "系统"


def test_excel_date_and_number_cells_are_read(ent_a, zhang):
    data = xlsx_bytes([row(开始时间=dt.datetime(2019, 3, 4, 8, 30), 结束时间=dt.date(2019, 3, 4), 学时=7.5, 成绩=88)])
    result = run(ent_a, data)
    assert result.ok, errors_of(result)
    record = TrainingRecord.objects.get(employee=zhang)
    assert timezone.localtime(record.start_at) == timezone.make_aware(dt.datetime(2019, 3, 4, 8, 30))
    assert timezone.localtime(record.end_at) == timezone.make_aware(dt.datetime(2019, 3, 4, 23, 59))
    assert (record.hours, record.score) == (Decimal("7.5"), Decimal("88.0"))


# --- all or nothing ----------------------------------------------------------------


def test_a_file_with_bad_rows_imports_nothing_and_reports_every_one(ent_a, tree_a, zhang, li):
    rows = [
        row(),  # good
        row("A9999"),  # unknown 工号
        row("A0102", 姓名="王芳"),  # name mismatch
        row(教育层级="", 开始时间="2019-04-01 08:00", 结束时间="2019-04-01 12:00"),  # level missing
        row("A0102", 学时="1000", 开始时间="2019-04-02 08:00", 结束时间="2019-04-01 12:00"),  # two problems
        row("A0102", 岗位编码="NOPE", 开始时间="2019-05-01 08:00", 结束时间="2019-05-01 12:00"),
    ]

    result = run(ent_a, xlsx_bytes(rows))

    assert not result.ok and result.created == 0
    assert errors_of(result) == [
        (3, "工号", "工号“A9999”在本企业不存在（请先导入员工名单）"),
        (4, "姓名", "姓名“王芳”与工号 A0102 的员工“李娜”不一致"),
        (5, "教育层级", "三级安全教育和转岗复岗再培训必须填写教育层级（厂级、车间级或班组级）"),
        (6, "结束时间", "结束时间早于开始时间"),
        (6, "学时", "学时应为 0 到 999.9 之间的数字（最多一位小数），实际为“1000”"),
        (7, "岗位编码", "岗位编码“NOPE”在本企业不存在"),
    ]
    assert TrainingRecord.objects.count() == 0
    assert [str(e) for e in result.errors][0] == "第 3 行 · 工号：工号“A9999”在本企业不存在（请先导入员工名单）"


@pytest.mark.parametrize(
    ("overrides", "column", "reason"),
    [
        ({"培训类别": "消防演练"}, "培训类别", "无法识别的培训类别“消防演练”"),
        ({"培训类别": "转岗复岗再培训", "教育层级": ""}, "教育层级", "必须填写教育层级"),
        ({"培训类别": "年度再培训", "教育层级": "班组级"}, "教育层级", "“年度再培训”请把教育层级留空"),
        ({"教育层级": "部门级"}, "教育层级", "无法识别的教育层级“部门级”"),
        ({"开始时间": "去年春天"}, "开始时间", "无法识别的时间“去年春天”"),
        ({"结束时间": "2019-02-30"}, "结束时间", "无法识别的时间“2019-02-30”"),
        ({"开始时间": "2019-03-04 09:00", "结束时间": "2019-03-04 08:00"}, "结束时间", "结束时间早于开始时间"),
        ({"学时": "-1"}, "学时", "0 到 999.9"),
        ({"学时": "八"}, "学时", "实际为“八”"),
        ({"学时": "2.25"}, "学时", "最多一位小数"),
        ({"成绩": "101"}, "成绩", "0 到 100"),
        ({"考核结果": "优秀"}, "考核结果", "无法识别的考核结果“优秀”"),
        ({"考核结果": "未考核"}, "考核结果", "填写了成绩，考核结果应为“合格”或“不合格”"),
        ({"培训内容": ""}, "培训内容", "必填项不能为空"),
        ({"授课人": ""}, "授课人", "必填项不能为空"),
        ({"培训名称": "安" * 201}, "培训名称", "不能超过 200 个字"),
        ({"岗位编码": "B-OP"}, "岗位编码", "岗位编码“B-OP”在本企业不存在"),
    ],
)
def test_each_bad_cell_is_reported_with_its_column(ent_a, tree_a, tree_b, zhang, overrides, column, reason):
    result = run(
        ent_a, xlsx_bytes([row(), row(**{"开始时间": "2019-05-06 08:00", "结束时间": "2019-05-06 12:00", **overrides})])
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, column)]
    assert reason in result.errors[0].reason
    assert TrainingRecord.objects.count() == 0


def test_training_in_the_future_is_refused(ent_a, zhang):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    result = run(ent_a, xlsx_bytes([row(开始时间=tomorrow, 结束时间=tomorrow)]))
    assert errors_of(result) == [(2, "开始时间", "开始时间晚于现在：只能导入已经完成的培训")]
    result = run(ent_a, xlsx_bytes([row(结束时间=tomorrow)]))
    assert [(e.column, "结束时间晚于现在" in e.reason) for e in result.errors] == [("结束时间", True)]


def test_employee_of_another_enterprise_is_unknown_here(ent_a, ent_b, zhang):
    EmployeeFactory(enterprise=ent_b, employee_no="B0001", name="外人")
    result = run(ent_a, xlsx_bytes([row("B0001")]))
    assert errors_of(result) == [(2, "工号", "工号“B0001”在本企业不存在（请先导入员工名单）")]


def test_duplicate_rows_in_the_file_name_the_first_row(ent_a, zhang, li):
    rows = [
        row(),
        row("A0102"),
        row(培训名称="另一个名称", 结束时间="2019-03-04 12:00"),  # same person, kind, level and start
        row(教育层级="车间级"),  # another level: not a duplicate
        row(),
    ]
    result = run(ent_a, xlsx_bytes(rows))
    assert errors_of(result) == [
        (4, "", "与第 2 行重复（同一工号、培训类别、教育层级和开始时间）"),
        (6, "", "与第 2 行重复（同一工号、培训类别、教育层级和开始时间）"),
    ]
    assert TrainingRecord.objects.count() == 0


def test_the_templates_example_row_is_refused(ent_a):
    EmployeeFactory(enterprise=ent_a, employee_no="A0001", name="张三")
    df = load_workbook(io.BytesIO(build_template()))["培训档案"]
    example = [c.value for c in df[2]]
    data = xlsx_bytes([dict(zip([h.rstrip("*") for h in HEADERS], example, strict=True))])
    result = run(ent_a, data)
    assert errors_of(result) == [(2, "", "这是模板中的示例行，请删除后再导入")]


def test_a_failure_while_appending_rolls_back_every_record(ent_a, zhang, li, monkeypatch):
    from lms.archive import services

    real = services.record_append
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["employee"].employee_no)
        if len(calls) == 3:
            raise ValidationError({"title": "数据库不接受"})
        return real(**kwargs)

    monkeypatch.setattr(services, "record_append", flaky)
    rows = [row(), row("A0102"), row(教育层级="车间级", 开始时间="2019-03-05", 结束时间="2019-03-05")]
    result = run(ent_a, xlsx_bytes(rows))

    # Person by person: 张伟's two rows (2 and 4) went in before 李娜's row 3 failed.
    assert calls == ["A0101", "A0101", "A0102"]
    assert [(e.row, e.reason) for e in result.errors] == [(3, "数据库不接受")]
    assert TrainingRecord.objects.count() == 0


# --- the file itself ---------------------------------------------------------------


def test_file_level_problems_are_reported_at_row_1(ent_a, zhang):
    assert errors_of(run(ent_a, b"", filename="a.xlsx")) == [(1, "", "文件中没有数据行")]
    assert "不支持的文件类型" in run(ent_a, b"x", filename="a.txt").errors[0].reason
    headers = [h for h in HEADERS if h not in ("学时*", "授课人*")]
    result = run(ent_a, xlsx_bytes([row()], headers=headers))
    assert errors_of(result) == [(1, "学时、授课人", "缺少必填列：学时、授课人（表头须在第 1 行，可下载模板对照）")]


def test_too_many_rows_are_refused(ent_a, zhang, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    result = run(ent_a, xlsx_bytes([row(), row(教育层级="车间级"), row(教育层级="班组级")]))
    assert "超过单次导入上限 2 行" in result.errors[0].reason


# --- idempotence -------------------------------------------------------------------


def test_importing_the_same_file_twice_writes_nothing_the_second_time(ent_a, zhang, li):
    workshop = row(教育层级="车间级", 开始时间="2019-03-05 08:00", 结束时间="2019-03-05 17:00")
    data = xlsx_bytes([row(), row("A0102"), workshop])
    first = run(ent_a, data)
    assert first.ok and first.created == 3
    hashes = list(TrainingRecord.objects.order_by("pk").values_list("hash", flat=True))

    again = run(ent_a, data, filename="改了名字.xlsx")

    assert again.ok and again.created == 0 and again.employees == 0
    assert [(n.row, n.reason) for n in again.skipped] == [
        (2, "已存在，跳过（与档案第 1 条记录相同）"),
        (3, "已存在，跳过（与档案第 1 条记录相同）"),
        (4, "已存在，跳过（与档案第 2 条记录相同）"),
    ]
    assert list(TrainingRecord.objects.order_by("pk").values_list("hash", flat=True)) == hashes
    assert ModelLogEntry.objects.filter(action="anxun.archive_import").count() == 1


def test_a_grown_file_adds_only_its_new_rows(ent_a, zhang):
    run(ent_a, xlsx_bytes([row()]))
    workshop = row(教育层级="车间级", 开始时间="2019-03-05 08:00", 结束时间="2019-03-05 17:00")
    result = run(ent_a, xlsx_bytes([row(), workshop]))
    assert result.ok and result.created == 1 and [n.row for n in result.skipped] == [2]
    assert list(TrainingRecord.objects.order_by("seq").values_list("seq", "level")) == [(1, "company"), (2, "workshop")]


def test_a_same_training_with_different_content_is_an_error_not_a_second_copy(ent_a, zhang):
    run(ent_a, xlsx_bytes([row()]))
    result = run(ent_a, xlsx_bytes([row(学时="6")]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "")]
    assert "已有同一类别、层级和开始时间的培训记录（第 1 条）" in result.errors[0].reason
    assert TrainingRecord.objects.count() == 1


def test_a_record_entered_another_way_counts_as_already_there(ent_a, zhang):
    existing = train(zhang, "refresher", 4, D(2020, 6, 1))
    local = timezone.localtime
    data = xlsx_bytes(
        [
            row(
                培训类别="年度再培训",
                教育层级="",
                培训名称=existing.title,
                培训内容=existing.content,
                开始时间=local(existing.start_at).strftime("%Y-%m-%d %H:%M"),
                结束时间=local(existing.end_at).strftime("%Y-%m-%d %H:%M"),
                地点=existing.place,
                学时="4",
                授课人=existing.trainer,
                考核方式="笔试",
                考核结果="合格",
                成绩="",
            )
        ]
    )
    result = run(ent_a, data)
    assert result.ok and result.created == 0 and len(result.skipped) == 1


# --- the archive and the obligations --------------------------------------------


def test_historical_induction_meets_the_obligations_of_the_hire(ent_a, tree_a, alice):
    post = tree_a[3]
    zhang = EmployeeFactory(enterprise=ent_a, employee_no="A0101", name="张伟", hire_date=D(2022, 3, 1))
    hire(zhang, post)
    owed = Obligation.objects.filter(employee=zhang, kind="induction")
    assert owed.count() == 3 and not clearance(zhang, post, D(2022, 3, 11)).cleared
    # High-risk enterprise: 72 hours over the three levels, each assessed.
    rows = [
        row(学时="24", 开始时间="2022-03-02 08:00", 结束时间="2022-03-04 17:00"),
        row(教育层级="车间级", 岗位编码=post.code, 学时="24", 开始时间="2022-03-05 08:00", 结束时间="2022-03-07 17:00"),
        row(教育层级="班组级", 岗位编码=post.code, 学时="24", 开始时间="2022-03-08 08:00", 结束时间="2022-03-10 17:00"),
    ]

    result = run(ent_a, xlsx_bytes(rows), actor=alice)

    assert result.ok and result.obligations_met == 3
    assert set(owed.values_list("status", flat=True)) == {"met"}
    assert {o.level: o.met_on for o in owed} == {
        "company": D(2022, 3, 4),
        "workshop": D(2022, 3, 7),
        "team": D(2022, 3, 10),
    }
    assert clearance(zhang, post, D(2022, 3, 11)).cleared
    # Not before the last level was done.
    assert not clearance(zhang, post, D(2022, 3, 9)).cleared


def test_the_hash_chain_verifies_after_an_import_onto_existing_records(ent_a, zhang, li):
    before = train(zhang, "refresher", 4, D(2018, 6, 1))
    rows = [row(), row("A0102"), row(教育层级="车间级", 开始时间="2019-03-05 08:00", 结束时间="2019-03-05 17:00")]
    assert run(ent_a, xlsx_bytes(rows)).ok

    after = list(TrainingRecord.objects.filter(employee=zhang).order_by("seq"))
    assert [r.seq for r in after] == [1, 2, 3] and after[0] == before and after[1].prev_hash == before.hash
    assert archive_verify() == (4, [])


def test_dry_run_checks_and_writes_nothing(ent_a, zhang):
    result = run(ent_a, xlsx_bytes([row(), row(教育层级="车间级")]), dry_run=True)
    assert result.ok and result.dry_run and result.created == 2 and result.employees == 1
    assert TrainingRecord.objects.count() == 0


# --- who may import ----------------------------------------------------------------


def test_an_outsider_cannot_import_into_another_enterprise(ent_a, zhang, charlie):
    with pytest.raises(PermissionDenied):
        run(ent_a, xlsx_bytes([row()]), actor=charlie)
    assert TrainingRecord.objects.count() == 0


def test_an_employee_cannot_import(ent_a, zhang, bob):
    with pytest.raises(PermissionDenied):
        run(ent_a, xlsx_bytes([row()]), actor=bob)
    assert TrainingRecord.objects.count() == 0


# --- cost --------------------------------------------------------------------------


def test_checking_takes_the_same_queries_for_ten_or_three_hundred_rows(ent_a, tree_a):
    people = [EmployeeFactory(enterprise=ent_a, employee_no=f"Q{n:04d}") for n in range(100)]

    def rows_for(count):
        levels = ("厂级", "车间级", "班组级")
        return [
            row(people[n % 100].employee_no, 教育层级=levels[n // 100], 岗位编码=tree_a[3].code) for n in range(count)
        ]

    queries = []
    for count in (10, 300):
        with CaptureQueriesContext(connection) as ctx:
            result = run(ent_a, xlsx_bytes(rows_for(count)), dry_run=True)
        assert result.ok and result.created == count, errors_of(result)
        queries.append(len(ctx.captured_queries))
    assert queries[0] == queries[1] <= 8
