"""The one reusable tenancy layer for the back office (lms.accounts.admin_scoping):
the permission policy, admin_scope, and the guards that keep new viewsets and
filters from skipping it."""

import datetime as dt

import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse
from wagtail.admin.views import generic
from wagtail.permissions import policy_registry

from lms.accounts.admin_scoping import ScopedFilterSet, ScopedModelViewSet, ScopedPermissionPolicy, admin_scope
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import scope
from lms.workforce.models import Employee, EmploymentEvent, Enterprise, OrgUnit
from tests.conftest import _privileged, login_with_mfa
from tests.factories import EmployeeFactory, MembershipFactory, RegulatorMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(ent_a):
    return _privileged(ent_a, Role.ENTERPRISE_ADMIN, "dora@example.com")


@pytest.fixture
def emp_a(ent_a, tree_a):
    return EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2])


@pytest.fixture
def emp_b(ent_b, tree_b):
    return EmployeeFactory(enterprise=ent_b, org_unit=tree_b[2])


def test_policies_are_registered_for_every_back_office_model():
    from lms.accounts.models import ApiToken, Membership, RegulatorMembership
    from lms.workforce.models import Post, PostAssignment

    for model in (
        Enterprise,
        OrgUnit,
        Post,
        Employee,
        EmploymentEvent,
        PostAssignment,
        Membership,
        RegulatorMembership,
        ApiToken,
    ):
        assert isinstance(policy_registry.get_by_type(model), ScopedPermissionPolicy), model


def test_policy_model_level_answers_follow_roles(alice, dora, bob, regulator):
    employees = policy_registry.get_by_type(Employee)
    units = policy_registry.get_by_type(OrgUnit)
    events = policy_registry.get_by_type(EmploymentEvent)
    assert all(employees.user_has_permission(alice, a) for a in ("view", "inspect", "add", "change"))
    assert not employees.user_has_permission(alice, "delete")
    assert not employees.user_has_permission(dora, "delete")  # history is kept: nobody deletes employees
    assert not units.user_has_permission(alice, "delete") and units.user_has_permission(dora, "delete")
    assert events.user_has_permission(alice, "add") and not events.user_has_permission(alice, "change")
    for outsider in (bob, regulator):
        assert not employees.user_has_any_permission(outsider, ["view", "add", "change", "delete"])


def test_policy_instance_answers_follow_enterprise(alice, charlie, emp_a, emp_b):
    policy = policy_registry.get_by_type(Employee)
    assert policy.user_has_permission_for_instance(alice, "change", emp_a)
    assert not policy.user_has_permission_for_instance(alice, "change", emp_b)
    assert not policy.user_has_any_permission_for_instance(charlie, ["view", "change"], emp_a)
    assert list(policy.instances_user_has_permission_for(alice, "change")) == [emp_a]
    assert list(policy.instances_user_has_any_permission_for(charlie, ["view", "change"])) == [emp_b]
    assert not policy.instances_user_has_permission_for(alice, "delete").exists()


def test_policy_superuser_sees_all_but_never_deletes_history(emp_a, emp_b):
    root = UserFactory(is_superuser=True)
    policy = policy_registry.get_by_type(Employee)
    assert set(policy.instances_user_has_permission_for(root, "view")) == {emp_a, emp_b}
    assert not policy.user_has_permission(root, "delete")
    assert policy_registry.get_by_type(Enterprise).user_has_permission(root, "add")


def test_admin_scope_drops_regulator_and_self_access_widening(ent_a, ent_b, tree_a, emp_a, emp_b):
    # A trainer of A, who is also a regulator of B's region and an employee of B.
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.TRAINER)
    RegulatorMembershipFactory(user=user, region_code="330100")
    own_b = EmployeeFactory(enterprise=ent_b, user=user)
    # scope() lets them read B's rows (region, own record) — on their logged pages, not here.
    assert {emp_b, own_b} <= set(scope(Employee.objects.all(), user))
    assert set(admin_scope(Employee.objects.all(), user, Capability.VIEW)) == {emp_a}
    assert not admin_scope(Employee.objects.all(), user, Capability.CHANGE).exists()


def test_mixed_roles_view_but_not_change_elsewhere(ent_b, alice, emp_a, emp_b):
    # HR of A and trainer of B: may read B's employee, not change it.
    MembershipFactory(user=alice, enterprise=ent_b, role=Role.TRAINER)
    client = login_with_mfa(Client(), alice)
    assert client.get(reverse("employee:inspect", args=(emp_b.pk,))).status_code == 200
    assert client.get(reverse("employee:edit", args=(emp_b.pk,))).status_code == 404
    assert client.get(reverse("employee:edit", args=(emp_a.pk,))).status_code == 200
    form = client.get(reverse("employee:add")).context["form"]
    assert list(form.fields["enterprise"].queryset) == [emp_a.enterprise]


def test_viewset_refuses_unscoped_view_classes():
    class Careless(ScopedModelViewSet):
        model = Employee
        index_view_class = generic.IndexView

    with pytest.raises(ImproperlyConfigured, match="index_view_class"):
        Careless("careless")


def test_filterset_refuses_relations_it_cannot_scope(alice):
    class LeakyFilterSet(ScopedFilterSet):
        class Meta:
            model = Employee
            fields = ["user"]

    request = RequestFactory().get("/")
    request.user = alice
    with pytest.raises(ImproperlyConfigured, match="cannot be scoped"):
        LeakyFilterSet(request=request, queryset=Employee.objects.all())


def test_filterset_without_user_offers_nothing(tree_a):
    class UnitFilterSet(ScopedFilterSet):
        org_unit = django_filters.ModelChoiceFilter(queryset=OrgUnit.objects.all())

        class Meta:
            model = Employee
            fields = ["org_unit"]

    filters = UnitFilterSet(request=RequestFactory().get("/"), queryset=Employee.objects.all())
    assert not filters.form.fields["org_unit"].queryset.exists()


def test_service_refuses_even_if_a_view_forgot(alice, emp_b):
    # Defence in depth: the service checks the enterprise again.
    from django.core.exceptions import PermissionDenied

    from lms.workforce import services

    with pytest.raises(PermissionDenied):
        services.event_record(employee=emp_b, type="violation", date=dt.date(2025, 1, 1), actor=alice)


def test_copy_view_when_enabled_is_scoped(alice, charlie, tree_a):
    """Copy is off for every viewset today; turning it on must not open a hole."""
    from django.http import Http404

    from lms.workforce.admin_views import PostViewSet

    class CopyablePosts(PostViewSet):
        copy_view_enabled = True

    view = CopyablePosts("copyable_post").copy_view
    post = tree_a[3]
    request = RequestFactory().get("/")
    request.user = charlie
    with pytest.raises(Http404):
        view(request, pk=post.pk)
    request.user = alice
    own = view.view_class(**view.view_initkwargs)
    own.setup(request, pk=post.pk)
    assert own.get_object() == post
