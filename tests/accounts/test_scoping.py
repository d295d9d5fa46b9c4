"""The one scoping function: who sees which rows."""

import pytest

from lms.accounts.api_auth import TokenUser
from lms.accounts.models import region_prefix
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import can, scope
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment
from tests.factories import EmployeeFactory, MembershipFactory, UserFactory, make_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(ent_a, ent_b, tree_a, tree_b):
    a = EmployeeFactory.create_batch(3, enterprise=ent_a)
    b = EmployeeFactory.create_batch(2, enterprise=ent_b)
    return a, b


@pytest.mark.parametrize("code,prefix", [("320000", "32"), ("320500", "3205"), ("320505", "320505"), ("110000", "11")])
def test_region_prefix_follows_gb2260_nesting(code, prefix):
    assert region_prefix(code) == prefix


def test_hr_sees_only_own_enterprise(alice, people, ent_a):
    visible = scope(Employee.objects.all(), alice)
    assert set(visible.values_list("enterprise_id", flat=True)) == {ent_a.id}
    assert visible.count() == 3
    assert list(scope(Enterprise.objects.all(), alice)) == [ent_a]
    assert set(scope(OrgUnit.objects.all(), alice).values_list("enterprise_id", flat=True)) == {ent_a.id}
    assert set(scope(Post.objects.all(), alice).values_list("enterprise_id", flat=True)) == {ent_a.id}


def test_outsider_sees_nothing_of_the_other_enterprise(charlie, people, ent_a):
    assert not scope(Employee.objects.filter(enterprise=ent_a), charlie).exists()
    assert not scope(Employee.objects.filter(enterprise=ent_a), charlie, Capability.CHANGE).exists()
    assert not can(charlie, Capability.CHANGE, ent_a.id)


def test_employee_sees_only_self(bob, people, ent_a):
    assert list(scope(Employee.objects.all(), bob)) == [bob.employee]
    assert not scope(Employee.objects.all(), bob, Capability.CHANGE).exists()
    assert not scope(Enterprise.objects.all(), bob).exists()


def test_trainer_reads_but_cannot_change(ent_a, people):
    trainer = UserFactory()
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    assert scope(Employee.objects.all(), trainer).count() == 3
    assert not scope(Employee.objects.all(), trainer, Capability.CHANGE).exists()


def test_regulator_reads_region_only_and_never_changes(regulator, people, ent_a, ent_b):
    # ent_a is in 320505 (inside 320500), ent_b in 330106 (another province).
    assert set(scope(Employee.objects.all(), regulator).values_list("enterprise_id", flat=True)) == {ent_a.id}
    assert list(scope(Enterprise.objects.all(), regulator)) == [ent_a]
    for capability in (Capability.CHANGE, Capability.ADMINISTER):
        assert not scope(Employee.objects.all(), regulator, capability).exists()
        assert not scope(Enterprise.objects.all(), regulator, capability).exists()


def test_scoping_follows_paths_through_employee(alice, charlie, ent_a, tree_a):
    from lms.workforce import services

    from tests.compliance.helpers import induct

    emp = EmployeeFactory(enterprise=ent_a)
    services.event_record(employee=emp, type=EmploymentEvent.Type.HIRE, date=emp.hire_date, post=tree_a[3], actor=alice)
    induct(emp, tree_a[3], emp.hire_date, 24)
    services.assignment_create(employee=emp, post=tree_a[3], start_date=emp.hire_date, actor=alice)
    assert scope(EmploymentEvent.objects.all(), alice).count() == 1
    assert scope(PostAssignment.objects.all(), alice).count() == 1
    assert not scope(EmploymentEvent.objects.all(), charlie).exists()
    assert not scope(PostAssignment.objects.all(), charlie).exists()


def test_api_token_is_bound_to_its_enterprise(ent_a, ent_b, people):
    token, _key = make_api_token(ent_b, can_write=False)
    principal = TokenUser(token)
    assert set(scope(Employee.objects.all(), principal).values_list("enterprise_id", flat=True)) == {ent_b.id}
    assert not scope(Employee.objects.all(), principal, Capability.CHANGE).exists()
    writer = TokenUser(make_api_token(ent_b, can_write=True)[0])
    assert scope(Employee.objects.all(), writer, Capability.CHANGE).count() == 2


def test_anonymous_sees_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    assert not scope(Employee.objects.all(), AnonymousUser()).exists()


def test_superuser_sees_everything(people):
    admin = UserFactory(is_superuser=True)
    assert scope(Employee.objects.all(), admin).count() == 5


def test_inactive_membership_grants_nothing(ent_a, people):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR, is_active=False)
    assert not scope(Employee.objects.all(), user).exists()


def test_models_without_tenant_path_refuse_to_be_scoped(alice):
    from django.core.exceptions import ImproperlyConfigured

    from lms.accounts.models import User

    with pytest.raises(ImproperlyConfigured):
        scope(User.objects.all(), alice)
