"""MFA is required for enterprise admins, HR, regulators and superusers."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from lms.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.factories import EmployeeFactory, MembershipFactory, RegulatorMembershipFactory, UserFactory
from tests.totp import current_code

pytestmark = pytest.mark.django_db

TOTP_SETUP = "/accounts/2fa/totp/activate"


@pytest.mark.parametrize("role", [Role.HR, Role.ENTERPRISE_ADMIN])
def test_privileged_role_without_totp_can_only_set_it_up(client, ent_a, role):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=role)
    client.force_login(user)

    for path in ["/admin/", "/portal/", "/api/v1/employees/"]:
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 403
            assert response.json()["code"] == "mfa_required"
        else:
            assert response.status_code == 302
            assert response.url.startswith(TOTP_SETUP)
    # The setup page itself is reachable.
    assert client.get(reverse("mfa_activate_totp")).status_code in (200, 302)


def test_regulator_and_superuser_need_totp(client, db):
    reg = UserFactory()
    RegulatorMembershipFactory(user=reg, region_code="320500")
    admin = UserFactory(is_superuser=True, is_staff=True)
    for user in (reg, admin):
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 302 and response.url.startswith(TOTP_SETUP)


def test_plain_employee_is_not_forced_into_mfa(client, bob):
    client.force_login(bob)
    response = client.get("/portal/")
    assert not (response.status_code == 302 and response.url.startswith(TOTP_SETUP))


def test_trainer_is_not_forced_but_hr_role_in_any_enterprise_is(client, ent_a, ent_b):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.TRAINER)
    assert not user.requires_mfa()
    MembershipFactory(user=user, enterprise=ent_b, role=Role.HR)
    user.clear_role_cache()
    assert user.requires_mfa()


def test_inactive_membership_does_not_count(ent_a):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR, is_active=False)
    assert not user.requires_mfa()


def test_hr_login_asks_for_totp_code_and_accepts_a_valid_one(client, alice):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    # Not logged in yet: the admin is out of reach until the code is given.
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session

    bad = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert bad.status_code == 200
    assert "_auth_user_id" not in client.session

    good = client.post(reverse("mfa_authenticate"), {"code": current_code(alice.totp_secret)})
    assert good.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the activation on commit (lms.accounts.signals)
def test_user_activates_totp_then_is_let_through(client, ent_a):
    user = UserFactory(email="new-hr@example.com")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.get("/admin/").url.startswith(TOTP_SETUP)

    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth asks for the password again first
        client.post(page.url, {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_employee_record_is_not_a_role(ent_a):
    """Having an Employee profile alone never grants back-office access."""
    user = UserFactory()
    EmployeeFactory(enterprise=ent_a, user=user)
    assert not user.has_perm("wagtailadmin.access_admin")
    assert not user.requires_mfa()
