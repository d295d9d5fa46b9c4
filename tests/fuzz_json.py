"""Hypothesis strategies for hostile request bodies (issue 16: no 500 from any
body): arbitrary JSON with lone surrogates, NUL, huge and non-finite numbers,
wrong types; bracket towers far past the parser's recursion limit; raw bytes.
Shared by the fuzz tests of the exam, study and API endpoints."""

import json
import urllib.parse

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Every fuzz test: fixed and derandomised (CI sends the same bodies every run),
#: function-scoped fixtures shared by the examples (state piles up as for a real client).
FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Any code point, surrogates (category Cs) and NUL included.
texts = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | st.sampled_from(
    ["\ud800", "a\udfffb", "\x00", "预\x00防", "\ud83d\ude00", "", " ", "A", "true"]
)
numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0, 1, -1, 2**31, 2**53, 2**63, 2**64, 10**30, 1e308, 1e-320])
)
scalars = st.none() | st.booleans() | numbers | texts
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                      max_leaves=12)


def dumps(value) -> str:
    """JSON text as a hostile client writes it: NaN/Infinity tokens, \\udXXX escapes."""
    return json.dumps(value, allow_nan=True)


#: Raw texts json.dumps cannot produce: towers of brackets, huge literals, broken JSON.
raw_texts = st.one_of(
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.sampled_from(["1e999", "-1e999", "9" * 5000, "[NaN]", '{"a": Infinity}', "", "{", '{"a":1,}', "null"]),
)


def bodies(fields: dict) -> st.SearchStrategy:
    """Request bodies around an endpoint's real fields (``{name: strategy of good values}``):
    objects mixing good and hostile values, any JSON, raw texts and raw bytes."""
    field_values = {name: good | values for name, good in fields.items()}
    objects = st.fixed_dictionaries({}, optional=field_values) | st.dictionaries(texts, values, max_size=4)
    return st.one_of(objects.map(dumps), values.map(dumps), raw_texts, st.binary(max_size=40))


def encode(body) -> bytes:
    return body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")


def form_body(fields: dict[str, str | list[str]]) -> bytes:
    """A urlencoded form, surrogates written as their (invalid) UTF-8 bytes."""
    return urllib.parse.urlencode(fields, doseq=True, encoding="utf-8", errors="surrogatepass").encode()


def assert_not_5xx(response, body):
    assert response.status_code < 500, (response.status_code, body[:300] if body else body)


def assert_not_5xx_and_refusals_shaped(response, body, *, exact: bool = False):
    """No 5xx, and a refusal carries the one error shape (``exact``: nothing
    beside detail, code and errors)."""
    assert_not_5xx(response, body)
    if response.status_code >= 400:
        keys = set(response.json())
        if exact:
            assert keys == {"detail", "code", "errors"}, response.json()
        else:
            assert {"detail", "code", "errors"} <= keys
