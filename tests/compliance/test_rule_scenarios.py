"""Scenario tests for the rules of RULES.md that had none: who is trained,
the hour tables per industry, the length of a 学时, the special-operation
categories, the authority-exam defaults and what an archive record holds.
Each carries the rule it proves (tests/rules/catalogue.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses.models import credit_hour_seconds
from courses.offline.models import hours_for
from lms.archive.models import TrainingRecord
from lms.archive.services import record_append
from lms.compliance.selectors import clearance
from lms.compliance.services import cycle_obligations
from lms.compliance.rules import RuleBook
from lms.workforce.models import EmploymentType, Industry, SpecialOperation
from tests.factories import EmployeeFactory, EnterpriseFactory, PostFactory

from .helpers import D, at, hire, induct

pytestmark = pytest.mark.django_db


def codes(result):
    return sorted(r.code for r in result.reasons)


@pytest.mark.rule("who.dispatched", "who.interns", "who.contractors", "who.everyone")
@pytest.mark.parametrize("kind", [EmploymentType.DISPATCHED, EmploymentType.INTERN, EmploymentType.CONTRACTOR])
def test_dispatched_interns_and_contractors_owe_the_three_levels_like_own_staff(ent_b, tree_b, kind):
    """令3 §4, 法 §28: the host trains dispatched workers and interns like its
    own staff; contractors' staff are inducted before they work on site."""
    post = tree_b[3]
    own = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2))
    other = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 3, 2), employment_type=kind)
    for person in (own, other):
        hire(person, post)
    assert codes(clearance(other, post, D(2026, 3, 3))) == codes(clearance(own, post, D(2026, 3, 3))) == (
        ["INDUCTION_LEVEL_MISSING"] * 3
    )
    induct(other, post, D(2026, 3, 3), 8)
    assert clearance(other, post, D(2026, 3, 4)).cleared


def _owed(enterprise, post, *, principal=False):
    """(initial hours per kind, this year's refresher hours) for a person hired in 2025."""
    person = EmployeeFactory(enterprise=enterprise, hire_date=D(2025, 3, 3), is_principal=principal)
    hire(person, post)
    initial = {(o.kind, o.level): o.min_hours for o in person.obligations.all()}
    cycles = cycle_obligations([person], 2026, 1, RuleBook.load())
    annual = {o.kind: o.min_hours for o in cycles if o.kind != "warning"}
    return initial, annual


@pytest.mark.rule("hours.principal_general")
def test_principals_of_a_general_enterprise_owe_32_hours_then_12_a_year(ent_b, tree_b):
    initial, annual = _owed(ent_b, tree_b[3], principal=True)
    assert initial[("principal_initial", "")] == Decimal("32")
    assert annual["principal_annual"] == Decimal("12")


@pytest.mark.rule("hours.principal_high_risk")
def test_principals_of_a_high_risk_enterprise_owe_48_hours_then_16_a_year(ent_a, tree_a):
    initial, annual = _owed(ent_a, tree_a[3], principal=True)
    assert initial[("principal_initial", "")] == Decimal("48")
    assert annual["principal_annual"] == Decimal("16")


@pytest.mark.rule("hours.new_construction", "hours.new_general", "hours.new_high_risk")
@pytest.mark.parametrize("industry,initial_total,annual", [
    (Industry.CONSTRUCTION, Decimal("32"), Decimal("20")),
    (Industry.MANUFACTURING, Decimal("24"), Decimal("8")),
    (Industry.HAZARDOUS_CHEMICALS, Decimal("72"), Decimal("20")),
])
def test_new_employees_owe_the_hours_of_their_industry(industry, initial_total, annual):
    from tests.factories import OrgUnitFactory
    from lms.workforce.models import OrgUnit

    enterprise = EnterpriseFactory(industry=industry)
    company = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.COMPANY, code="C", name="公司")
    workshop = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.WORKSHOP, parent=company, code="W", name="车间")
    team = OrgUnitFactory(enterprise=enterprise, kind=OrgUnit.Kind.TEAM, parent=workshop, code="T", name="班组")
    post = PostFactory(enterprise=enterprise, org_unit=team)
    initial, cycles = _owed(enterprise, post)
    assert sum(h for (kind, _level), h in initial.items() if kind == "induction") == initial_total
    assert cycles["refresher"] == annual


@pytest.mark.rule("hours.length")
@pytest.mark.parametrize("minutes,span,hours", [(45, 90, "2.0"), (60, 90, "1.5"), (45, 44, "0.9")])
def test_the_length_of_a_class_hour_is_one_setting_for_online_and_offline(settings, minutes, span, hours):
    settings.ANXUN_MINUTES_PER_CREDIT_HOUR = minutes
    start = at(D(2026, 3, 2), 9)
    assert hours_for(start, start + dt.timedelta(minutes=span)) == Decimal(hours)
    assert credit_hour_seconds() == minutes * settings.ANXUN_STUDY_MINUTE_SECONDS


@pytest.mark.rule("cert.special_op_categories")
def test_the_special_operation_categories_are_the_annex_of_order_30():
    assert [label for value, label in SpecialOperation.choices if value] == [
        "电工作业", "焊接与热切割作业", "高处作业", "制冷与空调作业", "煤矿安全作业", "金属非金属矿山安全作业",
        "石油天然气安全作业", "冶金（有色）生产安全作业", "危险化学品安全作业", "烟花爆竹安全作业", "其他特种作业",
    ]


@pytest.mark.rule("archive.contents")
@pytest.mark.parametrize("missing", ["title", "content", "place", "trainer", "hours", "start_at", "end_at"])
def test_a_record_without_time_place_content_trainer_or_hours_is_refused(ent_b, missing):
    person = EmployeeFactory(enterprise=ent_b)
    values = dict(kind="refresher", title="年度再培训", content="安全规程", place="培训教室", trainer="王老师",
                  hours=Decimal("8"), start_at=at(D(2026, 3, 2), 8), end_at=at(D(2026, 3, 2), 17),
                  assessment_method="笔试", assessment_result="passed", source="offline")
    values[missing] = None if missing in ("hours", "start_at", "end_at") else ""
    with pytest.raises(ValidationError) as exc:
        record_append(employee=person, actor=None, **values)
    assert missing in exc.value.message_dict
    assert not TrainingRecord.objects.exists()


@pytest.mark.rule("hours.new_construction")
def test_an_enterprise_saved_without_its_risk_class_takes_its_industrys():
    from lms.workforce.models import Enterprise, RiskClass

    enterprise = EnterpriseFactory(industry=Industry.CONSTRUCTION, risk_class="")
    assert Enterprise.objects.get(pk=enterprise.pk).risk_class == RiskClass.CONSTRUCTION
