"""No 500 from any autosave or submit body (issue 16, "Why 5"), and the
autosave's sequence numbers: an older save never overwrites a newer one.
Run on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``)."""

# ruff: noqa: F811  (pytest fixtures imported from the helpers are redefined as arguments)

import json

import pytest
from django.db import connection
from django.urls import reverse

from exams import services
from exams.models import Attempt, AttemptAnswer

from .admin_helpers import sam  # noqa: F401  (fixtures)
from .admin_helpers import url as admin_url
from .engine_helpers import at, bank_a, exam, fill, fixed_paper, frozen, principal, single  # noqa: F401

pytestmark = pytest.mark.django_db

SHAPE = {"detail", "code", "errors"}


@pytest.fixture
def paper_exam(ent_a, bank_a):
    return exam(ent_a, fixed_paper(ent_a, [(single(bank_a), 50), (fill(bank_a), 50)]))


@pytest.fixture
def attempt(paper_exam, principal):
    return services.attempt_start(paper_exam, principal.employee, now=at(10))


@pytest.fixture
def pat(client, principal):
    client.force_login(principal)
    return client


def _fill_q(attempt) -> int:
    return next(i["q"] for i in attempt.layout if i["type"] == "fill_blank")


def _save(client, attempt, raw):
    body = raw if isinstance(raw, bytes | str) else json.dumps(raw)
    return client.post(reverse("exams:attempt_answer", args=[attempt.pk]), data=body, content_type="application/json")


def _raw(attempt, question: str, response: str = '["预防"]', seq: str = "1") -> str:
    """An autosave body with the given JSON text for question, response and seq."""
    return f'{{"token": "{attempt.token}", "question": {question}, "response": {response}, "seq": {seq}}}'


def _why5_bodies(attempt):
    q = _fill_q(attempt)
    return {
        "question 1e999": _raw(attempt, "1e999"),
        "question Infinity": _raw(attempt, "Infinity"),
        "question -Infinity": _raw(attempt, "-Infinity"),
        "question NaN": _raw(attempt, "NaN"),
        "question 10**30": _raw(attempt, "1" + "0" * 30),
        "question 4300+ digits": _raw(attempt, "9" * 5000),
        "question float": _raw(attempt, f"{q}.0"),
        "question string": _raw(attempt, f'"{q}"'),
        "question true": _raw(attempt, "true"),
        "seq 1e999": _raw(attempt, str(q), seq="1e999"),
        "seq negative": _raw(attempt, str(q), seq="-1"),
        "seq huge": _raw(attempt, str(q), seq=str(2**64)),
        "nested 5000": _raw(attempt, str(q), response="[" * 5000 + "]" * 5000),
        "nested object 2500": '{"a":' * 2500 + "1" + "}" * 2500,
        "lone surrogate": _raw(attempt, str(q), response='["\\ud800"]'),
        "lone low surrogate": _raw(attempt, str(q), response='["a\\udfffb"]'),
        "NUL": _raw(attempt, str(q), response='["a\\u0000b"]'),
        "NUL in a key": f'{{"token": "{attempt.token}", "question": {q}, "response": ["x"], "seq": 1, "\\u0000": 1}}',
        "not utf-8": b'{"token": "\xff\xfe"}',
        "not an object": "[1, 2]",
        "empty": "",
    }


def test_every_why5_autosave_body_is_a_400_in_the_one_error_shape(pat, attempt):
    with frozen(at(10, 1)):
        for name, body in _why5_bodies(attempt).items():
            response = _save(pat, attempt, body)
            assert response.status_code == 400, (name, response.status_code, response.content[:200])
            data = response.json()
            assert set(data) >= SHAPE and data["detail"] and data["code"], (name, data)
            assert all(isinstance(v, list) for v in data["errors"].values()), (name, data)
    assert not AttemptAnswer.objects.exists()
    assert Attempt.objects.get().status == Attempt.Status.IN_PROGRESS


def test_the_refusals_name_the_field_and_the_reason(pat, attempt):
    q = _fill_q(attempt)
    with frozen(at(10, 1)):
        infinity = _save(pat, attempt, _raw(attempt, "Infinity")).json()
        huge = _save(pat, attempt, _raw(attempt, "1" + "0" * 30)).json()
        deep = _save(pat, attempt, _raw(attempt, str(q), response="[" * 5000 + "]" * 5000)).json()
        surrogate = _save(pat, attempt, _raw(attempt, str(q), response='["\\ud800"]')).json()
        nul = _save(pat, attempt, _raw(attempt, str(q), response='["\\u0000"]')).json()
        too_large = _save(pat, attempt, _raw(attempt, str(q), response=json.dumps(["x" * 20_000])))
    assert infinity["code"] == "bad_json"
    assert huge["code"] == "invalid" and list(huge["errors"]) == ["question"]
    assert deep["code"] == "too_deep"
    assert surrogate["code"] == nul["code"] == "bad_text" and list(surrogate["errors"]) == ["response"]
    assert "无法保存的字符" in surrogate["detail"]
    assert too_large.status_code == 413 and too_large.json()["code"] == "too_large"


def test_a_valid_surrogate_pair_and_ordinary_text_are_saved(pat, attempt):
    q = _fill_q(attempt)
    with frozen(at(10, 1)):
        response = _save(pat, attempt, _raw(attempt, str(q), response='["\\ud83d\\ude00 预防"]'))
    assert response.status_code == 200, response.content
    assert AttemptAnswer.objects.get().response == ["😀 预防"]


def test_submit_form_with_a_nul_is_refused_with_a_message_not_a_500(pat, attempt):
    q = _fill_q(attempt)
    number = next(n for n, i in enumerate(attempt.layout, start=1) if i["q"] == q)
    submit = reverse("exams:attempt_submit", args=[attempt.pk])
    with frozen(at(10, 2)):
        as_json = pat.post(submit, {"token": attempt.token, f"q-{q}": "预\x00防"}, HTTP_ACCEPT="application/json")
        as_form = pat.post(submit, {"token": attempt.token, f"q-{q}": "预\x00防"}, follow=True)
    assert as_json.status_code == 400
    assert as_json.json()["code"] == "bad_text" and list(as_json.json()["errors"]) == [f"q-{q}"]
    assert f"第 {number} 题" in as_json.json()["detail"]
    assert as_form.status_code == 200 and "无法保存的字符" in as_form.content.decode()
    assert Attempt.objects.get().status == Attempt.Status.IN_PROGRESS and not AttemptAnswer.objects.exists()
    # Corrected, the submission goes through.
    with frozen(at(10, 3)):
        ok = pat.post(submit, {"token": attempt.token, f"q-{q}": "预防"}, HTTP_ACCEPT="application/json")
    assert ok.status_code == 200 and Attempt.objects.get().status == Attempt.Status.GRADED


def test_submit_form_after_the_deadline_ignores_a_bad_answer_and_submits(pat, attempt):
    q = _fill_q(attempt)
    with frozen(attempt.deadline):
        response = pat.post(
            reverse("exams:attempt_submit", args=[attempt.pk]),
            {"token": attempt.token, f"q-{q}": "\x00"},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 200 and Attempt.objects.get().status == Attempt.Status.GRADED


def test_the_service_refuses_nul_and_surrogates_whatever_the_caller(attempt):
    q = _fill_q(attempt)
    for bad in ("\x00", "a\ud800", "\udc00"):
        with pytest.raises(services.ExamError) as refused:
            services.attempt_save_answer(attempt, attempt.token, q, [bad], now=at(10, 1))
        assert refused.value.code == "bad_response"
    for bad_id in (float("inf"), 1e300, "12", None, True):
        with pytest.raises(services.ExamError) as refused:
            services.attempt_save_answer(attempt, attempt.token, bad_id, ["预防"], now=at(10, 1))
        assert refused.value.code == "unknown_question"
    assert not AttemptAnswer.objects.exists()


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL refuses to store NUL or a lone surrogate")
def test_a_bad_string_already_stored_cannot_lock_the_examinee_or_trainer_out(pat, attempt, as_user, sam):
    """Before the checks, SQLite stored a lone surrogate: the answering page and the
    back office's answer sheet must still render (the character shown as U+FFFD)."""
    assert connection.vendor == "sqlite"
    q = _fill_q(attempt)
    AttemptAnswer.objects.create(attempt=attempt, question_id=q, response=["预\ud800防\x00"], saved_at=at(10, 1))
    with frozen(at(10, 2)):
        page = pat.get(reverse("exams:attempt", args=[attempt.pk]))
    assert page.status_code == 200 and "预\ufffd防\ufffd" in page.content.decode()
    with frozen(at(10, 3)):
        services.attempt_submit(attempt, now=at(10, 3))
    sheet = as_user(sam).get(admin_url("exam_attempt", "inspect", attempt))
    assert sheet.status_code == 200 and "预\ufffd防\ufffd" in sheet.content.decode()
    with frozen(at(10, 4)):
        assert pat.get(reverse("exams:attempt_result", args=[attempt.pk])).status_code == 200


# --- sequence numbers ------------------------------------------------------------------------------


def _seq_save(client, attempt, q, text, seq):
    return _save(client, attempt, {"token": attempt.token, "question": q, "response": [text], "seq": seq})


def test_a_replayed_older_save_never_reverts_a_newer_answer(pat, attempt):
    q = _fill_q(attempt)
    with frozen(at(10, 1)):
        first = _seq_save(pat, attempt, q, "旧答案", 5)
        newer = _seq_save(pat, attempt, q, "新答案", 6)
    with frozen(at(10, 2)):
        replay = _seq_save(pat, attempt, q, "旧答案", 5)
        same = _seq_save(pat, attempt, q, "同序号", 6)
    assert first.status_code == newer.status_code == replay.status_code == same.status_code == 200
    assert "stale" not in first.json() and "stale" not in newer.json()
    assert replay.json()["stale"] is True and same.json()["stale"] is True
    row = AttemptAnswer.objects.get()
    assert (row.response, row.seq, row.saved_at) == (["新答案"], 6, at(10, 1))
    # The next save of the page goes through.
    with frozen(at(10, 3)):
        assert "stale" not in _seq_save(pat, attempt, q, "再改", 7).json()
    assert AttemptAnswer.objects.get().response == ["再改"]


def test_sequence_numbers_are_per_answer_and_the_page_starts_above_the_stored_ones(pat, attempt):
    q = _fill_q(attempt)
    other = next(i["q"] for i in attempt.layout if i["q"] != q)
    with frozen(at(10, 1)):
        assert "stale" not in _seq_save(pat, attempt, q, "预防", 1_733_000_000_000).json()
        # Another question with a smaller number is its own answer: saved.
        saved = _save(pat, attempt, {"token": attempt.token, "question": other, "response": ["A"], "seq": 3})
        assert saved.status_code == 200 and "stale" not in saved.json()
        page = pat.get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
    assert 'data-seq="1733000000000"' in page


def test_the_submit_form_has_the_last_word_whatever_the_sequence(pat, attempt):
    q = _fill_q(attempt)
    with frozen(at(10, 1)):
        _seq_save(pat, attempt, q, "自动保存", 99)
        pat.post(reverse("exams:attempt_submit", args=[attempt.pk]), {"token": attempt.token, f"q-{q}": "预防"})
    assert AttemptAnswer.objects.get(question_id=q).response == ["预防"]
    assert Attempt.objects.get().status == Attempt.Status.GRADED


def test_an_autosave_without_a_sequence_number_is_refused(pat, attempt):
    with frozen(at(10, 1)):
        response = _save(pat, attempt, {"token": attempt.token, "question": _fill_q(attempt), "response": ["x"]})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["seq"]
    assert not AttemptAnswer.objects.exists()
