"""People for the 师带徒 tests, relative to today (the services refuse
future dates): a red-level reactor post with two months of apprenticeship,
老周 the mentor (on it since 2018), 小刘 the apprentice (hired 80 days ago,
inducted, owes only the apprenticeship), 王主任 the head of 一车间."""

import datetime as dt

import pytest
from django.utils import timezone

from courses.apprenticeship.models import WorkshopHead
from lms.accounts.roles import Role
from lms.workforce import services as wf
from lms.workforce.models import HazardLevel
from tests.compliance.helpers import hire, induct, train
from tests.factories import EmployeeFactory, MembershipFactory, PostFactory, UserFactory

D = dt.date


def today():
    return timezone.localdate()


def person(enterprise, team, employee_no, name, hired, *, role=Role.EMPLOYEE, email=None):
    user = UserFactory(email=email or f"{employee_no.lower()}@example.com", full_name=name)
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    return EmployeeFactory(enterprise=enterprise, employee_no=employee_no, name=name, org_unit=team, hire_date=hired, user=user)


def veteran(enterprise, team, post, employee_no, name, hired, placed, *, with_user=True):
    """Inducted, signed off long ago and on ``post`` since ``placed``."""
    if with_user:
        employee = person(enterprise, team, employee_no, name, hired, role=Role.MENTOR)
    else:
        employee = EmployeeFactory(enterprise=enterprise, employee_no=employee_no, name=name, org_unit=team, hire_date=hired)
    hire(employee, post)
    induct(employee, post, hired, 24)
    train(employee, "apprenticeship", 0, placed, post=post)
    wf.assignment_create(employee=employee, post=post, start_date=placed, actor=None)
    return employee


def newcomer(enterprise, team, post, employee_no, name, hired):
    employee = person(enterprise, team, employee_no, name, hired)
    hire(employee, post)
    induct(employee, post, hired + dt.timedelta(days=1), 24)
    return employee


@pytest.fixture
def reactor(ent_a, tree_a):
    return PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-REACT", name="反应釜操作工", apprenticeship_months=2,
                       hazard_level=HazardLevel.RED, hazards="火灾、爆炸、中毒和窒息")


@pytest.fixture
def master(ent_a, tree_a, reactor):
    return veteran(ent_a, tree_a[2], reactor, "M001", "周师傅", D(2018, 1, 8), D(2018, 3, 12))


@pytest.fixture
def hired_on():
    return today() - dt.timedelta(days=80)


@pytest.fixture
def apprentice(ent_a, tree_a, reactor, hired_on):
    return newcomer(ent_a, tree_a[2], reactor, "A0200", "刘小军", hired_on)


@pytest.fixture
def head(ent_a, tree_a):
    employee = person(ent_a, tree_a[1], "H001", "王主任", D(2012, 5, 2), role=Role.SAFETY_MANAGER)
    WorkshopHead.objects.create(org_unit=tree_a[1], employee=employee, since=D(2020, 1, 1))
    return employee


@pytest.fixture
def started(alice, master, apprentice, reactor, hired_on):
    from courses.apprenticeship.services import apprenticeship_start

    return apprenticeship_start(apprentice=apprentice, mentor=master, post=reactor, start_date=hired_on + dt.timedelta(days=3),
                                plan="开停车操作规程；紧急泄压；防毒面具使用", actor=alice)
