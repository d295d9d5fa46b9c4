"""Logging in by email or mainland mobile number, and the login rate limit."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.accounts.phone import normalize_cn_mobile
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "8613800138000", "008613800138000"]
)
def test_mobile_numbers_are_normalised(typed):
    assert normalize_cn_mobile(typed) == "+8613800138000"


@pytest.mark.parametrize("typed", ["1380013800", "23800138000", "abc", "", "+1 415 555 0100"])
def test_bad_mobile_numbers_are_refused_in_chinese(typed):
    with pytest.raises(ValidationError) as exc:
        normalize_cn_mobile(typed)
    assert "手机号" in exc.value.messages[0]


@pytest.mark.parametrize("login", ["bob@example.com", "BOB@example.com", "13800138000", "138 0013 8000"])
def test_employee_logs_in_by_email_or_phone(client, bob, login):
    response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_wrong_password_is_refused(client, bob):
    response = client.post(reverse("account_login"), {"login": "13800138000", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_rate_limited(client, bob):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": bob.email, "password": "wrong"})
    # Even the right password is refused while the account is throttled.
    response = client.post(reverse("account_login"), {"login": bob.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_public_signup_is_closed(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "x@example.com", "password1": "Zz-12345678", "password2": "Zz-12345678"}
    )
    from lms.accounts.models import User

    assert not User.objects.filter(email="x@example.com").exists()
    assert response.status_code in (200, 302)
