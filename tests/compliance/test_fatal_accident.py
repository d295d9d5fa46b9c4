"""Issue 18 item 7: a fatal accident in the enterprise (办法 §22) — its
principal and safety managers retrain (docs/decisions/011)."""

import pytest

from lms.compliance.models import Obligation, ObligationKind
from lms.compliance.clearance import Code
from lms.compliance.selectors import clearance
from lms.workforce.models import EmploymentEvent
from tests.factories import EmployeeFactory

from .helpers import D, event, hire, induct, train

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(tree_b):
    return tree_b[3]


def _person(ent_b, post, **flags):
    emp = EmployeeFactory(enterprise=ent_b, hire_date=D(2025, 1, 6), **flags)
    hire(emp, post)
    induct(emp, post, D(2025, 1, 7), 8)
    if flags:
        train(emp, "principal", 32, D(2025, 1, 10))  # 令3 §9 initial training
    return emp


@pytest.mark.rule("retrain.fatal_accident")
def test_fatal_accident_makes_principal_and_safety_managers_retrain(ent_b, post):
    boss = _person(ent_b, post, is_principal=True)
    manager = _person(ent_b, post, is_safety_manager=True)
    worker = _person(ent_b, post)
    recorded = event(worker, "fatal_accident", D(2026, 3, 1))
    assert recorded.get_type_display() == "发生生产安全死亡事故"

    owed = Obligation.objects.filter(kind=ObligationKind.FATAL_ACCIDENT_RETRAINING)
    assert sorted(o.employee_id for o in owed) == sorted([boss.pk, manager.pk])
    for o in owed:
        assert o.min_hours == 12  # the principals' annual hours (general industry, 令3 §9)
        assert o.rule.source == "办法 §22" and o.event == recorded and not o.blocks_post
        assert o.start_date == D(2026, 3, 1)
    # The same accident recorded on another file owes nothing more.
    event(boss, "fatal_accident", D(2026, 3, 1))
    assert owed.count() == 2

    # Not a bar to the post while due; a reason once overdue, until trained.
    assert clearance(boss, post, D(2026, 3, 2)).cleared
    result = clearance(boss, post, D(2026, 6, 1))
    assert result.codes == [Code.FATAL_ACCIDENT_RETRAINING_OVERDUE]
    assert "死亡事故" in result.reasons[0].message
    train(boss, "principal", 12, D(2026, 6, 2))
    assert Obligation.objects.get(employee=boss, kind=ObligationKind.FATAL_ACCIDENT_RETRAINING).status == "met"
    assert clearance(boss, post, D(2026, 6, 3)).cleared


@pytest.mark.rule("retrain.fatal_accident")
def test_fatal_accident_before_hire_is_not_owed(ent_b, post):
    boss = EmployeeFactory(enterprise=ent_b, hire_date=D(2026, 4, 1), is_principal=True)
    worker = _person(ent_b, post)
    event(worker, "fatal_accident", D(2026, 3, 1))
    assert not Obligation.objects.filter(employee=boss, kind=ObligationKind.FATAL_ACCIDENT_RETRAINING).exists()
    assert EmploymentEvent.Type.FATAL_ACCIDENT in EmploymentEvent.Type.values
