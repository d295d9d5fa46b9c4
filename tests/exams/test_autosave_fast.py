"""exams.speed: the autosave answered ahead of the middleware stack
must answer exactly what the stack would — same status, same JSON, same
error shape — and leave to the stack every save whose login it cannot
confirm (logout, expired login, deactivated user, password changed, tampered
session, someone else's attempt, a CSRF failure, a privileged user the MFA
gate must see, a malformed body). Its SELECT is the request's connection
health check: a dead connection is replaced before anything is written."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import datetime as dt
import json
from unittest import mock

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from exams.models import Attempt, AttemptAnswer, Exam
from exams.speed import AutosaveMiddleware
from lms.accounts.models import Membership, Role
from lms.speed import fastpath
from tests.conftest import login_with_mfa
from tests.factories import MembershipFactory
from tests.factories import make_worker

from .engine_helpers import (  # noqa: F401  (fixtures)
    at,
    bank,
    bank_a,
    exam,
    fixed_paper,
    four_types,
    frozen,
    principal,
)

pytestmark = [pytest.mark.django_db, pytest.mark.speed("autosave")]


@pytest.fixture
def answered(monkeypatch):
    """For each autosave, whether exams.speed answered it (False: the
    whole stack did)."""
    seen = []
    original = AutosaveMiddleware.answer

    def spy(self, request, *args):
        response = original(self, request, *args)
        seen.append(response is not None)
        return response

    monkeypatch.setattr(AutosaveMiddleware, "answer", spy)
    return seen


def new_exam(ent_a, four_types):
    paper = fixed_paper(ent_a, [(four_types[k], 25) for k in ("single", "multiple", "true_false", "fill")])
    return exam(ent_a, paper, attempts_allowed=2, review_policy=Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE)


def begin(client, the_exam) -> Attempt:
    with frozen(at(10)):
        response = client.post(reverse("exams:exam_start", args=[the_exam.pk]))
    assert response.status_code in (200, 302), response.content
    return Attempt.objects.get(exam=the_exam)


def fill_question(attempt) -> int:
    return next(i["q"] for i in attempt.layout if i["type"] == "fill_blank")


def save(client, attempt, *, seq=1, response=("预防为主",), token=None, raw=None, moment=None, headers=None):
    body = raw if raw is not None else json.dumps(
        {"token": attempt.token if token is None else token, "question": fill_question(attempt),
         "response": list(response), "seq": seq})
    with frozen(moment or at(10, 7, 42)):
        return client.post(reverse("exams:attempt_answer", args=[attempt.pk]), data=body,
                           content_type="application/json", headers=headers or {})


def outcome(response, attempt=None):
    """What a client sees of a reply: status, body (JSON as data), the headers that matter."""
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        if attempt is not None and "result_url" in body:
            body["result_url"] = body["result_url"].replace(f"/{attempt.pk}/", "/<pk>/")
    elif response["Content-Type"].startswith("text/html"):
        body = None  # a page (404, login): same status and Location is the answer; its CSRF token differs per run
    else:
        body = response.content
    headers = {name: response.get(name) for name in ("Content-Type", "Cache-Control", "Content-Language")}
    location = response.get("Location")
    if attempt is not None and location:
        location = location.replace(f"/{attempt.pk}/", "/<pk>/")
    return response.status_code, body, headers, location


@pytest.fixture
def pat(principal):
    return login_with_mfa(Client(), principal)


def test_a_logged_in_save_is_answered_ahead_of_the_stack(pat, principal, ent_a, four_types, answered,
                                                         django_assert_max_num_queries):
    attempt = begin(pat, new_exam(ent_a, four_types))
    save(pat, attempt, seq=1)  # warms the role cache, as any page the examinee opened did
    with mock.patch.object(MessageMiddleware, "process_request") as later, django_assert_max_num_queries(5):
        response = save(pat, attempt, seq=2, response=("以人为本",))
    later.assert_not_called()
    assert response.status_code == 200
    assert response.json() == {"saved_at": "2026-03-02T10:07:42+08:00", "saved_at_display": "10:07:42",
                               "seconds_left": 3138}
    assert response["Content-Language"] == "zh-hans" and "Cookie" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]
    stored = AttemptAnswer.objects.get(attempt=attempt)
    assert (stored.response, stored.seq) == (["以人为本"], 2)
    assert answered == [True, True]


def test_both_paths_give_the_same_replies(principal, ent_a, ent_b, tree_b, four_types, settings, answered):
    """Valid save, stale seq, bad token, bad JSON, NUL, someone else's
    attempt, late, submitted — through the fast path and through the stack."""
    other = make_worker(ent_b, tree_b[2], "李四", "W002").user

    def run():
        Attempt.objects.all().delete()
        client = login_with_mfa(Client(), principal)
        attempt = begin(client, new_exam(ent_a, four_types))
        stranger = login_with_mfa(Client(), other)
        replies = [
            save(client, attempt, seq=1),
            save(client, attempt, seq=1, response=("以人为本",)),  # replayed / overtaken: stale
            save(client, attempt, seq=2, token="not-the-token"),
            save(client, attempt, raw='{"token": "x", "question": '),
            save(client, attempt, seq=3, raw=json.dumps({"token": attempt.token, "question": fill_question(attempt),
                                                         "response": ["a\u0000b"], "seq": 3})),
            save(stranger, attempt, seq=4),
            save(client, attempt, seq=5, moment=at(11, 30)),  # after the 60-minute deadline: late, submits
            save(client, attempt, seq=6),
        ]
        stored = AttemptAnswer.objects.get(attempt=attempt, question=fill_question(attempt))
        return [outcome(r, attempt) for r in replies], (stored.response, stored.seq)

    fast = run()
    fast_answered = answered[:]
    settings.ANXUN_AUTOSAVE_FAST = False
    slow = run()
    for step, (f, s) in enumerate(zip(fast[0], slow[0], strict=True)):
        assert f == s, step
    assert fast[1] == slow[1]
    assert [status for status, *_ in fast[0]] == [200, 200, 403, 400, 400, 404, 400, 409]
    assert fast[0][1][1]["stale"] is True and fast[0][6][1]["code"] == "late"
    assert fast[1] == (["预防为主"], 1)
    assert fast_answered == [True, True, True, False, False, False, True, True]
    assert len(answered) == len(fast_answered)  # off: never tried


def _logout(client, user):
    cookie = client.cookies["sessionid"].value
    client.post(reverse("account_logout"))
    client.cookies["sessionid"] = cookie  # a stolen or stale cookie


def _expire(client, user):
    Session.objects.update(expire_date=at(10, 7) - dt.timedelta(seconds=1))  # the saves run at 10:07:42


def _deactivate(client, user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def _change_password(client, user):
    user.set_password("a-new-Passw0rd!")
    user.save(update_fields=["password"])


def _tamper(client, user):
    Session.objects.update(session_data=Session.objects.get().session_data[:-3] + "xyz")


def _privileged(client, user):
    # HR too now, and this login never passed the second factor: the MFA gate
    # must see it (a privileged session with MFA is served like any other).
    MembershipFactory(user=user, enterprise=Membership.objects.get(user=user).enterprise, role=Role.HR)
    session = client.session
    session["account_authentication_methods"] = [
        m for m in session.get("account_authentication_methods", []) if m.get("method") != "mfa"
    ]
    session.save()


def _no_cookie(client, user):
    del client.cookies["sessionid"]


@pytest.mark.parametrize(
    "end_login", [_logout, _expire, _deactivate, _change_password, _tamper, _privileged, _no_cookie],
    ids=["logout", "expired login", "deactivated user", "password changed", "tampered session",
         "privileged without MFA", "no session cookie"])
def test_what_the_fast_path_cannot_confirm_the_stack_answers(principal, ent_a, four_types, settings, answered,
                                                             end_login):
    def run():
        Attempt.objects.all().delete()
        Session.objects.all().delete()
        user = type(principal).objects.get(pk=principal.pk)
        user.is_active = True
        user.set_password("Passw0rd!x")
        user.save()
        Membership.objects.filter(user=user, role=Role.HR).delete()
        user.clear_role_cache()
        client = login_with_mfa(Client(), user)
        attempt = begin(client, new_exam(ent_a, four_types))
        end_login(client, user)
        reply = outcome(save(client, attempt), attempt)
        return reply, AttemptAnswer.objects.filter(attempt=attempt).exists()

    fast = run()
    assert answered and answered[-1] is False
    settings.ANXUN_AUTOSAVE_FAST = False
    slow = run()
    assert fast == slow
    assert fast[0][0] != 200 and fast[1] is False


def test_csrf_is_enforced_by_the_stack(principal, ent_a, four_types, answered):
    client = login_with_mfa(Client(enforce_csrf_checks=True), principal)
    the_exam = new_exam(ent_a, four_types)
    page = client.get(reverse("exams:my_exams"))
    assert page.status_code == 200
    csrf = client.cookies["csrftoken"].value
    with frozen(at(10)):
        client.post(reverse("exams:exam_start", args=[the_exam.pk]), headers={"X-CSRFToken": csrf})
    attempt = Attempt.objects.get()
    refused = save(client, attempt)
    assert refused.status_code == 403 and not AttemptAnswer.objects.exists()
    accepted = save(client, attempt, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 200 and AttemptAnswer.objects.get().seq == 1
    assert answered == [False, True]


def test_the_refusal_is_in_the_examinees_language(pat, ent_a, four_types, answered):
    attempt = begin(pat, new_exam(ent_a, four_types))
    zh = save(pat, attempt, token="stale")
    en = save(pat, attempt, token="stale", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 403 and en["Content-Language"] == "en"
    assert set(zh.json()) == {"detail", "code", "errors"} and zh.json()["code"] == "bad_token"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.json()["detail"])
    assert answered == [True, True]


def test_turned_off_every_save_takes_the_stack(principal, ent_a, four_types, settings, answered):
    settings.ANXUN_AUTOSAVE_FAST = False
    client = login_with_mfa(Client(), principal)
    attempt = begin(client, new_exam(ent_a, four_types))
    assert save(client, attempt).status_code == 200
    assert answered == []


def test_a_connection_found_dead_leaves_the_save_to_the_stack(pat, ent_a, four_types, answered):
    """The SELECT is the health check (lms.speed.fastpath.fetch_one, exercised in
    tests/courses/test_heartbeat.py): when it finds the connection dead, the
    stack saves on a new one — once."""
    attempt = begin(pat, new_exam(ent_a, four_types))
    with mock.patch("exams.speed.load", side_effect=fastpath.StaleConnection):
        response = save(pat, attempt)
    assert response.status_code == 200 and answered == [False]
    assert AttemptAnswer.objects.get(attempt=attempt).seq == 1
