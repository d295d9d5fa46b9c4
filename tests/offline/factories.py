"""Builders for offline-session tests: trainers, hired workers who owe
induction, sessions on a fixed day, and times on that day (Asia/Shanghai)."""

import datetime as dt

from django.utils import timezone

from courses.offline import services
from lms.accounts.roles import Role
from lms.workforce import services as workforce
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory

DAY = dt.date(2026, 11, 10)
HIRED = dt.date(2026, 11, 2)


def at(hour: int, minute: int = 0, second: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute, second))


def make_user(enterprise, role, email, name):
    user = UserFactory(email=email, full_name=name)
    MembershipFactory(user=user, enterprise=enterprise, role=role)
    return user


def make_trainer(enterprise, email="tom@example.com", name="汤姆"):
    return make_user(enterprise, Role.TRAINER, email, name)


def make_worker(enterprise, unit, name, no, *, post=None, hired=HIRED, with_user=True):
    """An employee of ``enterprise`` hired on ``hired`` (so they owe the
    three-level induction), with a login unless ``with_user`` is false."""
    user = make_user(enterprise, Role.EMPLOYEE, f"{no.lower()}@example.com", name) if with_user else None
    employee = EmployeeFactory(enterprise=enterprise, user=user, name=name, employee_no=no, org_unit=unit, hire_date=hired)
    workforce.event_record(employee=employee, type="hire", date=hired, post=post, actor=None)
    return employee


def make_session(enterprise, trainer, **fields):
    values = {
        "title": "厂级安全教育（11 月新员工）",
        "content": "本企业安全生产情况、规章制度和劳动纪律、从业人员权利义务、事故案例",
        "kind": "induction",
        "level": "company",
        "start_at": at(8, 30),
        "end_at": at(14, 30),
        "place": "二号楼培训教室",
        "trainer": trainer,
        "capacity": 10,
    }
    values.update(fields)
    return services.session_create(enterprise=enterprise, actor=None, **values)
