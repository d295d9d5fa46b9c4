"""The attack list: what an examinee (or someone else) might try against an
exam, and what the server does about it.

- answer keys and explanations never reach the browser before grading;
- answers after the deadline are refused (400) and not saved;
- a double submission is one graded attempt and one training record;
- another person's attempt is a 404, whoever asks;
- answers cannot be changed after submission;
- a replayed autosave with a stale token is refused.
"""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import itertools
import json
import re

import pytest
from django.urls import reverse

from exams import services
from exams.models import Attempt, AttemptAnswer, Exam, Question
from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from tests.conftest import login_with_mfa
from tests.factories import MembershipFactory, UserFactory

from .engine_helpers import (  # noqa: F401  (fixtures)
    at,
    bank_a,
    exam,
    fill,
    fixed_paper,
    frozen,
    make_principal,
    multiple,
    principal,
    right_answer,
    single,
    true_false,
)

pytestmark = pytest.mark.django_db

SECRET_EXPLANATION = "解析暗号甲乙丙"
SECRET_FILL = "填空暗号丁戊己"
SECRET_FILL_ALT = "ＡＬＴ暗号庚"


@pytest.fixture
def secret_exam(ent_a, bank_a):
    """An exam whose answer keys and explanations carry markers that must
    never appear in anything the examinee receives before grading."""
    questions = [
        single(bank_a, explanation=SECRET_EXPLANATION + "-单选"),
        multiple(bank_a, explanation=SECRET_EXPLANATION + "-多选"),
        true_false(bank_a, explanation=SECRET_EXPLANATION + "-判断"),
        fill(bank_a, answer=((SECRET_FILL, SECRET_FILL_ALT),), explanation=SECRET_EXPLANATION + "-填空"),
    ]
    paper = fixed_paper(ent_a, [(q, 25) for q in questions])
    return exam(ent_a, paper, review_policy=Exam.ReviewPolicy.ANSWERS_AFTER_CLOSE)


@pytest.fixture
def pat_client(client, principal):
    client.force_login(principal)
    return client


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _assert_no_secrets(body: str):
    for marker in (SECRET_EXPLANATION, SECRET_FILL, "暗号庚", "ALT暗号", '"answer"', "explanation", "correct"):
        assert marker not in body, marker


_SEQ = itertools.count(1)


def _post_json(client, url, data):
    """An autosave as the page sends it: each with the next sequence number, unless the test gives one."""
    return client.post(url, data=json.dumps({"seq": next(_SEQ), **data}), content_type="application/json")


def test_answer_keys_are_absent_from_every_response_before_grading(pat_client, secret_exam, principal):
    bodies = []
    with frozen(at(10)):
        bodies.append(pat_client.get(reverse("exams:my_exams")).content.decode())
        bodies.append(pat_client.get(reverse("exams:exam_detail", args=[secret_exam.pk])).content.decode())
        start = pat_client.post(reverse("exams:exam_start", args=[secret_exam.pk]))
        bodies.append(start.content.decode())
        attempt = Attempt.objects.get()
        page = pat_client.get(reverse("exams:attempt", args=[attempt.pk]))
        assert page.status_code == 200
        bodies.append(page.content.decode())
    questions = Question.objects.in_bulk([i["q"] for i in attempt.layout])
    with frozen(at(10, 5)):
        for item in attempt.layout:
            q = questions[item["q"]]
            # Right choices; the fill-in gets the examinee's own words (which the page may show back).
            answer = ["我自己的答案"] if item["type"] == "fill_blank" else right_answer(item, q)
            response = _post_json(
                pat_client,
                reverse("exams:attempt_answer", args=[attempt.pk]),
                {"token": attempt.token, "question": item["q"], "response": answer},
            )
            assert response.status_code == 200, response.content
            assert set(response.json()) == {"saved_at", "saved_at_display", "seconds_left"}
            bodies.append(response.content.decode())
        bodies.append(
            pat_client.get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
        )  # resumed, answers filled in
        submit = pat_client.post(
            reverse("exams:attempt_submit", args=[attempt.pk]), {"token": attempt.token}, HTTP_ACCEPT="application/json"
        )
        bodies.append(submit.content.decode())
        # After grading but before the window closes (review policy "after close"): still no keys.
        result = pat_client.get(reverse("exams:attempt_result", args=[attempt.pk]))
        bodies.append(result.content.decode())
        review = pat_client.get(reverse("exams:attempt_review", args=[attempt.pk]), follow=True)
        bodies.append(review.content.decode())
    assert Attempt.objects.get().score == 75
    assert "我自己的答案" in bodies[-4]  # the resumed page shows the examinee's own saved answer
    for body in bodies:
        _assert_no_secrets(body)
    # The page shows the right option's text (as it shows every option) but nothing marks it.
    assert "切断电源" in bodies[3]


def test_the_answering_page_is_the_same_whatever_the_answer_key(pat_client, secret_exam, principal):
    """Flip every key: the page and the autosave answer do not change by a byte,
    so nothing in them can tell a right option from a wrong one."""
    with frozen(at(10)):
        attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    url = reverse("exams:attempt", args=[attempt.pk])
    save_url = reverse("exams:attempt_answer", args=[attempt.pk])
    first_q = attempt.layout[0]["q"]

    def snapshot():
        with frozen(at(10, 5)):
            saved = _post_json(pat_client, save_url, {"token": attempt.token, "question": first_q, "response": ["B"]})
            page = _without_csrf(pat_client.get(url).content.decode())
            page = re.sub(r'data-seq="\d+"', "", page)  # the latest save's sequence number
            return page, saved.content

    before = snapshot()
    for q in Question.objects.filter(pk__in=[i["q"] for i in attempt.layout]):
        flipped = {"single": ["D"], "multiple": ["C"], "true_false": [False], "fill_blank": [["别的答案"]]}[q.type]
        Question.objects.filter(pk=q.pk).update(answer=flipped, explanation="另一条解析")
    assert snapshot() == before


def test_answer_after_the_deadline_is_refused_and_not_saved(pat_client, secret_exam, principal):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    q = attempt.layout[0]["q"]
    save_url = reverse("exams:attempt_answer", args=[attempt.pk])
    with frozen(at(10, 59, 59)):
        ok = _post_json(pat_client, save_url, {"token": attempt.token, "question": q, "response": ["A"]})
    assert ok.status_code == 200
    with frozen(at(11)):
        late = _post_json(pat_client, save_url, {"token": attempt.token, "question": q, "response": ["B"]})
    assert late.status_code == 400
    body = late.json()
    assert body["code"] == "late" and body["detail"] == "考试时间已到，答案未保存"
    assert body["result_url"] == reverse("exams:attempt_result", args=[attempt.pk])
    row = AttemptAnswer.objects.get(attempt=attempt, question_id=q)
    shown_a = attempt.layout[0]["options"][0]
    assert row.response == [shown_a] and row.saved_at == at(10, 59, 59)
    # The late request also submitted the attempt (the check on the next request).
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.auto_submitted


def test_late_form_submission_counts_only_answers_saved_in_time(pat_client, secret_exam, principal):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    questions = Question.objects.in_bulk([i["q"] for i in attempt.layout])
    first = attempt.layout[0]
    services.attempt_save_answer(
        attempt, attempt.token, first["q"], right_answer(first, questions[first["q"]]), now=at(10, 30)
    )
    # The form carries right answers to everything, but arrives after the deadline.
    form = {"token": attempt.token}
    for item in attempt.layout:
        form[f"q-{item['q']}"] = [str(v).lower() for v in right_answer(item, questions[item["q"]])]
    with frozen(at(11, 0, 5)):
        response = pat_client.post(reverse("exams:attempt_submit", args=[attempt.pk]), form)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED and attempt.score == 25
    assert AttemptAnswer.objects.filter(attempt=attempt, points__gt=0).count() == 1


def test_double_submission_is_one_graded_attempt_and_one_record(pat_client, secret_exam, principal):
    with frozen(at(10)):
        pat_client.post(reverse("exams:exam_start", args=[secret_exam.pk]))
    attempt = Attempt.objects.get()
    url = reverse("exams:attempt_submit", args=[attempt.pk])
    with frozen(at(10, 10)):
        first = pat_client.post(url, {"token": attempt.token})
        second = pat_client.post(url, {"token": attempt.token})  # double click
        replay = pat_client.post(url, {"token": attempt.token}, HTTP_ACCEPT="application/json")
    result_url = reverse("exams:attempt_result", args=[attempt.pk])
    assert first.status_code == second.status_code == 302 and first.url == second.url == result_url
    assert replay.json() == {"status": "graded", "result_url": result_url}
    # A stale in-memory copy (another tab, the Celery task) submitting again changes nothing.
    services.attempt_submit(attempt, auto=True, now=at(10, 11))
    assert Attempt.objects.count() == 1
    graded = Attempt.objects.get()
    assert graded.status == Attempt.Status.GRADED and graded.submitted_at == at(10, 10) and not graded.auto_submitted
    assert TrainingRecord.objects.filter(employee=principal.employee).count() == 1
    assert graded.record == TrainingRecord.objects.get()


@pytest.mark.parametrize("who", ["colleague", "hr", "manager_of_same_enterprise", "outsider_hr"])
def test_another_persons_attempt_is_a_404_for_everyone_else(client, secret_exam, principal, alice, charlie, ent_a, who):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    if who == "colleague":
        login_as = make_principal(ent_a, email="colleague@example.com", name="同事")
        client.force_login(login_as)
    elif who == "hr":
        login_with_mfa(client, alice)
    elif who == "manager_of_same_enterprise":
        manager = UserFactory()
        MembershipFactory(user=manager, enterprise=ent_a, role=Role.SAFETY_MANAGER)
        client.force_login(manager)
    else:
        login_with_mfa(client, charlie)
    with frozen(at(10, 5)):
        for name in ("attempt", "attempt_result", "attempt_review"):
            assert client.get(reverse(f"exams:{name}", args=[attempt.pk])).status_code == 404, name
        saved = _post_json(
            client,
            reverse("exams:attempt_answer", args=[attempt.pk]),
            {"token": attempt.token, "question": attempt.layout[0]["q"], "response": ["A"]},
        )
        assert saved.status_code == 404
        submitted = client.post(reverse("exams:attempt_submit", args=[attempt.pk]), {"token": attempt.token})
        assert submitted.status_code == 404
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS and not attempt.answers.exists()


def test_answers_cannot_be_changed_after_submission(pat_client, secret_exam, principal):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    item = attempt.layout[0]
    save_url = reverse("exams:attempt_answer", args=[attempt.pk])
    with frozen(at(10, 5)):
        assert (
            _post_json(
                pat_client, save_url, {"token": attempt.token, "question": item["q"], "response": ["A"]}
            ).status_code
            == 200
        )
        pat_client.post(reverse("exams:attempt_submit", args=[attempt.pk]), {"token": attempt.token})
    with frozen(at(10, 6)):
        changed = _post_json(pat_client, save_url, {"token": attempt.token, "question": item["q"], "response": ["B"]})
        resubmit = pat_client.post(
            reverse("exams:attempt_submit", args=[attempt.pk]),
            {"token": attempt.token, f"q-{item['q']}": "B"},
        )
    assert changed.status_code == 409
    assert changed.json()["code"] == "submitted" and changed.json()["detail"] == "已交卷，不能再修改答案"
    assert resubmit.status_code == 302
    row = AttemptAnswer.objects.get(attempt=attempt, question_id=item["q"])
    assert row.response == [item["options"][0]] and row.saved_at == at(10, 5)
    with pytest.raises(services.ExamError):
        services.attempt_save_answer(attempt, attempt.token, item["q"], ["B"], now=at(10, 7))


def test_replayed_autosave_with_a_stale_token_is_refused(pat_client, secret_exam, principal):
    with frozen(at(10)):
        pat_client.post(reverse("exams:exam_start", args=[secret_exam.pk]))
    old = Attempt.objects.get()
    q = old.layout[0]["q"]
    save_url = reverse("exams:attempt_answer", args=[old.pk])
    with frozen(at(10, 1)):
        request = {"token": old.token, "question": q, "response": ["A"]}
        assert _post_json(pat_client, save_url, request).status_code == 200
        # The exam is continued in another tab: a new token; the old page's requests are stale.
        pat_client.post(reverse("exams:exam_start", args=[secret_exam.pk]))
    current = Attempt.objects.get()
    assert current.pk == old.pk and current.token != old.token
    with frozen(at(10, 2)):
        replay = _post_json(pat_client, save_url, {**request, "response": ["C"]})
        forged = _post_json(pat_client, save_url, {**request, "token": "x" * 32, "response": ["C"]})
        missing = _post_json(pat_client, save_url, {"question": q, "response": ["C"]})
        stale_submit = pat_client.post(reverse("exams:attempt_submit", args=[old.pk]), {"token": old.token})
    assert replay.status_code == forged.status_code == missing.status_code == 403
    assert replay.json()["code"] == "bad_token" and "请刷新页面" in replay.json()["detail"]
    assert AttemptAnswer.objects.get(attempt=old).response == [old.layout[0]["options"][0]]
    assert stale_submit.status_code == 302 and Attempt.objects.get().status == Attempt.Status.IN_PROGRESS
    # With the current token the examinee carries on.
    with frozen(at(10, 3)):
        ok = _post_json(pat_client, save_url, {"token": current.token, "question": q, "response": ["C"]})
    assert ok.status_code == 200


def test_malformed_autosave_requests_are_400_not_500(pat_client, secret_exam, principal):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    url = reverse("exams:attempt_answer", args=[attempt.pk])
    with frozen(at(10, 1)):
        assert pat_client.post(url, data="not json", content_type="application/json").status_code == 400
        assert pat_client.post(url, data="[1, 2]", content_type="application/json").status_code == 400
        big = _post_json(
            pat_client, url, {"token": attempt.token, "question": attempt.layout[0]["q"], "response": ["x" * 20000]}
        )
        assert big.status_code == 413
        assert pat_client.get(url).status_code == 405
    assert not AttemptAnswer.objects.exists()


def test_review_shows_answers_only_after_grading_and_after_the_window_closes(pat_client, secret_exam, principal, ent_a):
    attempt = services.attempt_start(secret_exam, principal.employee, now=at(10))
    services.attempt_submit(attempt, now=at(10, 5))
    review_url = reverse("exams:attempt_review", args=[attempt.pk])
    with frozen(at(16, 59)):
        early = pat_client.get(review_url, follow=True)
    assert SECRET_EXPLANATION not in early.content.decode()
    assert "考试结束后（2026-03-02 17:00）才能查看答案与解析" in early.content.decode()
    with frozen(at(17)):
        late = pat_client.get(review_url)
    assert late.status_code == 200 and SECRET_EXPLANATION in late.content.decode()

    score_only = exam(ent_a, secret_exam.paper, title="只看成绩的考试")
    attempt = services.attempt_start(score_only, principal.employee, now=at(10))
    services.attempt_submit(attempt, now=at(10, 5))
    with frozen(at(18)):
        never = pat_client.get(reverse("exams:attempt_review", args=[attempt.pk]), follow=True)
    assert SECRET_EXPLANATION not in never.content.decode() and "只公布成绩" in never.content.decode()
