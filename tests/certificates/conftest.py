"""Shared fixtures of the certificate tests: a welder's special-operation post
and a welder inducted for it."""

import datetime as dt

import pytest

from lms.workforce.models import SpecialOperation
from tests.compliance.helpers import hire, induct
from tests.factories import EmployeeFactory, PostFactory, UserFactory


@pytest.fixture
def welder_post(ent_a, tree_a):
    return PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-WELD", name="焊工",
                       special_operation=SpecialOperation.WELDING)


def inducted_welder(enterprise, post, hired):
    """焊工老王, hired on ``hired`` onto ``post`` and inducted the next day."""
    user = UserFactory(email="wang@example.com")
    employee = EmployeeFactory(enterprise=enterprise, user=user, name="焊工老王", employee_no="W001", hire_date=hired)
    hire(employee, post)
    induct(employee, post, hired + dt.timedelta(days=1), 24)
    return employee
