"""Employee import from .xlsx / .csv: all rows apply, or none do.

The file is read as text (so 工号 and 身份证号 keep their leading zeros),
every row is checked and every problem reported with the row number a person
sees in Excel, the column and a reason in Chinese. Only a file without a
single error is written, in one transaction, with bulk statements so the
number of queries does not grow with the number of rows.

The rules a row must meet are those of ``services.employee_create`` /
``services.assignment_create`` (same enterprise, active post, active employee,
start on or after the hire date); the import applies them in bulk instead of
calling the services once per row. As there, every hire or transfer creates
its training obligations (``lms.compliance``), and nobody is put on a post
the clearance gate refuses: the event then names the post as the target and
HR assigns it once the pre-post training is done.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import PurePath

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.worksheet.datavalidation import DataValidation

from lms.accounts.phone import normalize_cn_mobile
from lms.imports import (  # noqa: F401 - re-exported: the employee import's public names
    XLSX_CONTENT_TYPE,
    Column,
    ImportFileError,
    RowError,
    check_bounds,
    count_rows,
    file_kind,
    normalize_header,
    parse_bool,
    parse_date,
    purge_stored_files,
    read_table,
    table_errors,
)
from lms.imports import chunks as _chunks_of
from lms.imports import first_message as _first_message
from lms.imports import log_user as _log_user
from lms.imports.jobs import import_job_run
from lms.imports.spec import ImportSpec, RowsRejected
from lms.imports.templates import list_validation
from lms.pii import BlindIndexField, blind_index
from lms.speed.bulk import update_by_case
from lms.uploads import sha256_of, upload_size

from .models import (
    Employee,
    EmploymentEvent,
    EmploymentType,
    Enterprise,
    ImportJob,
    OrgUnit,
    Post,
    PostAssignment,
    code_validator,
)
from .registry import placement_gate
from .signals import events_imported
from .synthetic import id_number_check_digit
from .validators import clean_id_number

logger = logging.getLogger(__name__)

# Rows per bulk statement. Also the page size of progress reports.
BATCH_SIZE = 500
PROGRESS_EVERY = 500

TEMPLATE_FILENAME = "员工导入模板.xlsx"


# --- the columns -------------------------------------------------------------


EMPLOYMENT_TYPE_LABELS = ("正式员工", "劳务派遣", "外包", "实习")

COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_no",
        "工号",
        True,
        gettext_lazy("企业内唯一；字母、数字、下划线、点或短横线，最长 32 位。已存在的工号会被更新。"),
        "A0001",
        aliases=("员工编号", "员工工号", "编号"),
        text=True,
    ),
    Column("name", "姓名", True, gettext_lazy("最长 50 个字。"), "张三", aliases=("员工姓名",), width=12),
    Column(
        "id_number",
        "身份证号",
        True,
        gettext_lazy("18 位居民身份证号码，校验位和出生日期都会检查；末位 X 大小写均可。"),
        "",  # filled in by build_template (a valid, fictitious number)
        aliases=("身份证号码", "身份证", "证件号码", "公民身份号码"),
        text=True,
        width=22,
    ),
    Column(
        "phone",
        "手机号",
        False,
        gettext_lazy("11 位大陆手机号，可带 +86。可留空。"),
        "13800138000",
        aliases=("手机号码", "手机", "联系电话", "电话"),
        text=True,
    ),
    Column(
        "employment_type",
        "用工形式",
        False,
        gettext_lazy(
            "正式员工、劳务派遣、外包、实习之一（也接受 正式、派遣、外包人员、实习生 等写法）。留空为正式员工。"
        ),
        "正式员工",
        aliases=("用工类型", "用工方式", "人员类别"),
    ),
    Column(
        "org_unit",
        "所在单位编码",
        False,
        gettext_lazy("系统中已建的公司/车间/班组的编码。可留空。"),
        "",
        aliases=("单位编码", "部门编码", "所在单位"),
        text=True,
    ),
    Column(
        "post",
        "岗位编码",
        False,
        gettext_lazy(
            "系统中已建且启用的岗位编码。新员工从入职日期起上岗；已有员工换了岗位则记为今天转岗，原岗位自动结束。可留空。"
        ),
        "",
        aliases=("岗位代码", "岗位"),
        text=True,
    ),
    Column(
        "hire_date",
        "入职日期",
        True,
        gettext_lazy("如 2024-03-01，也接受 2024/3/1、2024年3月1日、20240301 和 Excel 日期；不能晚于今天。"),
        "",  # a real date cell in the template
        aliases=("入职时间", "入厂日期"),
        width=14,
    ),
    Column(
        "is_principal",
        "主要负责人",
        False,
        gettext_lazy("是/否（也接受 Y/N、1/0、√）。留空为否。"),
        "否",
        aliases=("是否主要负责人",),
        width=12,
    ),
    Column(
        "is_safety_manager",
        "安全管理人员",
        False,
        gettext_lazy("是/否（也接受 Y/N、1/0、√）。留空为否。"),
        "否",
        aliases=("是否安全管理人员",),
        width=12,
    ),
)

# The example row of the template; a row equal to it is refused (it was left in by mistake).
EXAMPLE_ID_NUMBER = "11010119900307001" + id_number_check_digit("11010119900307001")  # fictitious
EXAMPLE_HIRE_DATE = dt.date(2024, 3, 1)


# --- cell parsers ------------------------------------------------------------

_EMPLOYMENT_TYPES = {
    EmploymentType.REGULAR: ("正式员工", "正式", "正式工", "合同工", "在编", "regular"),
    EmploymentType.DISPATCHED: ("劳务派遣", "派遣", "派遣员工", "派遣工", "劳务派遣员工", "被派遣劳动者", "dispatched"),
    EmploymentType.CONTRACTOR: ("外包", "外包人员", "外包员工", "外包/承包商", "承包商", "承包商人员", "contractor"),
    EmploymentType.INTERN: ("实习", "实习生", "实习学生", "实习人员", "intern"),
}
_EMPLOYMENT_TYPE_LOOKUP = {
    re.sub(r"\s", "", label).lower(): str(code) for code, labels in _EMPLOYMENT_TYPES.items() for label in labels
}

_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_CODE = re.compile(code_validator.regex.pattern)


def parse_employment_type(text: str) -> str | None:
    """The EmploymentType code for what people write; "" → regular; None if unknown."""
    if not text:
        return EmploymentType.REGULAR.value
    return _EMPLOYMENT_TYPE_LOOKUP.get(re.sub(r"\s", "", text).lower())


# --- results -----------------------------------------------------------------


@dataclass
class ImportResult:
    total_rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    transferred: int = 0
    # Of the rows naming a post: put on it now, or waiting for clearance
    # (pre-post training first). Known only after a real (not dry) run.
    assigned: int = 0
    awaiting_clearance: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def failed(cls, errors: list[RowError], total_rows: int = 0) -> ImportResult:
        return cls(total_rows=total_rows, created=0, updated=0, unchanged=0, errors=errors)

    def counts(self) -> dict:
        return {
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "transferred": self.transferred,
            "assigned": self.assigned,
            "awaiting_clearance": self.awaiting_clearance,
        }


# --- validation --------------------------------------------------------------


@dataclass
class _Plan:
    creates: list[tuple[Employee, Post | None]] = field(default_factory=list)
    updates: list[Employee] = field(default_factory=list)
    update_fields: set[str] = field(default_factory=set)
    transfers: list[tuple[Employee, Post]] = field(default_factory=list)
    ending_assignment_ids: list[int] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _validate(enterprise: Enterprise, df: pd.DataFrame, headers: dict[str, str], progress) -> _Plan:
    """Check every row against the file, the enterprise's units, posts and
    employees; return what to write, or the errors."""
    plan = _Plan()
    errors = plan.errors
    err = errors.append
    today = timezone.localdate()
    total = len(df)
    if progress is not None:
        progress(0, total)

    units = {u.code: u for u in OrgUnit.objects.filter(enterprise=enterprise).only("id", "code", "name", "is_active")}
    posts = {
        p.code: p
        for p in Post.objects.filter(enterprise=enterprise).only("id", "code", "name", "is_active", "enterprise_id")
    }
    existing = {e.employee_no: e for e in Employee.objects.filter(enterprise=enterprise)}
    # 身份证号 are stored encrypted: who holds a number is found by its keyed hash.
    id_owner = {e.id_number_hash: e.employee_no for e in existing.values()}
    open_assignments: dict[int, list[tuple[int, int, dt.date]]] = {}
    for a_id, emp_id, post_id, start in PostAssignment.objects.filter(
        employee__enterprise=enterprise, end_date__isnull=True
    ).values_list("id", "employee_id", "post_id", "start_date"):
        open_assignments.setdefault(emp_id, []).append((a_id, post_id, start))
    # The post named by each person's latest hire/transfer: where they are
    # headed even before the clearance gate lets them onto it.
    target_post: dict[int, int | None] = dict(
        EmploymentEvent.objects.filter(
            employee__enterprise=enterprise, type__in=(EmploymentEvent.Type.HIRE, EmploymentEvent.Type.TRANSFER)
        )
        .order_by("date", "id")
        .values_list("employee_id", "post_id")
    )

    def column(fieldname):
        header = headers.get(fieldname)
        return None if header is None else [v.strip() for v in df[header].tolist()]

    H = {c.field: c.header for c in COLUMNS}
    nos, names, ids, hires = column("employee_no"), column("name"), column("id_number"), column("hire_date")
    phones, types, unit_codes, post_codes = (
        column("phone"),
        column("employment_type"),
        column("org_unit"),
        column("post"),
    )
    principals, managers = column("is_principal"), column("is_safety_manager")
    row_numbers = df.index.tolist()

    required = _("必填项不能为空")
    seen_no: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    yes_no = _("应填“是”或“否”（也可填 Y/N、1/0、√），实际为“%(value)s”")

    for i in range(total):
        if progress is not None and i and i % PROGRESS_EVERY == 0:
            progress(i, total)
        row = row_numbers[i]
        row_ok = True
        values: dict = {}

        # 工号
        no = nos[i]
        no_ok = False
        if not no:
            err(RowError(row, H["employee_no"], required))
        elif not _CODE.match(no):
            err(
                RowError(
                    row,
                    H["employee_no"],
                    _("工号“%(no)s”只能包含字母、数字、下划线、点和短横线，最长 32 位") % {"no": no},
                )
            )
        elif no in seen_no:
            err(RowError(row, H["employee_no"], _("工号“%(no)s”与第 %(row)s 行重复") % {"no": no, "row": seen_no[no]}))
        else:
            seen_no[no] = row
            no_ok = True
        row_ok &= no_ok

        # 姓名
        name = names[i]
        if not name:
            err(RowError(row, H["name"], required))
            row_ok = False
        elif len(name) > 50:
            err(RowError(row, H["name"], _("姓名不能超过 50 个字")))
            row_ok = False
        values["name"] = name

        # 身份证号
        raw_id = ids[i]
        id_number = None
        if not raw_id:
            err(RowError(row, H["id_number"], required))
        elif _SCIENTIFIC.match(raw_id):
            err(
                RowError(
                    row,
                    H["id_number"],
                    _("身份证号被 Excel 存成了数字（%(value)s），请把该列设为“文本”后重新填写") % {"value": raw_id},
                )
            )
        else:
            try:
                id_number = clean_id_number(raw_id)
            except ValidationError as exc:
                reason = _first_message(exc)
                if raw_id.isdigit() and len(raw_id) == 18 and raw_id.endswith("00"):
                    # Excel keeps 15 significant digits of a number: the tail became zeros.
                    reason += _("（该单元格可能被 Excel 存成了数字，末几位已丢失，请把该列设为“文本”后重新填写）")
                err(RowError(row, H["id_number"], reason))
            else:
                if id_number in seen_id:
                    err(RowError(row, H["id_number"], _("身份证号与第 %(row)s 行重复") % {"row": seen_id[id_number]}))
                    id_number = None
                else:
                    seen_id[id_number] = row
        if id_number is None:
            row_ok = False
        elif no_ok:
            owner = id_owner.get(blind_index(id_number))
            if owner is not None and owner != no:
                err(RowError(row, H["id_number"], _("该身份证号已被本企业工号为“%(no)s”的员工使用") % {"no": owner}))
                row_ok = False
            elif no == COLUMNS[0].example and id_number == EXAMPLE_ID_NUMBER:
                err(RowError(row, H["employee_no"], _("这是模板中的示例行，请删除后再导入")))
                row_ok = False
        values["id_number"] = id_number

        # 入职日期
        raw_hire = hires[i]
        hire = None
        if not raw_hire:
            err(RowError(row, H["hire_date"], required))
        else:
            hire = parse_date(raw_hire)
            if hire is None:
                err(
                    RowError(
                        row,
                        H["hire_date"],
                        _("无法识别的日期“%(value)s”，请写成 YYYY-MM-DD，如 2024-03-01") % {"value": raw_hire},
                    )
                )
            elif hire > today:
                err(RowError(row, H["hire_date"], _("入职日期 %(date)s 晚于今天") % {"date": hire.isoformat()}))
                hire = None
            elif id_number and hire.strftime("%Y%m%d") < id_number[6:14]:
                err(RowError(row, H["hire_date"], _("入职日期早于身份证号中的出生日期")))
                hire = None
        if hire is None:
            row_ok = False
        values["hire_date"] = hire

        # 手机号
        if phones is not None:
            phone = ""
            if phones[i]:
                try:
                    phone = normalize_cn_mobile(phones[i])
                except ValidationError as exc:
                    err(RowError(row, H["phone"], _first_message(exc)))
                    row_ok = False
            values["phone"] = phone

        # 用工形式
        if types is not None:
            employment_type = parse_employment_type(types[i])
            if employment_type is None:
                err(
                    RowError(
                        row,
                        H["employment_type"],
                        _("无法识别的用工形式“%(value)s”，应为 正式员工、劳务派遣、外包 或 实习") % {"value": types[i]},
                    )
                )
                row_ok = False
            values["employment_type"] = employment_type

        # 所在单位编码
        if unit_codes is not None:
            unit_id = None
            code = unit_codes[i]
            if code:
                unit = units.get(code)
                if unit is None:
                    err(RowError(row, H["org_unit"], _("单位编码“%(code)s”在本企业不存在") % {"code": code}))
                    row_ok = False
                elif not unit.is_active:
                    err(
                        RowError(
                            row,
                            H["org_unit"],
                            _("单位“%(name)s”（%(code)s）已停用") % {"name": unit.name, "code": code},
                        )
                    )
                    row_ok = False
                else:
                    unit_id = unit.id
            values["org_unit_id"] = unit_id

        # 岗位编码
        post = None
        if post_codes is not None and post_codes[i]:
            code = post_codes[i]
            post = posts.get(code)
            if post is None:
                err(RowError(row, H["post"], _("岗位编码“%(code)s”在本企业不存在") % {"code": code}))
                row_ok = False
            elif not post.is_active:
                err(RowError(row, H["post"], _("岗位“%(name)s”（%(code)s）已停用") % {"name": post.name, "code": code}))
                row_ok = False
                post = None

        # 主要负责人 / 安全管理人员
        for fieldname, cells in (("is_principal", principals), ("is_safety_manager", managers)):
            if cells is None:
                continue
            flag = parse_bool(cells[i])
            if flag is None:
                err(RowError(row, H[fieldname], yes_no % {"value": cells[i]}))
                row_ok = False
            values[fieldname] = flag

        # Rules that need the employee as stored.
        employee = existing.get(no) if no_ok else None
        transfer = False
        if employee is not None:
            current = open_assignments.get(employee.pk, ())
            if (
                post is not None
                and all(post_id != post.pk for _a, post_id, _s in current)
                and target_post.get(employee.pk) != post.pk
            ):
                # assignment_create: only an active employee is put on a post.
                if employee.status != Employee.Status.ACTIVE:
                    err(RowError(row, H["post"], _("员工处于离岗状态，须先记录复岗，才能调整岗位")))
                    row_ok = False
                else:
                    transfer = True
            if hire is not None and current:
                earliest = min(start for _a, _p, start in current)
                if hire > earliest:
                    err(
                        RowError(
                            row,
                            H["hire_date"],
                            _("入职日期不能晚于该员工现有岗位的上岗日期 %(date)s") % {"date": earliest.isoformat()},
                        )
                    )
                    row_ok = False

        if not row_ok or errors:
            continue  # nothing will be written; keep checking, skip planning

        if employee is None:
            plan.creates.append((Employee(enterprise_id=enterprise.pk, employee_no=no, **values), post))
            continue
        changed = False
        for attname, value in values.items():
            if getattr(employee, attname) != value:
                setattr(employee, attname, value)
                plan.update_fields.add("org_unit" if attname == "org_unit_id" else attname)
                changed = True
        if changed:
            if "id_number" in plan.update_fields:
                plan.update_fields.add("id_number_hash")
            plan.updates.append(employee)
        if transfer:
            plan.transfers.append((employee, post))
            plan.ending_assignment_ids.extend(a_id for a_id, _p, _s in open_assignments.get(employee.pk, ()))
        if not changed and not transfer:
            plan.unchanged += 1

    if progress is not None:
        progress(total, total)
    return plan


# --- writing -----------------------------------------------------------------


def _chunks(items: list, size: int = BATCH_SIZE):
    return _chunks_of(items, size)


def _saved_value(employee: Employee, field):
    """What saving ``field`` of ``employee`` writes: a blind index is computed
    from its source field on save (lms.pii.BlindIndexField.pre_save)."""
    if isinstance(field, BlindIndexField):
        return field.pre_save(employee, False)
    return getattr(employee, field.attname)


@dataclass
class _Applied:
    assigned: int = 0
    awaiting_clearance: int = 0


def _apply(plan: _Plan, *, enterprise: Enterprise, actor, filename: str) -> _Applied:
    """Write the plan. Runs inside one transaction; bulk statements only.

    As through the services: each hire/transfer event creates its training
    obligations, and a person is put on the named post only if the clearance
    gate says yes (法 §28); otherwise the event keeps the post as the target
    and HR assigns it once the training is done."""
    user = _log_user(actor)
    user_id = user.pk if user is not None else None
    today = timezone.localdate()
    now = timezone.now()
    note = (_("批量导入：%(file)s") % {"file": filename})[:500]

    new_employees = [employee for employee, _post in plan.creates]
    for employee in new_employees:
        employee.created_at = now
        employee.updated_at = now
    Employee.objects.bulk_create(new_employees, batch_size=BATCH_SIZE)
    if any(employee.pk is None for employee in new_employees):  # a database that cannot return ids
        ids = {}
        for chunk in _chunks([e.employee_no for e in new_employees]):
            ids.update(
                Employee.objects.filter(enterprise=enterprise, employee_no__in=chunk).values_list("employee_no", "id")
            )
        for employee in new_employees:
            employee.pk = ids[employee.employee_no]

    if plan.updates:
        for employee in plan.updates:
            employee.updated_at = now
        update_by_case(Employee, plan.updates, sorted(plan.update_fields | {"updated_at"}),
                       value_of=_saved_value, batch_size=BATCH_SIZE)

    # Plain ids, not instances: building 10,000s of objects is the slow part.
    events = []
    wanted: list[tuple[int, int, dt.date]] = []  # (employee, post, start date) to put through the gate
    for employee, post in plan.creates:
        post_id = post.pk if post is not None else None
        events.append(
            EmploymentEvent(
                employee_id=employee.pk,
                type=EmploymentEvent.Type.HIRE,
                date=employee.hire_date,
                post_id=post_id,
                note=note,
                source=EmploymentEvent.Source.IMPORT,
                recorded_by_id=user_id,
                recorded_at=now,
            )
        )
        if post_id is not None:
            wanted.append((employee.pk, post_id, employee.hire_date))

    if plan.transfers:
        # As services.event_record does for a transfer: other open posts end the day before.
        yesterday = today - dt.timedelta(days=1)
        for chunk in _chunks(plan.ending_assignment_ids):
            PostAssignment.objects.filter(pk__in=chunk, end_date__isnull=True).update(
                end_date=Greatest(F("start_date"), Value(yesterday, output_field=DateField()))
            )
        for employee, post in plan.transfers:
            events.append(
                EmploymentEvent(
                    employee_id=employee.pk,
                    type=EmploymentEvent.Type.TRANSFER,
                    date=today,
                    post_id=post.pk,
                    note=note,
                    source=EmploymentEvent.Source.IMPORT,
                    recorded_by_id=user_id,
                    recorded_at=now,
                )
            )
            wanted.append((employee.pk, post.pk, today))

    EmploymentEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    events_imported.send(sender=EmploymentEvent, events=events)  # their obligations (lms.compliance)

    applied = _Applied()
    if wanted:
        # The gate of services.assignment_create, asked once for everyone.
        # It is asked for today: at least as strict as asking for a past hire date.
        cleared = placement_gate().cleared_pairs(
            enterprise=enterprise, on_date=today, pairs=[(e, p) for e, p, _d in wanted]
        )
        assignments = []
        for employee_id, post_id, start in wanted:
            if (employee_id, post_id) not in cleared:
                applied.awaiting_clearance += 1
                continue
            assignments.append(
                PostAssignment(
                    employee_id=employee_id, post_id=post_id, start_date=start, created_by_id=user_id, created_at=now
                )
            )
        PostAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
        applied.assigned = len(assignments)
    return applied


class EmployeeImport(ImportSpec):
    """The employee list: rows matched to employees by 工号."""

    name = "employees"
    columns = COLUMNS
    template_filename = TEMPLATE_FILENAME
    sheet_title = "员工名单"
    instructions = (
        "1. 第 1 行是表头，请勿修改或删除；带 * 的列必须填写。",
        "2. 第 2 行是示例（灰色斜体），导入前请删除或改成真实员工。",
        "3. 以工号识别员工：工号已存在则更新该员工，不存在则新增；重复导入同一文件不会产生重复数据。",
        "4. 选填列如果整列删除，已有员工的这一项保持不变；保留该列但单元格留空，则清空该项（是/否 列留空为“否”）。",
        "5. 文件中只要有一处错误，整份文件都不会导入；系统会列出每一处错误的行号、列名和原因，改正后重新上传即可。",
        "6. 支持 .xlsx 和 .csv（UTF-8 或 GBK 编码）。工号、身份证号、手机号请保持“文本”格式，以免丢失开头的 0。",
    )
    notes_widths = (16, 10, 90, 22)
    log_action = "anxun.import"
    integrity_message = gettext_lazy("导入期间员工数据被他人修改，数据库拒绝了写入，未导入任何数据。请重新上传。")

    def row_limit(self) -> int:
        return settings.ANXUN_IMPORT_MAX_ROWS

    def failed(self, errors, total_rows=0) -> ImportResult:
        return ImportResult.failed(errors, total_rows=total_rows)

    def job_values(self, result) -> dict:
        return {**super().job_values(result), "updated_count": result.updated, "unchanged_count": result.unchanged}

    def check(self, target, table, *, dry_run, progress):
        total = len(table)
        plan = _validate(target, table.df, table.headers, progress)
        if plan.errors:
            raise RowsRejected(plan.errors)
        result = ImportResult(
            total_rows=total,
            created=len(plan.creates),
            updated=total - len(plan.creates) - plan.unchanged,
            unchanged=plan.unchanged,
            errors=[],
            transferred=len(plan.transfers),
        )
        return result, plan

    def apply(self, target, plan, result, *, actor, filename):
        applied = _apply(plan, enterprise=target, actor=actor, filename=filename)
        result.assigned = applied.assigned
        result.awaiting_clearance = applied.awaiting_clearance

    # The template: a fictitious but valid ID number, a real date cell, drop-down lists.

    def example_values(self) -> dict:
        return {**super().example_values(), "id_number": EXAMPLE_ID_NUMBER, "hire_date": EXAMPLE_HIRE_DATE}

    def number_format(self, column):
        return "yyyy-mm-dd" if column.field == "hire_date" else super().number_format(column)

    def validations(self, ranges):
        yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        yes_no.error = "请填写“是”或“否”"
        yes_no.errorTitle = "是/否"
        yes_no.add(ranges["is_principal"])
        yes_no.add(ranges["is_safety_manager"])
        dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        dates.error = "请填写日期，如 2024-03-01"
        dates.errorTitle = "入职日期"
        dates.add(ranges["hire_date"])
        return [list_validation(EMPLOYMENT_TYPE_LABELS, "用工形式", ranges["employment_type"]), yes_no, dates]


EMPLOYEES = EmployeeImport()


def import_employees(
    *,
    enterprise: Enterprise,
    fileobj,
    filename: str,
    actor,
    progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import the employees in ``fileobj`` into ``enterprise``: every row or none.

    Returns the counts, or every error found (and then writes nothing).
    Rows are matched to employees by 工号: new ones are created with a hire
    event naming their post, existing ones are updated; a changed post is a
    transfer dated today (other open posts end yesterday). Events create
    their training obligations; the person is put on the post (from the hire
    date, or today for a transfer) only if cleared for it, else counted in
    ``awaiting_clearance``. ``actor=None`` is the system;
    otherwise the actor must be allowed to change the enterprise
    (PermissionDenied). ``progress(done, total)`` is called about every 500
    rows while checking. ``dry_run`` checks everything and writes nothing.
    """
    return EMPLOYEES.run(
        target=enterprise, fileobj=fileobj, filename=filename, actor=actor, dry_run=dry_run, progress=progress
    )


def build_template() -> bytes:
    """The .xlsx template: headers (required ones marked), one example row,
    date and text formats, drop-down lists, and a "填写说明" sheet."""
    return EMPLOYEES.build_template()


# --- import jobs (upload now, run here or on a worker) -----------------------
# Every import (employees here; records and questions register theirs in
# their AppConfig.ready()) is an ImportJob run by lms.imports.jobs.


def importjob_create(
    *, enterprise: Enterprise | None, upload, actor, spec: ImportSpec = EMPLOYEES, target=None, options=None
) -> ImportJob:
    """Store the uploaded file as a pending job of ``spec`` into ``target``
    (the enterprise unless given; ``enterprise`` is whose data it is) and
    count its rows. The same file with the same options already queued or
    running for the same target is that job (a double submit runs the
    import once).

    Raises ImportFileError if the file type is not accepted, breaks the
    upload bounds or cannot be opened — then nothing is stored —, and
    PermissionDenied if the actor may not import into the target."""
    target = enterprise if target is None else target
    spec.authorize(actor, target)
    name = PurePath(getattr(upload, "name", "") or "").name
    total = spec.count(upload, name)
    job = ImportJob(
        kind=spec.name,
        enterprise=enterprise,
        target_id=target.pk,
        options=options or {},
        original_name=name[:200],
        total_rows=total,
        file_size=upload_size(upload),
        file_sha256=sha256_of(upload),
        created_by=_log_user(actor),
    )
    queued = ImportJob.objects.filter(
        kind=spec.name, target_id=target.pk, file_sha256=job.file_sha256, options=job.options,
        status__in=ImportJob.UNFINISHED,
    )
    earlier = queued.first()
    if earlier is not None:
        return earlier
    job.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        job.file.storage.delete(job.file.name)  # the same file's job was made meanwhile
        earlier = queued.first()
        if earlier is None:
            raise
        return earlier
    except Exception:
        job.file.storage.delete(job.file.name)  # no file without its job row
        raise
    return job


def importjob_start(job: ImportJob, *, enqueue: Callable[[int], object]) -> None:
    """Run a pending job: at once when it is small (the upload's request
    waits for it), else ``enqueue(pk)`` (the Celery task) after commit.
    A job another request already started is left to it."""
    if job.status != ImportJob.Status.PENDING:
        return
    if job.total_rows <= settings.ANXUN_IMPORT_ASYNC_THRESHOLD:
        importjob_run(job.pk)
    else:
        transaction.on_commit(partial(enqueue, job.pk))


def importjob_discard_file(job: ImportJob) -> bool:
    """Delete the job's stored upload (it holds full ID numbers); the row
    keeps the file's name, size and SHA-256 for the audit. False if it was
    already gone."""
    name = job.file.name
    if not name:
        return False
    job.file.storage.delete(name)  # first: a crash after this leaves no file behind
    ImportJob.objects.filter(pk=job.pk, file=name).update(file="")
    job.file.name = ""
    return True


# A job still pending or running after this long has crashed (a queued job
# waits minutes, not a day): its upload is deleted and the job failed.
STALE_AFTER = dt.timedelta(hours=24)


def importjob_purge_files(*, now: dt.datetime | None = None) -> int:
    """Delete the uploads kept past ``ANXUN_IMPORT_RETENTION_HOURS``: of
    finished jobs, of jobs that crashed (failing them), and files under
    imports/ that no job names. Returns how many files were deleted."""
    now = now or timezone.now()
    retention = dt.timedelta(hours=settings.ANXUN_IMPORT_RETENTION_HOURS)
    stale_before = now - max(retention, STALE_AFTER)
    unfinished = (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
    crashed = list(
        ImportJob.objects.filter(status__in=unfinished, created_at__lte=stale_before).values_list("pk", flat=True)
    )
    for pk in crashed:
        ImportJob.objects.filter(pk=pk, status__in=unfinished).update(
            status=ImportJob.Status.FAILED,
            finished_at=now,
            errors=[RowError(1, "", _("导入未能完成（处理中断），上传的文件已删除，请重新上传。")).as_dict()],
        )
    deleted = 0
    expired = ImportJob.objects.exclude(file="").filter(
        status__in=(ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED), finished_at__lte=now - retention
    )
    for job in expired.only("pk", "file"):
        deleted += importjob_discard_file(job)
    referenced = set(ImportJob.objects.exclude(file="").values_list("file", flat=True))
    deleted += purge_stored_files("imports/", older_than=stale_before, keep=referenced)
    return deleted


def importjob_run(job_id: int) -> ImportJob | None:
    """Run a job (pending, or running on a dead worker) once; returns it
    finished, or None if another run has it (safe to call twice). Rows and
    the job's success are committed together: a run killed midway wrote
    nothing, and its rerun starts from the file again."""
    job = import_job_run(ImportJob, job_id)
    if job is not None and settings.ANXUN_IMPORT_RETENTION_HOURS == 0:
        importjob_discard_file(job)  # success or failure: the upload is not kept
    return job


def importjob_requeue_stale(*, enqueue: Callable[[int], object], now: dt.datetime | None = None) -> int:
    """Hand import jobs whose worker died to a new run, ``enqueue(pk)`` (or
    fail them after ANXUN_JOB_MAX_ATTEMPTS, telling the uploader); returns how many."""
    return ImportJob.requeue_stale(enqueue=enqueue, now=now)
