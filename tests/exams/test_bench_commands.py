"""The load test's seed and verify commands (bench/exam_load.py): the fleet they
write logs examinees in to the real autosave endpoint (session cookie, CSRF,
attempt token), and the verifier catches a lost or foreign answer."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from bench.seed import exam_seed, exam_verify
from bench.seed.exam_seed import QUESTION_BASE, question_id_template
from exams.models import Attempt, AttemptAnswer

pytestmark = pytest.mark.django_db


def _seed(tmp_path, users=3, questions=5):
    fleet = tmp_path / "fleet.json"
    call_command(exam_seed.Command(), users=users, fleet=str(fleet), questions=questions, stdout=open("/dev/null", "w"))
    return json.loads(fleet.read_text())


def _client(identity) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = identity["sessionid"]
    client.cookies["csrftoken"] = identity["csrftoken"]
    return client


def _save(identity, n, answer, seq=1):
    """What the load generator sends for question number n (1…Q)."""
    assert question_id_template() == "{question}"  # the generator sends n itself, typed
    body = {"token": identity["token"], "question": QUESTION_BASE + n, "response": [answer], "seq": seq}
    return _client(identity).post(
        f"/exams/attempts/{identity['attempt_id']}/answer/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=identity["csrftoken"],
    )


def _verify(tmp_path, lines, *extra):
    log = tmp_path / "requests.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "verify.out"
    with open(out, "w") as fh:
        call_command(exam_verify.Command(), "--log", str(log), *extra, stdout=fh)
    return json.loads(out.read_text().strip().splitlines()[-1])


def _line(identity, user, seq, n, answer, status):
    return {
        "u": user, "s": seq, "ok": status == 200, "st": status, "err": None,
        "vars": {"attempt_id": identity["attempt_id"], "question": n, "answer": answer},
    }


def test_the_fleet_autosaves_through_the_real_endpoint_and_verifies(tmp_path):
    fleet = _seed(tmp_path)
    people = fleet["examinees"]
    assert len(people) == 3 and fleet["questions"] == 5
    from bench.exam_load import QUESTION_ID_TEMPLATE

    assert QUESTION_ID_TEMPLATE == question_id_template()
    lines = []
    for user, identity in enumerate(people):
        for seq, n in enumerate((1, 1, 2)):  # the same question twice, then the next
            answer = f"run-u{user}-s{seq}|"
            response = _save(identity, n, answer, seq)
            assert response.status_code == 200, response.content
            lines.append(_line(identity, user, seq, n, answer, 200))
    result = _verify(tmp_path, lines)
    assert (result["lost"], result["duplicated"], result["phantom"], result["ok"]) == (0, 0, 0, True)
    assert result["acked_keys"] == 6 and result["rows"] == 6

    # A row that lost its latest answer, and one nobody sent, are caught.
    row = AttemptAnswer.objects.get(attempt_id=people[0]["attempt_id"], question_id=QUESTION_BASE + 1)
    row.response = ["run-u0-s0|"]
    row.save()
    AttemptAnswer.objects.create(attempt_id=people[1]["attempt_id"], question_id=QUESTION_BASE + 5, response=["x"])
    result = _verify(tmp_path, lines)
    assert (result["lost"], result["phantom"], result["ok"]) == (1, 1, False)


def test_requests_without_the_csrf_token_or_with_another_attempt_are_refused(tmp_path):
    first, second = _seed(tmp_path, users=2)["examinees"]
    client = _client(first)
    no_csrf = client.post(
        f"/exams/attempts/{first['attempt_id']}/answer/",
        data=json.dumps({"token": first["token"], "question": QUESTION_BASE + 1, "response": ["a"]}),
        content_type="application/json",
    )
    assert no_csrf.status_code == 403
    foreign = dict(first, attempt_id=second["attempt_id"], token=second["token"])
    assert _save(foreign, 1, "a").status_code == 404
    assert not AttemptAnswer.objects.exists()


def test_submitting_everything_twice_grades_each_attempt_once(tmp_path):
    people = _seed(tmp_path)["examinees"]
    lines = []
    for user, identity in enumerate(people):
        assert _save(identity, 2, f"r-u{user}") .status_code == 200
        lines.append(_line(identity, user, 0, 2, f"r-u{user}", 200))
    assert _verify(tmp_path, lines, "--submitted")["ungraded"] == 3
    for identity in people:
        for _replay in range(2):
            response = _client(identity).post(
                f"/exams/attempts/{identity['attempt_id']}/submit/",
                {"token": identity["token"]},
                HTTP_ACCEPT="application/json",
                HTTP_X_CSRFTOKEN=identity["csrftoken"],
            )
            assert response.status_code == 200 and response.json()["status"] == "graded"
    result = _verify(tmp_path, lines, "--submitted")
    assert result["ok"] and result["graded"] == 3 and result["regraded"] == 0 and result["records_missing"] == 0
    assert result["answer_rows_wrong"] == 0 and result["lost"] == 0
    # The archive keeps graded attempts' records: the seed refuses to wipe them.
    with pytest.raises(Exception, match="新的数据库"):
        _seed(tmp_path)


def test_reseeding_clears_answers_and_replaces_sessions_and_attempts(tmp_path):
    before = _seed(tmp_path, users=2)["examinees"]
    assert _save(before[0], 1, "a").status_code == 200
    after = _seed(tmp_path, users=4)["examinees"]
    assert len(after) == 4 and not AttemptAnswer.objects.exists()
    assert Attempt.objects.count() == 4
    assert [p["employee_no"] for p in after[:2]] == [p["employee_no"] for p in before]
    stale = _client(before[0]).post(f"/exams/attempts/{after[0]['attempt_id']}/answer/", data="{}",
                                    content_type="application/json")
    assert stale.status_code in (302, 403)  # the old session is gone: not logged in
    assert _save(after[0], 1, "b").status_code == 200
