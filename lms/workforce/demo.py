"""Demo data of the workforce (``manage.py seed_demo``'s "workforce" step):
the demo enterprises, their org trees and posts, one login per role and the
people. The benchmarks' scale data (``bench/seed/scale.py``) draws its names
and identifiers with the same helpers.

Everything here is fictitious: names are drawn from surname and given-name
lists, 身份证号 and 统一社会信用代码 are made by ``lms.workforce.synthetic`` and
pass their checksums, and every random choice comes from a seeded
``random.Random`` so that the same seed always gives the same people.

The demo goes through the workforce services (the single door for writes), as
an administrator would. The gate lets nobody onto a post untrained, so before
each placement the apps above register what the person did first
(``PLACEMENT_TRAINING``: the training records, the certificates).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass

from django.utils import timezone
from stdnum.cn import ric

from lms.kernel import seeding
from lms.kernel.seeding import SeedReport

from .models import (
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
from .synthetic import ID_REGIONS, make_credit_code, make_id_number
from lms.accounts.models import Membership, RegulatorMembership, User

# The one password of every demo account (documented in the README and in
# the summary that seed_demo prints).
DEMO_PASSWORD = "Anxun-demo-2026"
DEMO_SEED = 2026
LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"
ADMIN_URL = "http://127.0.0.1:8000/admin/"

# --- names and identifiers -----------------------------------------------------

# Common surnames, most frequent first; the weights make 王/李/张/刘/陈 common
# and the tail rare, as in a real roster.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_WEIGHTS = tuple(max(1.0, 30.0 - i * 0.6) for i in range(len(SURNAMES)))
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林峰建国志文涵海东亮成兵松春晨阳"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红梅琳雪婷颖慧倩晶洁莉萍蓉佳欣悦琴云丹璐瑶怡雯露月兰"

# Birth regions that python-stdnum accepts for every birth year used here:
# the plant's neighbourhood is not in its table for all years, so the demo
# workforce comes, as many do, from Anhui, Sichuan, Hunan, Jiangxi, Zhejiang,
# Hubei and the big cities.
# fmt: off
BIRTH_REGIONS = (
    "340121", "340421", "340621", "510121", "510321", "510421", "430121", "430321",
    "360121", "330122", "330127", "422822", "422823", *ID_REGIONS,
)
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "150", "151", "152", "155", "156",
    "157", "158", "159", "177", "180", "181", "182", "186", "187", "188", "189", "198", "199",
)
# fmt: on
# Demo logins by phone use 1390000xxxx; generated numbers never do.
RESERVED_PHONE_PREFIX = "1390000"


def make_name(rng: random.Random, male: bool) -> str:
    """A plausible Chinese name: surname plus one or two given-name characters."""
    surname = rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    if rng.random() < 0.35:
        return surname + rng.choice(pool)
    first, second = rng.sample(pool, 2)  # two different characters
    return surname + first + second


def make_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number outside the reserved demo range."""
    while True:
        number = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if not number.startswith(RESERVED_PHONE_PREFIX):
            return number


def make_person_id(rng: random.Random, birth: dt.date, male: bool, taken: set[str]) -> str:
    """A valid 身份证号 for this birth date and sex (odd 17th digit = male),
    not in ``taken``; adds it to ``taken``."""
    while True:
        region = rng.choice(BIRTH_REGIONS)
        seq = rng.randrange(500) * 2 + (1 if male else 0)
        number = make_id_number(region=region, birth=birth, seq=seq)
        if number not in taken and _region_valid(region, birth.year):
            taken.add(number)
            return number


@functools.lru_cache(maxsize=4096)
def _region_valid(region: str, year: int) -> bool:
    """Whether python-stdnum (and so our validator) accepts this birth region
    for people born in ``year``."""
    return ric.is_valid(make_id_number(region=region, birth=dt.date(year, 6, 15), seq=1))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- the demo enterprises ----------------------------------------------------------


@dataclass(frozen=True)
class PostSpec:
    key: str  # short code, unique inside the unit
    name: str
    hazard: str
    headcount: int = 0
    special: str = SpecialOperation.NONE
    apprenticeship_months: int = 0
    hazards: str = ""
    hazardous_process: bool = False


@dataclass(frozen=True)
class TeamSpec:
    key: str
    name: str
    posts: tuple[PostSpec, ...]


@dataclass(frozen=True)
class WorkshopSpec:
    key: str
    name: str
    teams: tuple[TeamSpec, ...]
    posts: tuple[PostSpec, ...] = ()


@dataclass(frozen=True)
class EnterpriseSpec:
    code: str
    name: str
    industry: str
    region_code: str
    credit_serial: int
    address: str
    prefix: str  # of unit, post and employee codes
    company_posts: tuple[PostSpec, ...]
    workshops: tuple[WorkshopSpec, ...]
    seed: int
    # Roles held by demo users in this enterprise: (email, full name, role, employee key or "").
    users: tuple[tuple[str, str, str, str], ...] = ()


def _shifts(posts: tuple[PostSpec, ...]) -> tuple[TeamSpec, ...]:
    """Three shift teams (甲班/乙班/丙班) working the same posts."""
    return tuple(TeamSpec(key, name, posts) for key, name in (("A", "甲班"), ("B", "乙班"), ("C", "丙班")))


_R, _O, _Y, _B = HazardLevel.RED, HazardLevel.ORANGE, HazardLevel.YELLOW, HazardLevel.BLUE

HXCHEM = EnterpriseSpec(
    code="hxchem",
    name="华兴化工有限公司",
    industry=Industry.HAZARDOUS_CHEMICALS,
    region_code="320505",
    credit_serial=58_203_117,
    address="江苏省苏州市高新区化工园区华兴路 8 号",
    prefix="HX",
    company_posts=(
        PostSpec("ZJL", "总经理", _B, 1),
        PostSpec("AQY", "专职安全管理员", _Y, 3, hazards="火灾、爆炸、中毒窒息"),
    ),
    workshops=(
        WorkshopSpec(
            "HC",
            "合成车间",
            _shifts(
                (
                    # 办法 §23: new operators of hazardous processes work ≥ 2
                    # months under an experienced worker before working alone.
                    PostSpec(
                        "FYF", "反应釜操作工", _R, 9, apprenticeship_months=2, hazards="火灾、爆炸、中毒窒息、灼烫",
                        hazardous_process=True,
                    ),
                    PostSpec("DCS", "DCS 操作员", _O, 3, hazards="火灾、爆炸、中毒"),
                )
            ),
            posts=(PostSpec("AQY", "车间安全员", _Y, 1, hazards="火灾、爆炸、中毒窒息"),),
        ),
        WorkshopSpec(
            "CY",
            "储运车间",
            (
                TeamSpec("GQ", "罐区班", (PostSpec("XJ", "储罐区巡检工", _O, 10, hazards="火灾、爆炸、中毒窒息"),)),
                TeamSpec(
                    "ZX",
                    "装卸班",
                    (
                        PostSpec(
                            "ZXG",
                            "危化品装卸工",
                            _R,
                            10,
                            special=SpecialOperation.HAZARDOUS_CHEMICALS,
                            hazards="火灾、爆炸、中毒、灼烫、车辆伤害",
                        ),
                        # Forklifts are special equipment (TSG), not a 特种作业.
                        PostSpec("CC", "叉车司机", _Y, 5, hazards="车辆伤害、物体打击"),
                    ),
                ),
            ),
            posts=(PostSpec("DD", "储运调度员", _B, 2),),
        ),
        WorkshopSpec(
            "GY",
            "公用工程车间",
            (
                TeamSpec(
                    "DQ",
                    "电气班",
                    (
                        PostSpec(
                            "DG",
                            "维修电工",
                            _O,
                            8,
                            special=SpecialOperation.ELECTRICIAN,
                            hazards="触电、电弧灼伤、高处坠落",
                        ),
                        PostSpec("YB", "仪表工", _Y, 5, special=SpecialOperation.ELECTRICIAN, hazards="触电、中毒"),
                    ),
                ),
                TeamSpec(
                    "WX",
                    "维修班",
                    (
                        PostSpec(
                            "HG", "焊工", _O, 5, special=SpecialOperation.WELDING, hazards="火灾、灼烫、触电、中毒窒息"
                        ),
                        PostSpec("QG", "机修钳工", _Y, 7, hazards="机械伤害、物体打击、高处坠落"),
                    ),
                ),
                TeamSpec(
                    "SQ",
                    "水汽班",
                    (
                        PostSpec("XHS", "循环水操作工", _Y, 6, hazards="中毒、淹溺、触电"),
                        PostSpec("KY", "空压制氮操作工", _Y, 3, hazards="容器爆炸、窒息、噪声"),
                    ),
                ),
            ),
        ),
        WorkshopSpec(
            "ZJ",
            "质检中心",
            (
                TeamSpec("H1", "化验一组", (PostSpec("ZJY", "质检员", _Y, 8, hazards="中毒、灼烫、火灾"),)),
                TeamSpec("H2", "化验二组", (PostSpec("ZJY", "质检员", _Y, 8, hazards="中毒、灼烫、火灾"),)),
            ),
        ),
    ),
    seed=DEMO_SEED,
)

DFMFG = EnterpriseSpec(
    code="dfmfg",
    name="东方机械制造有限公司",
    industry=Industry.MANUFACTURING,
    region_code="330106",
    credit_serial=71_460_329,
    address="浙江省杭州市西湖区三墩工业园振华路 66 号",
    prefix="DF",
    company_posts=(
        PostSpec("ZJL", "总经理", _B, 1),
        PostSpec("AQY", "专职安全管理员", _Y, 2, hazards="机械伤害、触电、火灾"),
    ),
    workshops=(
        WorkshopSpec(
            "JJ",
            "机加工车间",
            (
                TeamSpec("SK1", "数控一班", (PostSpec("SKC", "数控车工", _Y, 8, hazards="机械伤害、物体打击"),)),
                TeamSpec("SK2", "数控二班", (PostSpec("SKC", "数控车工", _Y, 8, hazards="机械伤害、物体打击"),)),
                TeamSpec(
                    "PC",
                    "普车班",
                    (
                        PostSpec("CG", "普通车工", _Y, 6, hazards="机械伤害、物体打击"),
                        PostSpec("MG", "磨工", _Y, 3, hazards="机械伤害、粉尘"),
                    ),
                ),
            ),
        ),
        WorkshopSpec(
            "HZ",
            "焊装车间",
            (
                TeamSpec(
                    "HJ1",
                    "焊接一班",
                    (
                        PostSpec(
                            "HG", "焊工", _O, 8, special=SpecialOperation.WELDING, hazards="火灾、灼烫、触电、电焊烟尘"
                        ),
                        PostSpec("DM", "打磨工", _Y, 2, hazards="机械伤害、粉尘、噪声"),
                    ),
                ),
                TeamSpec(
                    "HJ2",
                    "焊接二班",
                    (
                        PostSpec(
                            "HG", "焊工", _O, 8, special=SpecialOperation.WELDING, hazards="火灾、灼烫、触电、电焊烟尘"
                        ),
                        PostSpec("DM", "打磨工", _Y, 2, hazards="机械伤害、粉尘、噪声"),
                    ),
                ),
            ),
        ),
        WorkshopSpec(
            "ZP",
            "装配车间",
            (
                TeamSpec("ZZ", "总装班", (PostSpec("ZPG", "装配工", _B, 16, hazards="机械伤害、物体打击"),)),
                TeamSpec(
                    "TS",
                    "调试班",
                    (
                        PostSpec("ZJY", "质检员", _B, 4, hazards="机械伤害"),
                        PostSpec(
                            "DG", "维修电工", _O, 4, special=SpecialOperation.ELECTRICIAN, hazards="触电、高处坠落"
                        ),
                    ),
                ),
                TeamSpec(
                    "WL",
                    "物流班",
                    (
                        PostSpec("CC", "叉车司机", _Y, 4, hazards="车辆伤害、物体打击"),
                        PostSpec("CG", "仓管员", _B, 3, hazards="物体打击"),
                    ),
                ),
            ),
        ),
    ),
    seed=DEMO_SEED + 1,
)

DEMO_ENTERPRISES = (HXCHEM, DFMFG)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str  # a Role value, "superuser" or "regulator"
    enterprise: str = ""  # enterprise code
    region_code: str = ""
    authority: str = ""
    phone: str = ""  # stored form +86…
    employee_no: str = ""  # the Employee record this login belongs to

    @property
    def privileged(self) -> bool:
        """Whether the account must use MFA (lms.accounts.models.User.requires_mfa)."""
        return self.role in ("superuser", "regulator", "hr", "enterprise_admin")


# Employee numbers of the people whose logins are demo accounts.
HX_PRINCIPAL, HX_SAFETY, HX_MENTOR, HX_WORKER, HX_NEWHIRE = "HX0001", "HX0002", "HX0010", "HX0011", "HX0012"
DF_PRINCIPAL, DF_SAFETY = "DF0001", "DF0002"

DEMO_USERS = (
    DemoUser("admin@anxun.demo", "平台管理员", "superuser"),
    DemoUser("hr@hxchem.demo", "华兴人事专员", "hr", "hxchem"),
    DemoUser("ea@hxchem.demo", "华兴企业管理员", "enterprise_admin", "hxchem"),
    DemoUser("principal@hxchem.demo", "", "principal", "hxchem", employee_no=HX_PRINCIPAL),
    DemoUser("safety@hxchem.demo", "", "safety_manager", "hxchem", employee_no=HX_SAFETY),
    DemoUser("trainer@hxchem.demo", "华兴安全培训师", "trainer", "hxchem"),
    DemoUser("mentor@hxchem.demo", "", "mentor", "hxchem", employee_no=HX_MENTOR),
    DemoUser("worker@hxchem.demo", "", "employee", "hxchem", phone="+8613900000001", employee_no=HX_WORKER),
    # A new hire in pre-post training: open induction obligations, enrolled online courses.
    DemoUser("newhire@hxchem.demo", "", "employee", "hxchem", phone="+8613900000002", employee_no=HX_NEWHIRE),
    DemoUser("hr@dfmfg.demo", "东方人事专员", "hr", "dfmfg"),
    DemoUser(
        "regulator@suzhou.demo",
        "苏州市应急管理局监管员",
        "regulator",
        region_code="320500",
        authority="苏州市应急管理局",
    ),
)


@dataclass
class PersonSpec:
    """One demo employee, decided before anything is written."""

    employee_no: str
    name: str
    male: bool
    birth: dt.date
    id_number: str
    phone: str
    employment_type: str
    unit_code: str
    post_code: str
    hire_date: dt.date
    assign: bool = True
    start_date: dt.date | None = None
    apprentice_of: str = ""  # employee_no of the mentor
    is_principal: bool = False
    is_safety_manager: bool = False


def unit_codes(spec: EnterpriseSpec):
    """Yield (code, name, kind, parent code) company first, then each
    workshop followed by its teams."""
    yield spec.prefix, spec.name, OrgUnit.Kind.COMPANY, ""
    for ws in spec.workshops:
        ws_code = f"{spec.prefix}-{ws.key}"
        yield ws_code, ws.name, OrgUnit.Kind.WORKSHOP, spec.prefix
        for team in ws.teams:
            yield f"{ws_code}-{team.key}", f"{ws.name}{team.name}", OrgUnit.Kind.TEAM, ws_code


def post_slots(spec: EnterpriseSpec):
    """Yield (post code, unit code, PostSpec) for every post of the enterprise."""
    for post in spec.company_posts:
        yield f"{spec.prefix}-{post.key}", spec.prefix, post
    for ws in spec.workshops:
        ws_code = f"{spec.prefix}-{ws.key}"
        for post in ws.posts:
            yield f"{ws_code}-{post.key}", ws_code, post
        for team in ws.teams:
            team_code = f"{ws_code}-{team.key}"
            for post in team.posts:
                yield f"{team_code}-{post.key}", team_code, post


def build_people(spec: EnterpriseSpec, today: dt.date) -> list[PersonSpec]:
    """The enterprise's demo workforce, the same for the same seed (dates
    are counted back from ``today``). Employee 0001 is the principal, 0002
    the safety manager; the mentor and worker accounts of hxchem are 0010 and
    0011, both on the first 反应釜操作工 post."""
    rng = random.Random(f"anxun-demo:{spec.code}:{spec.seed}")
    taken_ids: set[str] = set()
    taken_phones: set[str] = set()
    slots = [(code, unit, post) for code, unit, post in post_slots(spec) for _ in range(post.headcount)]
    # post_slots yields the company's posts first: 0001 is the principal, then the safety managers.
    people: list[PersonSpec] = []
    for n, (post_code, unit_code, post) in enumerate(slots, start=1):
        employee_no = f"{spec.prefix}{n:04d}"
        male = rng.random() < (0.55 if post.hazard == HazardLevel.BLUE else 0.85)
        etype = rng.choices(
            (EmploymentType.REGULAR, EmploymentType.DISPATCHED, EmploymentType.CONTRACTOR, EmploymentType.INTERN),
            weights=(82, 9, 5, 4),
        )[0]
        if n <= 3 or post.special:
            # Managers and special operators are the enterprise's own staff.
            etype = EmploymentType.REGULAR
        if etype == EmploymentType.INTERN:
            birth = dt.date(2004, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
            hire = today - dt.timedelta(days=rng.randrange(20, 200))
        else:
            birth = dt.date(1968, 1, 1) + dt.timedelta(days=rng.randrange(34 * 365))
            hire = today - dt.timedelta(days=rng.randrange(40, 15 * 365))
        if n == 1:
            birth, hire, male = dt.date(1972, 6, 18), today - dt.timedelta(days=12 * 365), True
        hire = max(hire, add_years(birth, 18))
        # About one in twelve is a recent hire still in pre-post training.
        recent = n > 12 and rng.random() < 1 / 12
        if recent:
            hire = today - dt.timedelta(days=rng.randrange(2, 20))
        phone = make_mobile(rng)
        while phone in taken_phones:
            phone = make_mobile(rng)
        taken_phones.add(phone)
        person = PersonSpec(
            employee_no=employee_no,
            name=make_name(rng, male),
            male=male,
            birth=birth,
            id_number=make_person_id(rng, birth, male, taken_ids),
            phone="+86" + phone,
            employment_type=etype,
            unit_code=unit_code,
            post_code=post_code,
            hire_date=hire,
            assign=not recent,
            start_date=None if recent else min(today, hire + dt.timedelta(days=rng.randrange(7, 31))),
            is_principal=n == 1,
            # Everyone on the company's safety post is a 安全管理人员.
            is_safety_manager=unit_code == spec.prefix and post.key == "AQY",
        )
        people.append(person)
    if spec.code == HXCHEM.code:
        _shape_hxchem(people, today)
    return people


def _shape_hxchem(people: list[PersonSpec], today: dt.date) -> None:
    """Give the hxchem mentor/worker accounts and two apprentices fixed, telling
    histories on the first 反应釜操作工 post (HX-HC-A-FYF)."""
    by_no = {p.employee_no: p for p in people}
    reactor = [p for p in people if p.post_code == "HX-HC-A-FYF"]
    mentor, worker = by_no[HX_MENTOR], by_no[HX_WORKER]
    assert mentor in reactor and worker in reactor, "mentor and worker sit on HX-HC-A-FYF"
    for person, years in ((mentor, 9), (worker, 2)):
        person.hire_date = max(today - dt.timedelta(days=years * 365), add_years(person.birth, 18))
        person.start_date = person.hire_date + dt.timedelta(days=20)
        person.assign = True
        person.employment_type = EmploymentType.REGULAR
    worker.phone = "+8613900000001"
    # A new operator hired this week, still in three-level induction (not on the post).
    newhire = by_no[HX_NEWHIRE]
    newhire.hire_date = today - dt.timedelta(days=6)
    newhire.start_date, newhire.assign = None, False
    newhire.employment_type = EmploymentType.REGULAR
    newhire.phone = "+8613900000002"
    # Two new operators learning the reactor under the mentor (办法 §23).
    for apprentice in [p for p in reactor if p not in (mentor, worker, newhire)][-2:]:
        apprentice.employment_type = EmploymentType.REGULAR
        apprentice.hire_date = today - dt.timedelta(days=24)
        apprentice.start_date = today - dt.timedelta(days=10)
        apprentice.assign = True
        apprentice.apprentice_of = mentor.employee_no


# --- writing the demo ----------------------------------------------------------------

def seed_enterprise(spec: EnterpriseSpec, report: SeedReport) -> Enterprise:
    """Create the enterprise with its org tree and posts; existing rows
    (matched by code) are left as they are."""
    from . import services

    enterprise = Enterprise.objects.filter(code=spec.code).first()
    if enterprise is None:
        # There is no enterprise service: enterprises are set up by the
        # platform operator, here as in the admin.
        enterprise = Enterprise(
            code=spec.code,
            name=spec.name,
            credit_code=make_credit_code(spec.credit_serial, spec.region_code),
            industry=spec.industry,
            risk_class=risk_class_for(spec.industry),
            region_code=spec.region_code,
            address=spec.address,
        )
        enterprise.full_clean()
        enterprise.save()
        report.count("企业", True)
    else:
        report.count("企业", False)

    units = {u.code: u for u in OrgUnit.objects.filter(enterprise=enterprise)}
    for code, name, kind, parent_code in unit_codes(spec):
        if code in units:
            report.count("组织单位", False)
            continue
        unit = OrgUnit(enterprise=enterprise, code=code, name=name, kind=kind, parent=units.get(parent_code))
        units[code] = services.orgunit_save(unit=unit, actor=None)
        report.count("组织单位", True)

    posts = set(Post.objects.filter(enterprise=enterprise).values_list("code", flat=True))
    for code, unit_code, post in post_slots(spec):
        if code in posts:
            report.count("岗位", False)
            continue
        services.post_save(
            post=Post(
                enterprise=enterprise,
                org_unit=units[unit_code],
                code=code,
                name=post.name,
                hazard_level=post.hazard,
                special_operation=post.special,
                apprenticeship_months=post.apprenticeship_months,
                hazards=post.hazards,
                hazardous_process=post.hazardous_process,
            ),
            actor=None,
        )
        posts.add(code)
        report.count("岗位", True)
    return enterprise


def seed_people(spec: EnterpriseSpec, enterprise: Enterprise, users_by_employee_no: dict, report: SeedReport):
    """Create the demo workforce through the services: hire (with the
    intended post), then the post assignment; a transfer and a leave."""
    from . import services

    today = timezone.localdate()
    people = build_people(spec, today)
    units = {u.code: u for u in OrgUnit.objects.filter(enterprise=enterprise)}
    posts = {p.code: p for p in Post.objects.filter(enterprise=enterprise)}
    existing = {e.employee_no: e for e in Employee.objects.filter(enterprise=enterprise)}
    made: dict[str, Employee] = {}
    system = EmploymentEvent.Source.SYSTEM

    for person in people:
        employee = existing.get(person.employee_no)
        if employee is not None:
            report.count("员工", False)
            made[person.employee_no] = employee
            user = users_by_employee_no.get(person.employee_no)
            if user is not None and employee.user_id is None:
                services.employee_update(employee=employee, data={"user": user}, actor=None)
            continue
        employee = services.employee_create(
            employee=Employee(
                enterprise=enterprise,
                employee_no=person.employee_no,
                name=person.name,
                id_number=person.id_number,
                phone=person.phone,
                employment_type=person.employment_type,
                org_unit=units[person.unit_code],
                is_principal=person.is_principal,
                is_safety_manager=person.is_safety_manager,
                hire_date=person.hire_date,
                user=users_by_employee_no.get(person.employee_no),
            ),
            actor=None,
            source=system,
            post=posts[person.post_code],
        )
        made[person.employee_no] = employee
        report.count("员工", True)

    # Assignments only for people created in this run: a re-run leaves the
    # workforce (including later changes made in the UI) alone.
    created_nos = {p.employee_no for p in people if p.employee_no not in existing}
    for person in sorted(people, key=lambda p: bool(p.apprentice_of)):  # mentors before apprentices
        if person.employee_no not in created_nos or not person.assign:
            continue
        kind = PostAssignment.Kind.APPRENTICE if person.apprentice_of else PostAssignment.Kind.REGULAR
        employee, post = made[person.employee_no], posts[person.post_code]
        # The gate lets nobody onto a post untrained: write the training the
        # person did before starting (and the certificates the post needs).
        ready = complete_training(
            employee, post=post, not_before=employee.hire_date, today=today, apprentice=bool(person.apprentice_of)
        )
        start = max(person.start_date, ready)
        if start > today:
            report.refused.append(f"{enterprise.code} {person.employee_no} {person.name} → {post.code}：培训尚未完成")
            continue
        try:
            services.assignment_create(
                employee=employee,
                post=post,
                start_date=start,
                actor=None,
                kind=kind,
                mentor=made.get(person.apprentice_of) if person.apprentice_of else None,
            )
            report.count("岗位分配", True)
        except services.WorkforceError as exc:
            # Shown in the summary rather than forced: the demo never
            # bypasses the gate.
            report.refused.append(f"{enterprise.code} {person.employee_no} {person.name} → {post.code}：{_msg(exc)}")

    _seed_events(spec, enterprise, people, made, posts, today, report)


# --- training before a placement ----------------------------------------------------

@dataclass
class Placement:
    """A demo person about to start on a post. The steps registered in
    ``PLACEMENT_TRAINING`` write what had to come first (training records,
    certificates), starting on ``start``, and move ``start`` to the first
    day the person may work the post."""

    employee: Employee
    post: Post
    start: dt.date
    today: dt.date
    apprentice: bool
    rng: random.Random


# Filled by the compliance and certificates demos.
PLACEMENT_TRAINING = seeding.Registry()


def complete_training(employee: Employee, *, post: Post, not_before: dt.date, today: dt.date, apprentice=False):
    """Run the registered training steps for ``employee`` starting on
    ``post`` no earlier than ``not_before``; returns the first day the person
    may start there (``not_before`` if no step is registered)."""
    placement = Placement(
        employee=employee,
        post=post,
        start=not_before,
        today=today,
        apprentice=apprentice,
        rng=random.Random(f"anxun-demo-history:{employee.enterprise_id}:{employee.employee_no}:{post.code}"),
    )
    for step in PLACEMENT_TRAINING.ordered():
        step.func(placement)
    return placement.start


def _msg(exc) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def _seed_events(spec, enterprise, people, made, posts, today, report):
    """One transfer and one leave per enterprise, on fixed people."""
    from . import services

    transfers = {"hxchem": ("HX-CY-GQ-XJ", "HX-CY-ZX-ZXG"), "dfmfg": ("DF-ZP-ZZ-ZPG", "DF-ZP-WL-CC")}
    leaves = {"hxchem": ("HX-ZJ-H1-ZJY", "病假"), "dfmfg": ("DF-JJ-PC-CG", "工伤休养")}
    eligible = [p for p in people if p.assign and not p.apprentice_of and p.hire_date < today - dt.timedelta(days=120)]

    src, dst = transfers[spec.code]
    mover = next((p for p in eligible if p.post_code == src), None)
    if mover is not None:
        employee = made[mover.employee_no]
        if employee.events.filter(type=EmploymentEvent.Type.TRANSFER).exists():
            report.count("转岗事件", False)
        elif employee.assignments.filter(post__code=src, end_date__isnull=True).exists():
            date = today - dt.timedelta(days=30)
            services.event_record(
                employee=employee,
                type=EmploymentEvent.Type.TRANSFER,
                date=date,
                post=posts[dst],
                note="因生产需要调岗",
                actor=None,
                source=EmploymentEvent.Source.SYSTEM,
            )
            report.count("转岗事件", True)
            # 令3 §17: workshop and team level again before the new post.
            start = min(today, complete_training(employee, post=posts[dst], not_before=date, today=today))
            try:
                services.assignment_create(employee=employee, post=posts[dst], start_date=start, actor=None)
                report.count("岗位分配", True)
            except services.WorkforceError as exc:
                report.refused.append(f"{enterprise.code} {mover.employee_no} {mover.name} → {dst}：{_msg(exc)}")

    post_code, reason = leaves[spec.code]
    leaver = next((p for p in eligible if p.post_code == post_code), None)
    if leaver is not None:
        employee = made[leaver.employee_no]
        if employee.events.filter(type=EmploymentEvent.Type.LEAVE).exists():
            report.count("离岗事件", False)
        elif employee.status == Employee.Status.ACTIVE:
            services.event_record(
                employee=employee,
                type=EmploymentEvent.Type.LEAVE,
                date=today - dt.timedelta(days=45),
                note=reason,
                actor=None,
                source=EmploymentEvent.Source.SYSTEM,
            )
            report.count("离岗事件", True)


def seed_users(report: SeedReport) -> dict[str, dict[str, object]]:
    """Create one login per role (see DEMO_USERS) with the demo password and
    their roles; privileged logins get TOTP and recovery codes. Existing
    accounts keep their password and authenticators. Returns, per enterprise
    code, {employee_no: user} for the accounts that belong to an employee."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt


    enterprises = {e.code: e for e in Enterprise.objects.filter(code__in=[s.code for s in DEMO_ENTERPRISES])}
    names = _employee_names()
    linked: dict[str, dict[str, object]] = {}
    for spec in DEMO_USERS:
        user = User.objects.filter(email=spec.email).first()
        if user is None:
            full_name = spec.full_name or names.get(spec.employee_no, spec.email.split("@")[0])
            extra = {"full_name": full_name, "phone": spec.phone or None}
            if spec.role == "superuser":
                user = User.objects.create_superuser(spec.email, spec.email, DEMO_PASSWORD, **extra)
            else:
                user = User.objects.create_user(spec.email, spec.email, DEMO_PASSWORD, **extra)
            report.count("用户", True)
        else:
            report.count("用户", False)
        if spec.role == "regulator":
            RegulatorMembership.objects.get_or_create(
                user=user, region_code=spec.region_code, defaults={"authority": spec.authority}
            )
        elif spec.enterprise:
            Membership.objects.get_or_create(user=user, enterprise=enterprises[spec.enterprise], role=spec.role)
            if spec.role != "employee" and spec.employee_no:
                # A principal, safety manager or mentor is also an employee.
                Membership.objects.get_or_create(user=user, enterprise=enterprises[spec.enterprise], role="employee")
        if spec.employee_no:
            linked.setdefault(spec.enterprise, {})[spec.employee_no] = user

        entry = {"email": spec.email, "phone": spec.phone, "role": spec.role, "spec": spec, "user": user}
        if spec.privileged:
            totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if totp is None:
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
            else:
                secret = decrypt(totp.data["secret"])
            entry["totp_secret"] = secret
            entry["recovery_codes"] = RecoveryCodes.activate(user).get_unused_codes()
        report.credentials.append(entry)
    return linked


def _employee_names() -> dict[str, str]:
    """Names of the employees behind demo logins (deterministic)."""
    today = timezone.localdate()
    wanted = {u.employee_no for u in DEMO_USERS if u.employee_no}
    names = {}
    for spec in DEMO_ENTERPRISES:
        for person in build_people(spec, today):
            if person.employee_no in wanted:
                names[person.employee_no] = person.name
    return names


# --- seed step and summary -----------------------------------------------------------

ROLE_LABELS = {
    "superuser": "平台管理员（超级用户）",
    "hr": "人力资源",
    "enterprise_admin": "企业管理员",
    "principal": "主要负责人",
    "safety_manager": "安全管理人员",
    "trainer": "培训师",
    "mentor": "师傅",
    "employee": "从业人员",
    "regulator": "监管部门",
}


def format_summary(report: SeedReport) -> str:
    """The workforce's section of the summary seed_demo prints: each
    enterprise's totals, the logins, MFA secrets and recovery codes, the
    refused placements and the URLs."""
    enterprise_names = {s.code: s.name for s in DEMO_ENTERPRISES}
    out = []
    totals = [["企业", "员工", "在岗", "离岗", "组织单位", "岗位", "当前岗位分配"]]
    for ent in demo_enterprises():
        employees = Employee.objects.filter(enterprise=ent)
        totals.append(
            [
                f"{ent.name}（{ent.code}，{ent.get_risk_class_display()}）",
                str(employees.count()),
                str(employees.filter(status=Employee.Status.ACTIVE).count()),
                str(employees.filter(status=Employee.Status.ON_LEAVE).count()),
                str(OrgUnit.objects.filter(enterprise=ent).count()),
                str(Post.objects.filter(enterprise=ent).count()),
                str(PostAssignment.objects.filter(employee__enterprise=ent, end_date__isnull=True).count()),
            ]
        )
    out += [seeding.table(totals), ""]

    logins = [["角色", "登录邮箱", "手机号登录", "所属", "双因素认证"]]
    for entry in report.credentials:
        spec = entry["spec"]
        scope = enterprise_names.get(spec.enterprise, "") or (
            f"{spec.authority}（{spec.region_code}）" if spec.region_code else "全平台"
        )
        logins.append(
            [
                ROLE_LABELS.get(spec.role, spec.role),
                spec.email,
                spec.phone[3:] if spec.phone else "-",
                scope,
                "必须（TOTP）" if spec.privileged else "-",
            ]
        )
    out += [f"演示账号（密码均为 {DEMO_PASSWORD}）：", seeding.table(logins), ""]

    out.append(
        "需要双因素认证的账号：把 TOTP 密钥加入身份验证器应用，或在登录时使用任一恢复码（每个恢复码只能用一次）。"
    )
    for entry in report.credentials:
        if "totp_secret" not in entry:
            continue
        out.append(f"  {entry['email']}")
        out.append(f"    TOTP 密钥：{entry['totp_secret']}")
        out.append(f"    恢复码：{' '.join(entry['recovery_codes'])}")
    out.append("")
    if report.refused:
        out.append(f"未能上岗（岗位准入未通过，{len(report.refused)} 人）：")
        out += [f"  {line}" for line in report.refused[:20]]
        out.append("")
    out += [f"登录地址：{LOGIN_URL}", f"管理后台：{ADMIN_URL}", ""]
    return "\n".join(out)


@seeding.register("workforce", summary=format_summary)
def seed(run: seeding.SeedRun) -> None:
    """The enterprises (org trees, posts) and one login per role; with the
    "people" part, their workforce too. Without it: what the deploy smoke
    test logs in with, in seconds instead of minutes."""
    enterprises = [seed_enterprise(spec, run.report) for spec in DEMO_ENTERPRISES]
    linked = seed_users(run.report)
    if "people" not in run.parts:
        return
    for spec, enterprise in zip(DEMO_ENTERPRISES, enterprises):
        seed_people(spec, enterprise, linked.get(spec.code, {}), run.report)


def demo_enterprises() -> list[Enterprise]:
    """The demo enterprises that exist, in DEMO_ENTERPRISES order."""
    found = {e.code: e for e in Enterprise.objects.filter(code__in=[s.code for s in DEMO_ENTERPRISES])}
    return [found[s.code] for s in DEMO_ENTERPRISES if s.code in found]
