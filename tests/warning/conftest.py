"""People and cases for the warning-education tests (today's quarter):

- 华兴化工 (``ent_a``): 一车间 甲班 with the 电工 post (触电、高处坠落) — bob,
  小王 and 小李 on it; 乙班 with the 罐区巡检 post (中毒窒息) — 老赵;
- the case library: a 触电 case, a 中毒 case and a 车辆伤害 case;
- ``charlie``: HR of the other enterprise (the outsider).
The daily scan (run by ``scanned``) makes the quarter's campaign and each
person's warning obligation."""

import datetime as dt

import pytest
from django.utils import timezone

from content.models import AccidentType, HomePage
from lms.accounts.roles import Role
from lms.compliance.scan import scan_obligations
from lms.workforce.models import OrgUnit
from tests.content.pages import add_case, add_case_library
from tests.factories import EmployeeFactory, MembershipFactory, OrgUnitFactory, PostAssignmentFactory, PostFactory, UserFactory


def worker(enterprise, unit, post, employee_no, name):
    user = UserFactory(email=f"{employee_no.lower()}@example.com", full_name=name)
    MembershipFactory(user=user, enterprise=enterprise, role=Role.EMPLOYEE)
    user.employee = EmployeeFactory(enterprise=enterprise, employee_no=employee_no, name=name, org_unit=unit,
                                    hire_date=dt.date(2024, 3, 1), user=user)
    if post is not None:
        PostAssignmentFactory(employee=user.employee, post=post, start_date=dt.date(2024, 3, 1))
    return user


@pytest.fixture
def site(ent_a, tree_a, bob):
    _company, workshop, team, _post = tree_a
    team2 = OrgUnitFactory(enterprise=ent_a, kind=OrgUnit.Kind.TEAM, parent=workshop, code="A-T2", name="乙班")
    electric = PostFactory(enterprise=ent_a, org_unit=team, code="A-DG", name="电工", hazards="触电、高处坠落")
    tank = PostFactory(enterprise=ent_a, org_unit=team2, code="A-XJ", name="罐区巡检工", hazards="火灾、中毒窒息")
    PostAssignmentFactory(employee=bob.employee, post=electric, start_date=dt.date(2024, 3, 1))
    bob.employee.hire_date = dt.date(2024, 3, 1)
    bob.employee.save()
    people = {
        "bob": bob,
        "wang": worker(ent_a, team, electric, "A0002", "小王"),
        "li": worker(ent_a, team, electric, "A0003", "小李"),
        "zhao": worker(ent_a, team2, tank, "A0004", "老赵"),
    }
    library = add_case_library(HomePage.objects.get())
    cases = {
        "electric": add_case(library, "配电柜带电作业触电", accident_type=AccidentType.ELECTROCUTION, hazards="触电",
                             industry="manufacturing", accident_date=dt.date(2024, 3, 22), slug="c-electric"),
        "gas": add_case(library, "污水池硫化氢中毒", accident_type=AccidentType.POISONING_ASPHYXIATION,
                        hazards="中毒窒息、有限空间", industry="hazardous_chemicals", accident_date=dt.date(2023, 6, 14),
                        slug="c-gas"),
        "forklift": add_case(library, "叉车倒车撞人", accident_type=AccidentType.VEHICLE, hazards="车辆伤害",
                             industry="manufacturing", accident_date=dt.date(2024, 9, 5), slug="c-forklift"),
    }
    return {"ent": ent_a, "team": team, "team2": team2, "electric": electric, "tank": tank, "people": people,
            "library": library, "cases": cases}


@pytest.fixture
def scanned(site, ent_b):
    """The daily scan of today: the quarter's campaigns and warning obligations."""
    result = scan_obligations(today=timezone.localdate())
    from courses.warning.models import WarningCampaign

    site["scan"] = result
    site["campaign"] = WarningCampaign.objects.get(enterprise=site["ent"])
    return site
