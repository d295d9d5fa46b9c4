"""Hypothesis over arbitrary bodies of the study endpoints — the heartbeat
(answered by courses.speed ahead of the stack, or by the view) and the
lesson's question: never a 5xx (issue 16); SQLite and PostgreSQL."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import login_with_mfa

from ..fuzz_json import FUZZ, assert_not_5xx_and_refusals_shaped, bodies, encode
from .conftest import question_id

pytestmark = pytest.mark.django_db(transaction=False)

HEARTBEAT = "/learn/heartbeat/"


@pytest.fixture
def me(learner):
    return login_with_mfa(Client(), learner)


@given(data=st.data())
@FUZZ
def test_heartbeat_never_answers_5xx(me, lesson, data):
    token = me.post(reverse("courses:study_start", args=[lesson.pk])).json()["token"]
    body = data.draw(bodies({
        "token": st.just(token),
        "seq": st.integers(0, 5),
        "position": st.floats(0, 100),
        "duration": st.floats(0, 100),
        "idle": st.integers(0, 100),
        "visible": st.booleans(),
        "playing": st.booleans(),
        "presence": st.just(""),
    }))
    response = me.post(HEARTBEAT, data=encode(body), content_type="application/json")
    assert_not_5xx_and_refusals_shaped(response, body)


@given(data=st.data())
@FUZZ
def test_lesson_answer_never_answers_5xx(me, lesson, data):
    body = data.draw(bodies({
        "question": st.just(question_id(lesson)),
        "choices": st.lists(st.integers(0, 3), max_size=3),
    }))
    response = me.post(reverse("courses:lesson_answer", args=[lesson.pk]), data=encode(body),
                       content_type="application/json")
    assert_not_5xx_and_refusals_shaped(response, body)
