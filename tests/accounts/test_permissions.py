"""Roles grant Django permissions; the back doors stay shut."""

import pytest

from lms.accounts.roles import Role
from tests.conftest import login_with_mfa
from tests.factories import MembershipFactory, UserFactory, enable_totp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role,perm,expected",
    [
        (Role.HR, "workforce.add_employee", True),
        (Role.HR, "workforce.change_enterprise", False),
        (Role.ENTERPRISE_ADMIN, "workforce.change_enterprise", True),
        (Role.TRAINER, "workforce.view_employee", True),
        (Role.TRAINER, "workforce.add_employee", False),
        (Role.EMPLOYEE, "wagtailadmin.access_admin", False),
        (Role.MENTOR, "workforce.view_employee", False),
        (Role.HR, "workforce.delete_employee", False),
        (Role.ENTERPRISE_ADMIN, "workforce.delete_employmentevent", False),
    ],
)
def test_role_permissions(ent_a, role, perm, expected):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=role)
    assert user.has_perm(perm) is expected


def test_django_admin_is_for_superusers_only(client, alice):
    login_with_mfa(client, alice)
    response = client.get("/django-admin/")
    assert response.status_code == 302 and "/django-admin/login/" in response.url
    assert client.get("/django-admin/django_celery_beat/periodictask/").status_code == 302


def test_superuser_with_mfa_reaches_beat_schedules(client, db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(admin)
    login_with_mfa(client, admin)
    response = client.get("/django-admin/django_celery_beat/periodictask/")
    assert response.status_code == 200


def test_regulator_has_no_write_permission(regulator):
    assert not any(
        regulator.has_perm(p) for p in ("workforce.add_employee", "workforce.change_employee", "workforce.add_employmentevent")
    )


def test_deactivated_user_has_no_role_permissions(ent_a):
    user = UserFactory(is_active=False)
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    assert not user.has_perm("workforce.add_employee")
