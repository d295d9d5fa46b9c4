"""The accounts back office ("账号与权限"): enterprise roles, regulators and
API tokens — enterprise admins of the enterprise only; regulators for
platform superusers only; a token's key is shown once and never again."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from lms.accounts.models import ApiToken, Membership, RegulatorMembership
from lms.accounts.roles import Role
from tests.conftest import _privileged, login_with_mfa
from tests.factories import MembershipFactory, UserFactory, enable_totp, make_api_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(ent_a):
    """Enterprise admin of A."""
    return _privileged(ent_a, Role.ENTERPRISE_ADMIN, "dora@example.com")


@pytest.fixture
def erin(ent_b):
    """Enterprise admin of B: the outsider with the same powers elsewhere."""
    return _privileged(ent_b, Role.ENTERPRISE_ADMIN, "erin@example.com")


@pytest.fixture
def root(db):
    user = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    enable_totp(user)
    return user


@pytest.fixture
def token_a(ent_a):
    return make_api_token(ent_a, name="A 的 HR 系统")[0]


def url(namespace, view, obj=None):
    return reverse(f"{namespace}:{view}", args=(obj.pk,) if obj is not None else ())


def refused(response):
    """Wagtail's answer to a missing permission: back to the dashboard, or to (allauth's) login."""
    return response.status_code == 302 and (
        response["Location"] == reverse("wagtailadmin_home") or response["Location"].startswith("/accounts/login/")
    )


# --- API tokens -------------------------------------------------------------------------


def test_token_key_is_shown_once_then_never(as_user, dora, ent_a):
    client = as_user(dora)
    form = client.get(url("apitoken", "add")).context["form"]
    assert form.fields["enterprise"].widget.is_hidden  # one enterprise: preselected
    response = client.post(url("apitoken", "add"), {"enterprise": ent_a.pk, "name": "门禁系统", "can_write": ""})
    token = ApiToken.objects.get(name="门禁系统")
    assert response.status_code == 302
    assert response["Location"] == url("apitoken", "created", token)
    assert token.created_by == dora and token.enterprise == ent_a and not token.can_write

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    key = page.context["key"]
    assert key.startswith(token.prefix)
    assert key in page.content.decode()
    assert "只显示这一次" in page.content.decode()
    assert ApiToken.find_active(key) == token

    again = client.get(url("apitoken", "created", token), follow=True)
    assert key not in again.content.decode()
    assert "无法再次查看" in again.content.decode()
    for target in (url("apitoken", "index"), url("apitoken", "inspect", token)):
        html = client.get(target).content.decode()
        assert token.prefix in html and key not in html and token.key_hash not in html


def test_token_listing_shows_prefix_name_and_last_use(as_user, dora, token_a, ent_b):
    other = make_api_token(ent_b, name="B 的系统")[0]
    response = as_user(dora).get(url("apitoken", "index"))
    html = response.content.decode()
    assert token_a.name in html and token_a.prefix in html
    assert "最近使用" in html
    assert list(response.context["object_list"]) == [token_a]
    assert other.name not in html


def test_revoke_sets_revoked_at_and_key_stops_working(as_user, dora, ent_a):
    token, key = make_api_token(ent_a)
    client = as_user(dora)
    assert url("apitoken", "revoke", token) in client.get(url("apitoken", "index")).content.decode()
    assert client.get(url("apitoken", "revoke", token)).status_code == 200
    response = client.post(url("apitoken", "revoke", token))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.find_active(key) is None
    # Revoking twice is a message, not an error; the listing shows the status.
    assert client.post(url("apitoken", "revoke", token)).status_code == 302
    assert "已吊销" in client.get(url("apitoken", "index")).content.decode()


def test_tokens_have_no_edit_or_delete(as_user, dora, token_a):
    prefix = url("apitoken", "index")
    for path in (f"{prefix}edit/{token_a.pk}/", f"{prefix}delete/{token_a.pk}/"):
        assert as_user(dora).post(path).status_code == 404
    assert ApiToken.objects.filter(pk=token_a.pk, revoked_at__isnull=True).exists()


def test_other_enterprise_admin_gets_404_for_tokens(as_user, erin, token_a, ent_a):
    client = as_user(erin)
    for view in ("inspect", "revoke", "history", "created"):
        assert client.get(url("apitoken", view, token_a)).status_code == 404, view
    assert client.post(url("apitoken", "revoke", token_a)).status_code == 404
    token_a.refresh_from_db()
    assert token_a.revoked_at is None
    assert token_a not in client.get(url("apitoken", "index")).context["object_list"]
    # Nor can he make one for A.
    response = client.post(url("apitoken", "add"), {"enterprise": ent_a.pk, "name": "偷偷的"})
    assert response.status_code == 200 and "enterprise" in response.context["form"].errors
    assert not ApiToken.objects.filter(name="偷偷的").exists()


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "regulator"])
def test_only_enterprise_admins_manage_tokens(request, as_user, token_a, who):
    client = as_user(request.getfixturevalue(who))
    for target in (url("apitoken", "index"), url("apitoken", "add"), url("apitoken", "inspect", token_a)):
        assert refused(client.get(target)), (who, target)
    assert refused(client.post(url("apitoken", "revoke", token_a)))
    token_a.refresh_from_db()
    assert token_a.revoked_at is None


# --- memberships ------------------------------------------------------------------------


def test_enterprise_admin_grants_role_by_email(as_user, dora, bob, ent_a):
    client = as_user(dora)
    response = client.post(
        url("membership", "add"),
        {"account": "BOB@example.com", "enterprise": ent_a.pk, "role": "trainer", "is_active": "on"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=bob, enterprise=ent_a, role=Role.TRAINER, is_active=True).exists()
    # By mobile number too; an unknown account is a field error.
    response = client.post(
        url("membership", "add"), {"account": "138 0013 8000", "enterprise": ent_a.pk, "role": "mentor"}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=bob, role=Role.MENTOR).exists()
    response = client.post(
        url("membership", "add"), {"account": "nobody@example.com", "enterprise": ent_a.pk, "role": "hr"}
    )
    assert response.status_code == 200
    assert "未找到" in str(response.context["form"].errors["account"])


def test_duplicate_role_is_a_form_error(as_user, dora, bob, ent_a):
    response = as_user(dora).post(
        url("membership", "add"), {"account": bob.email, "enterprise": ent_a.pk, "role": "employee"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Membership.objects.filter(user=bob, role=Role.EMPLOYEE).count() == 1


def test_membership_views_for_owner_and_outsider(as_user, dora, erin, bob):
    membership = bob.memberships.get()
    for view in ("edit", "inspect", "history", "delete"):
        target = url("membership", view, membership)
        assert as_user(dora).get(target).status_code == 200, view
        assert as_user(erin).get(target).status_code == 404, view
    listing = as_user(erin).get(url("membership", "index"))
    assert membership not in listing.context["object_list"]
    assert as_user(erin).post(url("membership", "delete", membership)).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert (
        as_user(dora).post(url("membership", "edit", membership), {"role": "trainer", "is_active": "on"}).status_code
        == 302
    )
    membership.refresh_from_db()
    assert membership.role == Role.TRAINER
    assert as_user(dora).post(url("membership", "delete", membership)).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_admin_cannot_remove_own_admin_role(as_user, dora):
    own = dora.memberships.get(role=Role.ENTERPRISE_ADMIN)
    client = as_user(dora)
    response = client.post(url("membership", "edit", own), {"role": "hr", "is_active": "on"})
    assert response.status_code == 200
    assert "不能撤销自己的企业管理员角色" in response.content.decode()
    response = client.post(url("membership", "delete", own), follow=True)
    assert "不能撤销自己的企业管理员角色" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ENTERPRISE_ADMIN


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "regulator"])
def test_only_enterprise_admins_manage_roles(request, as_user, bob, ent_a, who):
    client = as_user(request.getfixturevalue(who))
    membership = bob.memberships.get()
    for target in (url("membership", "index"), url("membership", "add"), url("membership", "edit", membership)):
        assert refused(client.get(target)), (who, target)
    assert refused(client.post(url("membership", "add"), {"account": bob.email, "enterprise": ent_a.pk, "role": "hr"}))
    assert not Membership.objects.filter(user=bob, role=Role.HR).exists()


# --- regulators -------------------------------------------------------------------------


def test_superuser_manages_regulators(as_user, root, regulator):
    client = as_user(root)
    newcomer = UserFactory(email="inspector@example.com")
    response = client.post(
        url("regulatormembership", "add"),
        {"user": newcomer.pk, "region_code": "320500", "authority": "苏州市应急管理局", "is_active": "on"},
    )
    assert response.status_code == 302
    assert RegulatorMembership.objects.filter(user=newcomer, region_code="320500").exists()
    response = client.post(
        url("regulatormembership", "add"), {"user": newcomer.pk, "region_code": "32050", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "6 位数字" in str(response.context["form"].errors["region_code"])
    existing = regulator.regulator_memberships.get()
    assert client.get(url("regulatormembership", "inspect", existing)).status_code == 200


@pytest.mark.parametrize("who", ["dora", "alice", "regulator"])
def test_regulators_are_not_managed_by_enterprises(request, as_user, regulator, who):
    client = as_user(request.getfixturevalue(who))
    existing = regulator.regulator_memberships.get()
    for target in (url("regulatormembership", "index"), url("regulatormembership", "edit", existing)):
        assert refused(client.get(target)), (who, target)
    assert refused(client.post(url("regulatormembership", "delete", existing)))
    assert RegulatorMembership.objects.filter(pk=existing.pk).exists()


def _menu_labels(client):
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    props = re.search(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', page, re.S)
    return json.dumps(json.loads(props.group(1)), ensure_ascii=False)


def test_accounts_menu_for_enterprise_admin_only(as_user, dora, alice, root):
    menu = _menu_labels(as_user(dora))
    for label in ("账号与权限", "企业角色", "API 令牌"):
        assert f'"label": "{label}"' in menu
    assert '"label": "监管人员"' not in menu
    assert '"label": "监管人员"' in _menu_labels(as_user(root))
    assert "账号与权限" not in _menu_labels(as_user(alice))


def test_membership_factory_roles_cover_second_enterprise(ent_a, ent_b):
    # A user with roles in two enterprises sees both in the enterprise choice (not hidden).
    user = _privileged(ent_a, Role.ENTERPRISE_ADMIN, "multi@example.com")
    MembershipFactory(user=user, enterprise=ent_b, role=Role.ENTERPRISE_ADMIN)
    client = login_with_mfa(Client(), user)
    field = client.get(url("apitoken", "add")).context["form"].fields["enterprise"]
    assert not field.widget.is_hidden
    assert set(field.queryset) == {ent_a, ent_b}
