"""Hypothesis over arbitrary bodies of the exam autosave and the submit form:
never a 5xx (issue 16, "No 500 from any body"); SQLite and PostgreSQL."""

# ruff: noqa: F811  (pytest fixtures imported from engine_helpers are redefined as arguments)

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from exams import services
from exams.models import Attempt

from ..fuzz_json import FUZZ, assert_not_5xx, assert_not_5xx_and_refusals_shaped, bodies, encode, form_body, texts
from .engine_helpers import at, bank_a, exam, fill, fixed_paper, frozen, principal, single  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(ent_a, bank_a, principal):
    paper = fixed_paper(ent_a, [(single(bank_a), 50), (fill(bank_a), 50)])
    return services.attempt_start(exam(ent_a, paper), principal.employee, now=at(10))


@pytest.fixture
def pat(client, principal):
    client.force_login(principal)
    return client


@given(data=st.data())
@FUZZ
def test_autosave_never_answers_5xx(pat, attempt, data):
    q_ids = [item["q"] for item in attempt.layout]
    body = data.draw(bodies({
        "token": st.just(attempt.token),
        "question": st.sampled_from(q_ids),
        "response": st.lists(st.sampled_from(["A", "B", True, "预防"]), max_size=2),
        "seq": st.integers(0, 2**53),
    }))
    url = reverse("exams:attempt_answer", args=[attempt.pk])
    with frozen(at(10, 1)):
        response = pat.post(url, data=encode(body), content_type="application/json")
    assert_not_5xx_and_refusals_shaped(response, body)


@given(data=st.data())
@FUZZ
def test_submit_form_never_answers_5xx_and_a_bad_answer_never_submits(pat, attempt, data):
    names = ["token"] + [f"q-{item['q']}" for item in attempt.layout]
    fields = data.draw(st.dictionaries(st.sampled_from(names) | texts, st.lists(texts, max_size=2), max_size=4))
    if data.draw(st.booleans()):
        fields["token"] = [attempt.token]
    body = form_body(fields)
    url = reverse("exams:attempt_submit", args=[attempt.pk])
    with frozen(at(10, 2)):
        response = pat.post(url, data=body, content_type="application/x-www-form-urlencoded",
                            HTTP_ACCEPT=data.draw(st.sampled_from(["application/json", "text/html"])))
    assert_not_5xx(response, body)
    # Graded at most once, whatever came before; a later request sees the result.
    assert Attempt.objects.filter(pk=attempt.pk).count() == 1
