"""A region to sample: the regulator of 320500 (苏州) sees A (320505) and the
five enterprises built here in 3205xx; B (330106, 杭州) lies outside.
Each enterprise has active people, one of them on a red (重大风险) post, and one
person who has left (never drawn)."""

import datetime as dt

import pytest

from lms.workforce.models import Employee, HazardLevel, Industry
from tests.factories import EmployeeFactory, EnterpriseFactory, PostAssignmentFactory, PostFactory


def _people(enterprise, n, *, prefix):
    people = [EmployeeFactory(enterprise=enterprise, name=f"{prefix}员工{i}") for i in range(n)]
    red = PostFactory(enterprise=enterprise, name="反应釜操作", hazard_level=HazardLevel.RED)
    PostAssignmentFactory(employee=people[0], post=red, start_date=dt.date(2024, 3, 1))
    EmployeeFactory(enterprise=enterprise, name=f"{prefix}离岗", status=Employee.Status.ON_LEAVE)
    return people


@pytest.fixture
def region(ent_a, ent_b):
    """{enterprise: [active people]} for the six enterprises of 3205xx, and B's."""
    ents = {ent_a: _people(ent_a, 8, prefix="A")}
    specs = [
        ("320505", Industry.HAZARDOUS_CHEMICALS),
        ("320506", Industry.MANUFACTURING),
        ("320507", Industry.MANUFACTURING),
        ("320508", Industry.CONSTRUCTION),
        ("320583", Industry.HAZARDOUS_CHEMICALS),
    ]
    for i, (code, industry) in enumerate(specs):
        ent = EnterpriseFactory(region_code=code, industry=industry, name=f"苏州企业{i}",
                                risk_class="high_risk" if industry == Industry.HAZARDOUS_CHEMICALS
                                else "construction" if industry == Industry.CONSTRUCTION else "general")
        ents[ent] = _people(ent, 6, prefix=f"S{i}")
    ents[ent_b] = _people(ent_b, 6, prefix="B")
    return ents
