"""Events are facts; assignments go through one door."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from lms.workforce import services
from lms.workforce.models import Employee, EmploymentEvent, PostAssignment
from tests.factories import EmployeeFactory, PostFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def worker(ent_a, tree_a):
    """Hired and through three-level induction for the fixture post, so the
    clearance gate lets them onto it."""
    from tests.compliance.helpers import induct

    emp = EmployeeFactory(enterprise=ent_a, hire_date=D(2024, 3, 1), org_unit=tree_a[2])
    services.event_record(employee=emp, type="hire", date=emp.hire_date, post=tree_a[3], actor=None)
    induct(emp, tree_a[3], D(2024, 3, 1), 24)
    return emp


def test_employee_create_records_the_hire_event(alice, ent_a, tree_a):
    emp = EmployeeFactory.build(enterprise=ent_a, hire_date=D(2025, 1, 6))
    emp = services.employee_create(employee=emp, actor=alice, post=tree_a[3])
    event = emp.events.get()
    # …and the hire creates the three levels of induction owed before the post.
    assert sorted(emp.obligations.values_list("level", flat=True)) == ["company", "team", "workshop"]
    assert (event.type, event.date, event.post, event.recorded_by) == ("hire", D(2025, 1, 6), tree_a[3], alice)
    assert ModelLogEntry.objects.filter(object_id=str(emp.pk), action="wagtail.create").exists()


def test_employee_create_refuses_bad_id_number(alice, ent_a):
    emp = EmployeeFactory.build(enterprise=ent_a, id_number="110105194912310021")
    with pytest.raises(ValidationError) as exc:
        services.employee_create(employee=emp, actor=alice)
    assert "校验位" in str(exc.value)
    assert not Employee.objects.exists()


def test_outsider_cannot_create_or_change(charlie, ent_a, worker):
    with pytest.raises(PermissionDenied):
        services.employee_create(employee=EmployeeFactory.build(enterprise=ent_a), actor=charlie)
    with pytest.raises(PermissionDenied):
        services.employee_update(employee=worker, data={"name": "改名"}, actor=charlie)
    with pytest.raises(PermissionDenied):
        services.event_record(employee=worker, type="violation", date=D(2025, 1, 1), actor=charlie)
    worker.refresh_from_db()
    assert worker.name != "改名"
    assert not worker.events.exclude(type="hire").exists()


def test_employee_update_only_touches_editable_fields(alice, worker):
    with pytest.raises(ValidationError) as exc:
        services.employee_update(employee=worker, data={"employee_no": "X1", "status": "on_leave"}, actor=alice)
    assert set(exc.value.message_dict) == {"employee_no", "status"}
    updated = services.employee_update(employee=worker, data={"name": "新名字", "is_safety_manager": True}, actor=alice)
    assert (updated.name, updated.is_safety_manager) == ("新名字", True)


def test_leave_ends_assignments_and_return_needs_a_new_assignment(alice, worker, tree_a):
    post = tree_a[3]
    services.assignment_create(employee=worker, post=post, start_date=D(2024, 3, 1), actor=alice)
    services.event_record(employee=worker, type="leave", date=D(2025, 6, 1), actor=alice, note="长期病假")
    worker.refresh_from_db()
    assert worker.status == Employee.Status.ON_LEAVE
    assignment = PostAssignment.objects.get(employee=worker)
    assert assignment.end_date == D(2025, 5, 31)

    # Nobody is put on a post while on leave.
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(employee=worker, post=post, start_date=D(2025, 7, 1), actor=alice)
    assert "离岗" in str(exc.value)

    services.event_record(employee=worker, type="return", date=D(2026, 1, 5), actor=alice)
    worker.refresh_from_db()
    assert worker.status == Employee.Status.ACTIVE
    assert not worker.current_assignments(D(2026, 1, 5)).exists()


def test_transfer_requires_a_post_and_ends_other_posts(alice, worker, tree_a, ent_a):
    old = tree_a[3]
    new = PostFactory(enterprise=ent_a, org_unit=tree_a[2], code="A-NEW")
    services.assignment_create(employee=worker, post=old, start_date=D(2024, 3, 1), actor=alice)
    with pytest.raises(ValidationError) as exc:
        services.event_record(employee=worker, type="transfer", date=D(2025, 2, 1), actor=alice)
    assert "post" in exc.value.message_dict
    services.event_record(employee=worker, type="transfer", date=D(2025, 2, 1), post=new, actor=alice)
    assert PostAssignment.objects.get(post=old).end_date == D(2025, 1, 31)


def test_events_cannot_be_edited_or_deleted(alice, worker):
    event = services.event_record(employee=worker, type="violation", date=D(2025, 1, 1), actor=alice)
    event.note = "偷偷改掉"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert EmploymentEvent.objects.get(pk=event.pk).note == ""


def test_event_rules(alice, worker, tree_b):
    with pytest.raises(ValidationError) as exc:
        services.event_record(employee=worker, type="return", date=D(2025, 1, 1), actor=alice)
    assert "type" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.event_record(employee=worker, type="violation", date=D(2020, 1, 1), actor=alice)
    assert "date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.event_record(employee=worker, type="transfer", date=D(2025, 1, 1), post=tree_b[3], actor=alice)
    assert "post" in exc.value.message_dict


def test_assignment_rules(alice, worker, tree_a, tree_b, ent_a):
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(employee=worker, post=tree_b[3], start_date=D(2024, 4, 1), actor=alice)
    assert "post" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(employee=worker, post=tree_a[3], start_date=D(2023, 1, 1), actor=alice)
    assert "start_date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(employee=worker, post=tree_a[3], start_date=D(2024, 4, 1), actor=alice, kind="apprentice")
    assert "mentor" in exc.value.message_dict

    # Cleared for the post: an apprentice placement is not what is needed.
    mentor = EmployeeFactory(enterprise=ent_a)
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(
            employee=worker, post=tree_a[3], start_date=D(2024, 4, 1), actor=alice, kind="apprentice", mentor=mentor
        )
    assert "kind" in exc.value.message_dict
    services.assignment_create(employee=worker, post=tree_a[3], start_date=D(2024, 4, 1), actor=alice)
    # Twice on the same post: refused, not a database error.
    with pytest.raises(ValidationError):
        services.assignment_create(employee=worker, post=tree_a[3], start_date=D(2024, 5, 1), actor=alice)


def test_assignment_end_is_accepted_once(alice, worker, tree_a):
    a = services.assignment_create(employee=worker, post=tree_a[3], start_date=D(2024, 4, 1), actor=alice)
    with pytest.raises(ValidationError):
        services.assignment_end(assignment=a, end_date=D(2024, 3, 1), actor=alice)
    assert PostAssignment.objects.get(pk=a.pk).end_date is None
    services.assignment_end(assignment=a, end_date=D(2024, 6, 1), actor=alice)
    with pytest.raises(ValidationError):
        services.assignment_end(assignment=a, end_date=D(2024, 7, 1), actor=alice)
    assert PostAssignment.objects.get(pk=a.pk).end_date == D(2024, 6, 1)


def test_org_tree_levels_are_enforced(alice, ent_a, tree_a):
    from lms.workforce.models import OrgUnit

    company, workshop, team, _post = tree_a
    bad = OrgUnit(enterprise=ent_a, kind=OrgUnit.Kind.TEAM, parent=company, code="A-BAD", name="错层班组")
    with pytest.raises(ValidationError) as exc:
        services.orgunit_save(unit=bad, actor=alice)
    assert "parent" in exc.value.message_dict
    orphan = OrgUnit(enterprise=ent_a, kind=OrgUnit.Kind.WORKSHOP, code="A-ORPH", name="无上级车间")
    with pytest.raises(ValidationError):
        services.orgunit_save(unit=orphan, actor=alice)
    dup = OrgUnit(enterprise=ent_a, kind=OrgUnit.Kind.TEAM, parent=workshop, code=team.code, name="重复编码")
    with pytest.raises(ValidationError):
        services.orgunit_save(unit=dup, actor=alice)
