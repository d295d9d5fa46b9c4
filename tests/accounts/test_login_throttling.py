"""Every login attempt goes through allauth's ACCOUNT_RATE_LIMITS: 30 wrong
passwords in a row, at any login door, are throttled — and the right password
does not log in during the lockout either."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
DOORS = [LOGIN, "/_util/login/", "/admin/login/", "/django-admin/login/", "/_util/login/?next=/admin/"]


def attempt(client, door, user, password):
    """What a browser does with the login form at ``door``: post the
    credentials there; a door that takes no password but sends the visitor to
    allauth's login gets them posted to that form instead."""
    data = {"login": user.email, "username": user.username, "password": password}
    response = client.post(door, data)
    if door != LOGIN and response.status_code == 302 and response["Location"].startswith(LOGIN):
        assert SESSION_KEY not in client.session  # the door itself took no password
        response = client.post(response["Location"], data)
    return response


def throttled(response) -> bool:
    """allauth's answer to too many attempts: 429, or its form error."""
    if response.status_code == 429:
        return True
    form = (response.context or {}).get("form") if response.status_code == 200 else None
    return form is not None and any(
        error.code == "too_many_login_attempts" for error in form.non_field_errors().as_data()
    )


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("who", ["bob", "alice"])
def test_thirty_wrong_passwords_are_throttled_then_the_right_one_fails_too(client, door, who, request):
    user = request.getfixturevalue(who)
    answers = [attempt(client, door, user, f"wrong-{n}") for n in range(30)]

    assert all(response.status_code in (200, 429) for response in answers)
    assert SESSION_KEY not in client.session
    assert throttled(answers[-1])
    checked = [response for response in answers if not throttled(response)]
    assert len(checked) <= 10  # allauth's login_failed: 10 a minute per address, 5 per account

    right = attempt(client, door, user, PASSWORD)
    assert throttled(right)
    assert SESSION_KEY not in client.session
    assert right.status_code != 302  # neither logged in nor on to the second factor
    assert reverse("mfa_authenticate") not in right.get("Location", "")
