"""Scale data for the benchmarks: enterprises ``scale-0001`` … with org
trees, posts, employees, hire events and post assignments, written with
``bulk_create`` straight into the tables (never through the services), the
same for the same seed; and employee import spreadsheets.

    .venv/bin/python -m bench.seed.scale --enterprises 10 --employees-per 1000 --seed 1
    .venv/bin/python -m bench.seed.scale --enterprises 1 --employees-per 0 --xlsx-out bench/out/employees.xlsx

Names and identifiers come from the demo's helpers (``lms.workforce.demo``).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from lms.workforce.demo import add_years, make_mobile, make_name, make_person_id
from lms.workforce.models import (
    Employee,
    EmploymentEvent,
    EmploymentType,
    Enterprise,
    HazardLevel,
    Industry,
    OrgUnit,
    Post,
    PostAssignment,
    SpecialOperation,
    risk_class_for,
)
from lms.workforce.synthetic import make_credit_code

_O, _Y, _B = HazardLevel.ORANGE, HazardLevel.YELLOW, HazardLevel.BLUE

# A fixed date, so that the same seed gives the same data on any day.
SCALE_REFERENCE_DATE = dt.date(2026, 1, 1)
SCALE_CODE_PREFIX = "scale-"
SCALE_REGIONS = ("320505", "320506", "320583", "330106", "330110", "340104", "370102", "420106", "440305", "510107")
SCALE_INDUSTRIES = (
    Industry.MANUFACTURING,
    Industry.MANUFACTURING,
    Industry.HAZARDOUS_CHEMICALS,
    Industry.METAL_SMELTING,
    Industry.CONSTRUCTION,
    Industry.NON_COAL_MINE,
    Industry.OTHER,
)
# Workshop templates: (name, team names, post templates (name, hazard, special, apprenticeship months)).
SCALE_WORKSHOPS = (
    ("生产一车间", ("甲班", "乙班", "丙班"), (("操作工", _O, "", 2), ("巡检工", _Y, "", 0))),
    ("生产二车间", ("甲班", "乙班"), (("操作工", _O, "", 0), ("包装工", _B, "", 0))),
    (
        "设备动力部",
        ("电气班", "维修班"),
        (("维修电工", _O, SpecialOperation.ELECTRICIAN, 0), ("焊工", _O, SpecialOperation.WELDING, 0)),
    ),
    ("仓储物流部", ("仓储班", "运输班"), (("叉车司机", _Y, "", 0), ("仓管员", _B, "", 0))),
    ("质量部", ("检验组",), (("质检员", _Y, "", 0),)),
)


def scale_code(index: int) -> str:
    return f"{SCALE_CODE_PREFIX}{index:04d}"


@dataclass
class ScaleBundle:
    """One scale enterprise, built in memory (unsaved, no primary keys)."""

    enterprise: dict
    units: list[dict]  # code, name, kind, parent (code)
    posts: list[dict]  # code, name, unit (code), hazard_level, special_operation, apprenticeship_months
    employees: list[dict]  # Employee fields plus unit (code), post (code or ""), start_date (or None)


def build_scale_enterprise(index: int, *, seed: int, employees_per: int) -> ScaleBundle:
    """Deterministic data for scale enterprise ``index`` (1-based): the same
    (index, seed, employees_per) always gives the same bundle."""
    rng = random.Random(f"anxun-scale:{seed}:{index}")
    industry = rng.choice(SCALE_INDUSTRIES)
    region = rng.choice(SCALE_REGIONS)
    code = scale_code(index)
    enterprise = {
        "code": code,
        "name": f"规模测试{index:04d}号{_industry_word(industry)}有限公司",
        "credit_code": make_credit_code(90_000_000 + index * 97 + seed % 97, region),
        "industry": industry,
        "risk_class": risk_class_for(industry),
        "region_code": region,
        "address": f"规模测试园区 {index} 号",
    }
    units = [{"code": "C", "name": enterprise["name"], "kind": OrgUnit.Kind.COMPANY, "parent": ""}]
    posts = [
        {
            "code": "C-ZJL",
            "name": "总经理",
            "unit": "C",
            "hazard_level": _B,
            "special_operation": "",
            "apprenticeship_months": 0,
        },
        {
            "code": "C-AQY",
            "name": "安全管理员",
            "unit": "C",
            "hazard_level": _Y,
            "special_operation": "",
            "apprenticeship_months": 0,
        },
    ]
    n_workshops = rng.randint(3, len(SCALE_WORKSHOPS))
    for w, (ws_name, teams, templates) in enumerate(SCALE_WORKSHOPS[:n_workshops], start=1):
        ws_code = f"W{w:02d}"
        units.append({"code": ws_code, "name": ws_name, "kind": OrgUnit.Kind.WORKSHOP, "parent": "C"})
        for t, team_name in enumerate(teams, start=1):
            team_code = f"{ws_code}-T{t}"
            units.append(
                {"code": team_code, "name": f"{ws_name}{team_name}", "kind": OrgUnit.Kind.TEAM, "parent": ws_code}
            )
            for p, (post_name, hazard, special, months) in enumerate(templates, start=1):
                posts.append(
                    {
                        "code": f"{team_code}-P{p}",
                        "name": post_name,
                        "unit": team_code,
                        "hazard_level": hazard,
                        "special_operation": special,
                        "apprenticeship_months": months,
                    }
                )
    team_posts = [p for p in posts if p["unit"] != "C"]
    taken: set[str] = set()
    employees = []
    for i in range(1, employees_per + 1):
        if i <= 3:
            post = posts[0] if i == 1 else posts[1]
        else:
            post = rng.choice(team_posts)
        male = rng.random() < 0.75
        birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(38 * 365))
        hire = SCALE_REFERENCE_DATE - dt.timedelta(days=rng.randrange(1, 20 * 365))
        hire = max(hire, add_years(birth, 18))
        assigned = rng.random() < 0.92
        employees.append(
            {
                "employee_no": f"S{i:06d}",
                "name": make_name(rng, male),
                "id_number": make_person_id(rng, birth, male, taken),
                "phone": "+86" + make_mobile(rng),
                "employment_type": rng.choices(
                    (
                        EmploymentType.REGULAR,
                        EmploymentType.DISPATCHED,
                        EmploymentType.CONTRACTOR,
                        EmploymentType.INTERN,
                    ),
                    weights=(80, 10, 6, 4),
                )[0],
                "is_principal": i == 1,
                "is_safety_manager": i in (2, 3),
                "hire_date": hire,
                "unit": post["unit"],
                "post": post["code"],
                "start_date": min(hire + dt.timedelta(days=rng.randrange(7, 31)), SCALE_REFERENCE_DATE)
                if assigned
                else None,
            }
        )
    return ScaleBundle(enterprise=enterprise, units=units, posts=posts, employees=employees)


def _industry_word(industry: str) -> str:
    return {
        Industry.MANUFACTURING: "机械",
        Industry.HAZARDOUS_CHEMICALS: "化工",
        Industry.METAL_SMELTING: "冶金",
        Industry.CONSTRUCTION: "建设",
        Industry.NON_COAL_MINE: "矿业",
    }.get(industry, "实业")


BULK_BATCH = 2000


@transaction.atomic
def create_scale_enterprise(index: int, *, seed: int, employees_per: int) -> Enterprise | None:
    """Write scale enterprise ``index`` with bulk inserts (benchmark data,
    not through the services): org tree, posts, employees, their hire events
    and (for ~92 %) an open post assignment. Returns None, writing nothing,
    if an enterprise with that code exists."""
    bundle = build_scale_enterprise(index, seed=seed, employees_per=employees_per)
    if Enterprise.objects.filter(code=bundle.enterprise["code"]).exists():
        return None
    enterprise = Enterprise.objects.create(**bundle.enterprise)
    units: dict[str, OrgUnit] = {}
    for kind in (OrgUnit.Kind.COMPANY, OrgUnit.Kind.WORKSHOP, OrgUnit.Kind.TEAM):
        level = [u for u in bundle.units if u["kind"] == kind]
        OrgUnit.objects.bulk_create(
            [
                OrgUnit(enterprise=enterprise, code=u["code"], name=u["name"], kind=kind, parent=units.get(u["parent"]))
                for u in level
            ]
        )
        units.update({u.code: u for u in OrgUnit.objects.filter(enterprise=enterprise, kind=kind)})
    Post.objects.bulk_create(
        [
            Post(
                enterprise=enterprise,
                org_unit=units[p["unit"]],
                code=p["code"],
                name=p["name"],
                hazard_level=p["hazard_level"],
                special_operation=p["special_operation"],
                apprenticeship_months=p["apprenticeship_months"],
            )
            for p in bundle.posts
        ]
    )
    posts = {p.code: p for p in Post.objects.filter(enterprise=enterprise)}
    if not bundle.employees:
        return enterprise
    now = timezone.now()
    Employee.objects.bulk_create(
        [
            Employee(
                enterprise=enterprise,
                org_unit=units[e["unit"]],
                created_at=now,
                **{k: v for k, v in e.items() if k not in ("unit", "post", "start_date")},
            )
            for e in bundle.employees
        ],
        batch_size=BULK_BATCH,
    )
    ids = dict(Employee.objects.filter(enterprise=enterprise).values_list("employee_no", "pk"))
    EmploymentEvent.objects.bulk_create(
        [
            EmploymentEvent(
                employee_id=ids[e["employee_no"]],
                type=EmploymentEvent.Type.HIRE,
                date=e["hire_date"],
                post=posts[e["post"]],
                source=EmploymentEvent.Source.SYSTEM,
                recorded_at=now,
            )
            for e in bundle.employees
        ],
        batch_size=BULK_BATCH,
    )
    PostAssignment.objects.bulk_create(
        [
            PostAssignment(
                employee_id=ids[e["employee_no"]], post=posts[e["post"]], start_date=e["start_date"], created_at=now
            )
            for e in bundle.employees
            if e["start_date"] is not None
        ],
        batch_size=BULK_BATCH,
    )
    return enterprise


def next_free_scale_index() -> int:
    """The smallest index whose ``scale-NNNN`` code is unused."""
    used = set(Enterprise.objects.filter(code__startswith=SCALE_CODE_PREFIX).values_list("code", flat=True))
    index = 1
    while scale_code(index) in used:
        index += 1
    return index


# --- employee import spreadsheet ----------------------------------------------------------

# How people write 用工形式 in an import sheet (the importer's template labels).
EMPLOYMENT_LABELS = {
    EmploymentType.REGULAR: "正式员工",
    EmploymentType.DISPATCHED: "劳务派遣",
    EmploymentType.CONTRACTOR: "外包",
    EmploymentType.INTERN: "实习",
}

IMPORT_HEADERS = (
    "工号*",
    "姓名*",
    "身份证号*",
    "手机号",
    "用工形式",
    "所在单位编码",
    "岗位编码",
    "入职日期*",
    "主要负责人",
    "安全管理人员",
)


def employee_sheet_rows(enterprise: Enterprise, rows: int, rng: random.Random, *, number_prefix: str = "X"):
    """Yield ``rows`` import rows (in IMPORT_HEADERS order) of new, valid
    employees on the enterprise's team posts; row 1 is the principal, rows 2–3
    safety managers. 工号 are ``<prefix>000001``…; 身份证号 are unique and avoid
    those of the enterprise's present employees."""
    posts = list(Post.objects.filter(enterprise=enterprise, is_active=True).select_related("org_unit").order_by("code"))
    if not posts:
        raise ValueError(f"企业 {enterprise.code} 没有岗位，无法生成导入表")
    team_posts = [p for p in posts if p.org_unit.kind == OrgUnit.Kind.TEAM] or posts
    company_posts = [p for p in posts if p.org_unit.kind == OrgUnit.Kind.COMPANY] or posts
    taken = set(Employee.objects.filter(enterprise=enterprise).values_list("id_number", flat=True))
    yes, no = "是", "否"
    for i in range(1, rows + 1):
        post = company_posts[0 if i == 1 else -1] if i <= 3 else rng.choice(team_posts)
        male = rng.random() < 0.75
        birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(38 * 365))
        hire = max(SCALE_REFERENCE_DATE - dt.timedelta(days=rng.randrange(1, 20 * 365)), add_years(birth, 18))
        etype = rng.choices(tuple(EMPLOYMENT_LABELS), weights=(80, 10, 6, 4))[0]
        yield (
            f"{number_prefix}{i:06d}",
            make_name(rng, male),
            make_person_id(rng, birth, male, taken),
            make_mobile(rng),
            EMPLOYMENT_LABELS[etype],
            post.org_unit.code,
            post.code,
            hire,
            yes if i == 1 else no,
            yes if i in (2, 3) else no,
        )


def write_employee_sheet(path, enterprise: Enterprise, rows: int, rng: random.Random) -> Path:
    """Write an employee import spreadsheet (.xlsx, headers IMPORT_HEADERS)
    with ``rows`` new employees of ``enterprise``; returns the path."""
    from openpyxl import Workbook

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("员工")
    ws.append(list(IMPORT_HEADERS))
    for row in employee_sheet_rows(enterprise, rows, rng):
        ws.append(list(row))
    wb.save(path)
    return path


# --- the script ----------------------------------------------------------------------------


class Command(BaseCommand):
    help = "批量生成性能测试数据（企业编码 scale-0001 起，与演示数据互不冲突）"

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=1, help="企业数（默认 1）")
        parser.add_argument("--employees-per", type=int, default=100, help="每家企业的员工数（默认 100，可为 0）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子；相同种子生成相同数据（默认 1）")
        parser.add_argument("--start", type=int, default=1, help="起始序号（默认 1，即 scale-0001）")
        parser.add_argument("--xlsx-out", default="", help="另外写出一份员工导入表（.xlsx）到此路径")
        parser.add_argument("--rows", type=int, default=10000, help="导入表行数（默认 10000）")
        parser.add_argument("--xlsx-enterprise", default="", help="导入表所属企业编码（默认第一家生成的企业）")

    def handle(self, *args, enterprises, employees_per, seed, start, xlsx_out, rows, xlsx_enterprise, **options):
        if enterprises < 0 or employees_per < 0 or rows < 1 or start < 1:
            raise CommandError("企业数、员工数不能为负，行数和起始序号至少为 1")
        began = time.perf_counter()
        made = skipped = 0
        for index in range(start, start + enterprises):
            enterprise = create_scale_enterprise(index, seed=seed, employees_per=employees_per)
            if enterprise is None:
                skipped += 1
                self.stdout.write(f"{scale_code(index)} 已存在，跳过")
            else:
                made += 1
        elapsed = time.perf_counter() - began
        self.stdout.write(
            f"新建企业 {made} 家、跳过 {skipped} 家，每家 {employees_per} 名员工，用时 {elapsed:.1f} 秒（种子 {seed}）"
        )
        if xlsx_out:
            code = xlsx_enterprise or scale_code(start)
            enterprise = Enterprise.objects.filter(code=code).first()
            if enterprise is None:
                raise CommandError(f"企业 {code} 不存在，无法生成导入表")
            began = time.perf_counter()
            path = write_employee_sheet(xlsx_out, enterprise, rows, random.Random(f"anxun-sheet:{seed}:{code}"))
            self.stdout.write(
                f"已写出导入表 {path}（{rows} 行，企业 {code}），用时 {time.perf_counter() - began:.1f} 秒"
            )


if __name__ == "__main__":
    from bench.seed import main

    main(Command, "bench.seed.scale")
