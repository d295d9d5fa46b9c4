"""MFA is checked per session, not per user: a privileged user's request is
served only when this login passed the second factor (allauth's
authentication records in the session hold an ``mfa`` entry). A privileged
session without it — a password-only path, a user who became privileged
after logging in — is logged out and sent to allauth's login (HTML), or
answered 403 ``mfa_required`` (API with session auth), on every path:
back office, Django admin, reports, API, exports, /media/, /documents/."""

import json

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.documents.models import Document

from lms.accounts.roles import Role
from tests.conftest import PASSWORD, login_with_mfa
from tests.factories import (
    EmployeeFactory,
    MembershipFactory,
    RegulatorMembershipFactory,
    UserFactory,
    enable_totp,
    make_api_token,
)
from tests.totp import current_code

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _user_with_totp(**fields):
    user = UserFactory(**fields)
    user.totp_secret = enable_totp(user)
    return user


@pytest.fixture(params=["hr", "enterprise_admin", "regulator", "superuser"])
def privileged(request, ent_a, alice):
    """Each privileged role, with TOTP set up."""
    if request.param == "hr":
        return alice
    if request.param == "enterprise_admin":
        user = _user_with_totp(email="ea@example.com")
        MembershipFactory(user=user, enterprise=ent_a, role=Role.ENTERPRISE_ADMIN)
        return user
    if request.param == "regulator":
        user = _user_with_totp(email="reg@example.com")
        RegulatorMembershipFactory(user=user, region_code="320500")
        return user
    return _user_with_totp(email="root@example.com", is_superuser=True, is_staff=True)


@pytest.fixture
def document(db):
    doc = Document(title="应急预案")
    doc.file.save("plan.pdf", ContentFile(b"%PDF-1.4 emergency plan"), save=False)
    doc.save()
    return doc


def privileged_paths(document) -> list[str]:
    return [
        "/admin/",
        "/admin/workforce/employee/?export=csv",
        "/django-admin/",
        "/reports/",
        "/api/v1/employees/",
        "/supervision/",
        "/portal/",
        "/media/imports/employees.xlsx",
        f"/documents/{document.pk}/{document.filename}",
    ]


def refused_for_mfa(response, path, client) -> bool:
    """The MFA gate's answer: the login ended, and allauth's login page (HTML)
    or 403 mfa_required (API) instead of the content."""
    if SESSION_KEY in client.session:
        return False
    if path.startswith("/api/"):
        body = response.json()
        return (response.status_code == 403 and body.get("code") == "mfa_required"
                and set(body) == {"detail", "code", "errors"})
    return response.status_code == 302 and response["Location"].startswith(LOGIN + "?next=")


def test_a_password_only_session_of_a_privileged_user_reaches_nothing(privileged, document):
    for path in privileged_paths(document):
        client = Client()
        client.force_login(privileged)  # a login that never passed the second factor
        response = client.get(path)
        assert refused_for_mfa(response, path, client), (path, response.status_code, response.get("Location"))
        assert not (response.status_code == 200 and response.content), path


def test_the_same_user_after_mfa_is_let_through(privileged, document):
    client = login_with_mfa(Client(), privileged)
    for path in privileged_paths(document):
        response = client.get(path)
        assert not refused_for_mfa(response, path, client), path
        assert client.session[SESSION_KEY] == str(privileged.pk), path
    assert client.get("/admin/").status_code in (200, 302)
    assert client.get(f"/documents/{document.pk}/{document.filename}").status_code == 200


def test_hr_with_mfa_gets_the_admin_and_the_export(alice):
    client = login_with_mfa(Client(), alice)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/employees/").status_code == 200
    export = client.get("/admin/workforce/employee/?export=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")


def test_the_refusal_says_why_in_chinese(alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/admin/workforce/employee/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    html = response.content.decode()
    assert "两步验证" in html and 'name="password"' in html


def test_the_api_refusal_has_the_api_error_shape(alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/api/v1/employees/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "mfa_required" and body["errors"] == {} and "两步验证" in body["detail"]


def test_token_auth_is_not_a_session_and_is_unaffected(ent_a, alice):
    _token, key = make_api_token(ent_a)
    response = Client().get("/api/v1/employees/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


def test_a_worker_without_mfa_is_not_affected(bob):
    client = Client()
    client.force_login(bob)
    assert client.get("/portal/").status_code == 200
    assert client.session[SESSION_KEY] == str(bob.pk)


def test_becoming_privileged_after_login_ends_the_session(ent_a, bob):
    client = Client()
    client.post(LOGIN, {"login": bob.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 200
    enable_totp(bob)
    MembershipFactory(user=bob, enterprise=ent_a, role=Role.HR)

    response = client.get("/portal/")
    assert refused_for_mfa(response, "/portal/", client)
    assert SESSION_KEY not in client.session


def test_becoming_superuser_after_login_ends_the_session(bob):
    client = Client()
    client.post(LOGIN, {"login": bob.email, "password": PASSWORD})
    enable_totp(bob)
    bob.is_superuser = True
    bob.save()
    assert refused_for_mfa(client.get("/portal/"), "/portal/", client)


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db", ANXUN_USER_CACHE_SECONDS=60)
def test_the_shared_user_and_role_caches_do_not_keep_an_old_decision(ent_a, bob):
    client = Client()
    client.post(LOGIN, {"login": bob.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 200  # user row and roles now cached
    enable_totp(bob)
    MembershipFactory(user=bob, enterprise=ent_a, role=Role.ENTERPRISE_ADMIN)
    assert refused_for_mfa(client.get("/portal/"), "/portal/", client)


def test_mfa_records_of_another_user_do_not_count(alice, bob):
    client = login_with_mfa(Client(), bob)
    session = client.session
    session[SESSION_KEY] = str(alice.pk)  # the records name bob
    session["_auth_user_hash"] = alice.get_session_auth_hash()
    session.save()
    assert refused_for_mfa(client.get("/admin/"), "/admin/", client)


# --- the allauth flow ---------------------------------------------------------------------------


def test_password_alone_stops_at_the_mfa_stage(privileged, document):
    client = Client()
    response = client.post(LOGIN, {"login": privileged.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session
    for path in privileged_paths(document):
        if not path.startswith("/documents/"):  # public documents are public
            response = client.get(path)
            assert response.status_code in (302, 401, 403, 404), path
        assert SESSION_KEY not in client.session

    done = client.post(reverse("mfa_authenticate"), {"code": current_code(privileged.totp_secret)})
    assert done.status_code == 302
    assert client.session[SESSION_KEY] == str(privileged.pk)
    assert not refused_for_mfa(client.get("/admin/"), "/admin/", client)


@pytest.mark.django_db(transaction=True)  # allauth announces the activation on commit
def test_privileged_user_without_totp_may_only_set_it_up_then_is_let_through(ent_a):
    user = UserFactory(email="new-hr@example.com")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    client = Client()
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert client.get("/admin/")["Location"].startswith(reverse("mfa_activate_totp"))
    assert client.get("/media/imports/x.xlsx")["Location"].startswith(reverse("mfa_activate_totp"))
    assert client.get("/accounts/email/")["Location"].startswith(reverse("mfa_activate_totp"))
    assert client.get("/api/v1/employees/").json()["code"] == "mfa_required"

    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302:  # allauth asks for the password again first
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    methods = [record["method"] for record in client.session["account_authentication_methods"]]
    assert methods[-1] == "mfa"
    assert client.get("/admin/").status_code == 200


def test_activating_totp_records_mfa_only_for_the_session_that_did_it(ent_a):
    user = UserFactory(email="new-hr@example.com")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    other = Client()
    other.post(LOGIN, {"login": user.email, "password": PASSWORD})  # a second password-only login

    enable_totp(user)
    response = other.get("/admin/")
    assert refused_for_mfa(response, "/admin/", other)


# --- the study heartbeat's fast path ------------------------------------------------------------


@pytest.mark.speed("heartbeat")
def test_the_heartbeat_fast_path_does_not_serve_a_privileged_session_without_mfa(ent_a, monkeypatch):
    from courses.speed import HeartbeatMiddleware
    from tests.factories import make_course

    answered = []
    original = HeartbeatMiddleware.answer
    monkeypatch.setattr(HeartbeatMiddleware, "answer",
                        lambda self, request: answered.append(r := original(self, request)) or r)
    user = UserFactory(email="learner-hr@example.com")
    EmployeeFactory(enterprise=ent_a, user=user)
    MembershipFactory(user=user, enterprise=ent_a, role=Role.EMPLOYEE)
    lesson = list(make_course(enterprise=None).get_lessons())[0].specific

    client = Client()
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    started = client.post(reverse("courses:study_start", args=[lesson.pk]))
    assert started.status_code == 200, started.content
    token = started.json()["token"]
    beat = {"token": token, "seq": 1}
    assert client.post("/learn/heartbeat/", json.dumps(beat), content_type="application/json").status_code == 200
    assert answered[-1] is not None  # a worker's beat is answered ahead of the stack

    enable_totp(user)
    MembershipFactory(user=user, enterprise=ent_a, role=Role.HR)
    response = client.post("/learn/heartbeat/", json.dumps({**beat, "seq": 2}), content_type="application/json")
    assert answered[-1] is None  # left to the stack …
    assert response.status_code == 403 and response.json()["code"] == "mfa_required"  # … which refuses it
    assert SESSION_KEY not in client.session


def test_a_privileged_user_cannot_switch_mfa_off_in_a_session_that_passed_it(alice):
    client = login_with_mfa(Client(), alice)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks for it first
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200 and response.context["form"].errors
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
