"""Who gets in: tokens, sessions with MFA, and everyone who must be refused."""

from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts.models import ApiToken
from lms.accounts.roles import Role
from lms.workforce.models import Employee, EmploymentEvent

from ..factories import MembershipFactory, UserFactory, enable_totp
from .conftest import json_patch, json_post

EMPLOYEES = "/api/v1/employees/"


def test_token_reads_its_enterprise_and_records_use(client_a, token_a, staff_a):
    token, _key = token_a
    assert token.last_used_at is None
    response = client_a.get(EMPLOYEES)
    assert response.status_code == 200
    assert [row["employee_no"] for row in response.json()["results"]] == ["A0001", "A0002", "A0003"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_missing_credentials_get_401_with_token_challenge(api, staff_a):
    response = api.get(EMPLOYEES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_is_401(as_token, staff_a):
    response = as_token("ax_not-a-real-key").get(EMPLOYEES)
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌无效或已吊销"


def test_malformed_authorization_header_is_401(api, staff_a):
    api.credentials(HTTP_AUTHORIZATION="Token two parts")
    assert api.get(EMPLOYEES).status_code == 401


def test_revoked_token_is_401(as_token, token_a, staff_a):
    token, key = token_a
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = as_token(key).get(EMPLOYEES)
    assert response.status_code == 401
    assert response.json()["detail"] == "令牌无效或已吊销"


def test_session_user_alice_reads_and_writes(as_user, alice, staff_a):
    client = as_user(alice)
    assert client.get(EMPLOYEES).json()["count"] == 3
    response = json_patch(client, f"{EMPLOYEES}A0002/", {"name": "李娜娜"})
    assert response.status_code == 200, response.json()
    assert Employee.objects.get(employee_no="A0002").name == "李娜娜"


def test_read_only_token_cannot_write(as_token, token_a_ro, tree_a, staff_a):
    client = as_token(token_a_ro[1])
    assert client.get(f"{EMPLOYEES}A0001/").status_code == 200
    create = json_post(
        client,
        EMPLOYEES,
        {"employee_no": "X1", "name": "新人", "id_number": "11010119900307803X", "hire_date": "2026-01-05"},
    )
    assert create.status_code == 403
    assert create.json()["detail"] == "该令牌为只读令牌，不能修改数据"
    assert json_patch(client, f"{EMPLOYEES}A0001/", {"name": "改名"}).status_code == 403
    event = json_post(client, "/api/v1/events/", {"employee_no": "A0001", "type": "leave", "date": "2026-01-05"})
    assert event.status_code == 403
    assert not Employee.objects.filter(employee_no="X1").exists()
    assert Employee.objects.get(employee_no="A0001").name == "张伟"
    assert not EmploymentEvent.objects.exists()


def test_plain_employee_bob_is_refused_everywhere(as_user, bob, staff_a):
    client = as_user(bob)
    for url in (
        EMPLOYEES,
        f"{EMPLOYEES}A0001/",
        f"{EMPLOYEES}{bob.employee.employee_no}/",
        "/api/v1/posts/",
        "/api/v1/org-units/",
    ):
        assert client.get(url).status_code == 403, url
    assert (
        json_post(
            client, "/api/v1/events/", {"employee_no": "A0001", "type": "leave", "date": "2026-01-05"}
        ).status_code
        == 403
    )
    assert not EmploymentEvent.objects.exists()


def test_regulator_is_refused_for_now(as_user, regulator, staff_a):
    # A's region 320505 lies inside the regulator's 320500, yet the API is not their portal.
    client = as_user(regulator)
    for url in (EMPLOYEES, f"{EMPLOYEES}A0001/", "/api/v1/posts/", "/api/v1/org-units/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "监管" in response.json()["detail"]


def test_trainer_reads_but_cannot_write(as_user, ent_a, staff_a):
    trainer = UserFactory(email="trainer@example.com")
    MembershipFactory(user=trainer, enterprise=ent_a, role=Role.TRAINER)
    client = as_user(trainer)
    assert client.get(EMPLOYEES).json()["count"] == 3
    assert json_patch(client, f"{EMPLOYEES}A0001/", {"name": "改名"}).status_code == 403
    assert (
        json_post(
            client, "/api/v1/events/", {"employee_no": "A0001", "type": "leave", "date": "2026-01-05"}
        ).status_code
        == 403
    )
    assert Employee.objects.get(employee_no="A0001").name == "张伟"


def test_hr_without_mfa_is_told_to_set_it_up(as_user, ent_a, staff_a):
    hr = UserFactory(email="newhr@example.com")
    MembershipFactory(user=hr, enterprise=ent_a, role=Role.HR)
    password_only = APIClient()
    password_only.force_login(hr)
    response = password_only.get(EMPLOYEES)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    enable_totp(hr)
    assert as_user(hr).get(EMPLOYEES).status_code == 200  # a login that passed the second factor


def test_each_token_has_its_own_rate_limit_bucket(token_a, token_b, alice):
    from rest_framework.test import APIRequestFactory

    from lms.accounts.api_auth import TokenUser
    from lms.api.throttling import ApiUserRateThrottle

    throttle = ApiUserRateThrottle()
    keys = set()
    for user in (TokenUser(token_a[0]), TokenUser(token_b[0]), alice):
        request = APIRequestFactory().get(EMPLOYEES)
        request.user = user
        keys.add(throttle.get_cache_key(request, None))
    assert len(keys) == 3
