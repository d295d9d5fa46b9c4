"""allauth's login, logout and MFA pages use the site layout, and people log
in with an email address or a mainland mobile number."""

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from lms.accounts.roles import Role
from tests.conftest import PASSWORD, login_with_mfa
from tests.factories import MembershipFactory, UserFactory

LOGIN = "/accounts/login/"


def _in_site_layout(html: str) -> bool:
    return "/static/css/anxun.css" in html and 'class="site-header"' in html and 'class="auth-card"' in html


def _totp_now(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _reauthenticate(client, target: str) -> str:
    """Follow allauth's "enter your password again" step in front of ``target``;
    returns the reauthentication page's HTML."""
    response = client.get(target)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(response["Location"]).content.decode()
    done = client.post(response["Location"], {"password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == target
    return page


def test_login_page_asks_for_email_or_mobile_in_site_layout(client, home):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "邮箱或手机号" in html
    assert _in_site_layout(html)
    assert '<html lang="zh-hans">' in html
    assert 'name="login"' in html and 'name="password"' in html
    assert "sign up" not in html.lower() and "注册账号" not in html  # accounts are opened by HR
    # The header's language and logout buttons live outside any header <form>,
    # so the login form is the page's first form.
    assert html.index("<form") == html.index('<form method="post" action="/accounts/login/"')


@pytest.mark.parametrize("typed", ["138 0013 8000", "13800138000", "+86 138-0013-8000"])
def test_bob_logs_in_with_his_mobile_number_as_people_type_it(client, home, bob, typed):
    response = client.post(LOGIN, {"login": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.session["_auth_user_id"] == str(bob.pk)
    assert bob.employee.employee_no in client.get("/portal/").content.decode()


def test_bob_logs_in_with_his_email(client, home, bob):
    response = client.post(LOGIN, {"login": "Bob@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


@pytest.mark.parametrize("typed", ["138 0013 8000", "bob@example.com"])
def test_wrong_password_does_not_log_in(client, home, bob, typed):
    response = client.post(LOGIN, {"login": typed, "password": "not-his-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "密码不正确" in html
    assert _in_site_layout(html)
    assert client.get("/portal/").status_code == 302


def test_someone_elses_number_does_not_log_in(client, home, bob):
    response = client.post(LOGIN, {"login": "139 0000 0000", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_mfa_step_uses_site_layout_and_needs_the_right_code(client, home, alice):
    response = client.post(LOGIN, {"login": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # password alone is not enough

    html = client.get("/accounts/2fa/authenticate/").content.decode()
    assert _in_site_layout(html)
    assert "双因素身份认证" in html

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    right = client.post("/accounts/2fa/authenticate/", {"code": _totp_now(alice.totp_secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_totp_activation_page_uses_site_layout(client, home, ent_a):
    hr = UserFactory(email="newhr@example.com")
    MembershipFactory(user=hr, enterprise=ent_a, role=Role.HR)
    assert client.post(LOGIN, {"login": hr.email, "password": PASSWORD}).status_code == 302

    # The MFA gate sends an HR user without an authenticator here first.
    assert client.get("/portal/")["Location"] == "/accounts/2fa/totp/activate/"
    assert _in_site_layout(_reauthenticate(client, "/accounts/2fa/totp/activate/"))
    response = client.get("/accounts/2fa/totp/activate/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _in_site_layout(html)
    assert "激活身份验证器应用" in html
    assert 'name="code"' in html


def test_recovery_codes_page_uses_site_layout(client, home, alice):
    codes = RecoveryCodes.activate(alice).get_unused_codes()
    login_with_mfa(client, alice)
    _reauthenticate(client, "/accounts/2fa/recovery-codes/")
    response = client.get("/accounts/2fa/recovery-codes/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _in_site_layout(html)
    assert "恢复代码" in html
    assert codes[0] in html


def test_logout_page_in_site_layout_and_logout_works(client, home, bob):
    client.force_login(bob)
    html = client.get("/accounts/logout/").content.decode()
    assert _in_site_layout(html)
    assert "确定要退出登录吗？" in html

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
