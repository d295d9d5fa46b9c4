"""Hypothesis over arbitrary JSON bodies of the API's write endpoints, with
what schemathesis does not send (lone surrogates, NaN/Infinity, bracket
towers, raw bytes): never a 5xx, every refusal in the one error shape."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..fuzz_json import FUZZ, assert_not_5xx_and_refusals_shaped, bodies, encode

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("POST", "/api/v1/employees/"): {
        "employee_no": st.just("A0100"), "name": st.just("陈晨"), "id_number": st.just("31010419950618042X"),
        "hire_date": st.just("2026-02-01"),
    },
    ("PATCH", "/api/v1/employees/A0001/"): {"name": st.just("张伟"), "phone": st.just("13912345678")},
    ("POST", "/api/v1/events/"): {
        "employee_no": st.just("A0001"), "type": st.just("leave"), "date": st.just("2026-01-10"),
    },
}


@given(data=st.data())
@FUZZ
def test_api_writes_never_answer_5xx(client_a, staff_a, data):
    method, url = data.draw(st.sampled_from(sorted(ENDPOINTS)))
    body = data.draw(bodies(ENDPOINTS[(method, url)]))
    response = client_a.generic(method, url, encode(body), content_type="application/json")
    assert_not_5xx_and_refusals_shaped(response, body, exact=True)
