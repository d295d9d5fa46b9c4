"""The admin login forms must not be a way round allauth: a password alone
never logs anyone in, and the second factor is always asked for."""

import pytest

from tests.conftest import PASSWORD, login_with_mfa


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_admin_login_forms_take_no_password(client, alice, path):
    response = client.post(path, {"username": alice.email, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_wagtail_login_redirect_keeps_next(client):
    response = client.get("/admin/login/?next=/admin/workforce/employee/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fworkforce%2Femployee%2F"


@pytest.mark.django_db
def test_anonymous_admin_visit_ends_at_the_allauth_login(client):
    response = client.get("/admin/workforce/employee/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "邮箱或手机号" in response.content.decode()


@pytest.mark.django_db
def test_logged_in_user_is_sent_on(client, alice):
    login_with_mfa(client, alice)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
