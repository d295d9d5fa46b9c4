"""One way to read a JSON request body, and one error shape for refusing it.

Every JSON endpoint (the exam autosave, the study heartbeat and player
answers, the REST API's parser) reads its body through :func:`parse` /
:func:`loads`, so whatever a client sends is answered with a 4xx in the
shape ``{"detail": <说明>, "code": <机器码>, "errors": {字段: [说明, …]}}``
(:func:`error_body`), never a 500:

- **size**: bounded before the body is read (``Content-Length``) and after;
  413 ``too_large``;
- **depth**: brackets are counted outside strings *before* ``json.loads``,
  by a loop, not by recursion, so ``[[[[…`` never reaches the recursive
  parser (a RecursionError is a 500); 400 ``too_deep``;
- **numbers**: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259)
  and a float that overflows (``1e999``) is refused; 400 ``bad_json``;
  where an id or a counter is expected, :func:`int_field` takes only a JSON
  integer in range (no bool, no float, no string);
- **text**: a string (value or key) holding a lone surrogate (``"\\ud800"``,
  which no UTF-8 page can show or store) or NUL (``"\\u0000"``, which
  PostgreSQL refuses in text and jsonb) is refused anywhere in the document;
  400 ``bad_text``. :func:`text_problem` checks a single form field the same
  way.

Strings read back from storage go through :func:`displayable` before they
are rendered, so a bad string stored before these checks can never make a
page unrenderable.

A kernel module: imports no app.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _

#: Default bounds (each endpoint may pass tighter ones).
MAX_BYTES = 64 * 1024
MAX_DEPTH = 32
#: The largest integer a browser can send exactly (Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1

# A JSON string (the bracket counter skips them), and the escapes that can
# produce a NUL or a surrogate once decoded (strict UTF-8 carries neither raw).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class BadRequest(ValidationError):
    """A request refused with the one error shape (400, or 413 when too large).

    A ValidationError, so code that already refuses invalid input on one
    (``except ValidationError``) refuses a bad body the same way."""

    def __init__(self, detail: str, *, code: str = "bad_request", errors: Mapping | None = None, status: int = 400):
        super().__init__(str(detail), code=code)
        self.detail = str(detail)
        self.code = code
        self.errors = {str(k): [str(m) for m in v] for k, v in (errors or {}).items()}
        self.status = status

    def body(self) -> dict:
        return error_body(self.detail, self.code, self.errors)

    def response(self) -> JsonResponse:
        return error_response(self.detail, self.code, self.errors, status=self.status)


def error_body(detail, code: str, errors: Mapping | None = None, **extra) -> dict:
    """The one error shape: ``{"detail", "code", "errors", **extra}``."""
    return {
        "detail": str(detail),
        "code": code,
        "errors": {str(k): [str(m) for m in v] for k, v in (errors or {}).items()},
        **extra,
    }


def error_response(detail, code: str, errors: Mapping | None = None, *, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse(error_body(detail, code, errors, **extra), status=status)


def _too_large() -> BadRequest:
    return BadRequest(_("请求体过大"), code="too_large", status=413)


def _bad_json() -> BadRequest:
    return BadRequest(_("请求体不是有效的 JSON"), code="bad_json")


def parse(request, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH, empty=None) -> dict:
    """The JSON object a request carries; :class:`BadRequest` for anything
    else. An empty body is ``empty`` (refused when None)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise _too_large()  # refused before reading it
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_large() from None
    if not body and empty is not None:
        return empty
    data = loads(body, max_bytes=max_bytes, max_depth=max_depth)
    if not isinstance(data, dict):
        raise BadRequest(_("请求体应为 JSON 对象"), code="bad_json")
    return data


def loads(raw: bytes | str, *, max_bytes: int | None = MAX_BYTES, max_depth: int = MAX_DEPTH):
    """Parse a JSON document under the module's rules (any JSON value)."""
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:  # a str with lone surrogates
            raise _bad_text() from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise _too_large()
    if _depth(raw) > max_depth:
        raise BadRequest(_("请求体嵌套过深"), code="too_deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(_("请求体不是有效的 UTF-8 文本"), code="bad_encoding") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # RecursionError: unreachable after _depth, kept as a seatbelt
        raise _bad_json() from None
    if _SUSPECT_ESCAPE.search(text):
        _check_strings(data)
    return data


def _depth(raw: bytes) -> int:
    """Deepest nesting of ``[``/``{`` outside strings, without recursion."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def _refuse_constant(name):
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _bad_text(field: str | None = None) -> BadRequest:
    errors = {field: [_("含有无法保存的字符（空字符或不成对的代理码位）")]} if field else None
    return BadRequest(_("请求含有无法保存的字符（空字符或不成对的代理码位）"), code="bad_text", errors=errors)


def _check_strings(data) -> None:
    """Refuse a NUL or a lone surrogate in any string or key, naming the
    top-level field it is under (an explicit stack, no recursion)."""
    if isinstance(data, dict):
        stack = []
        for key, value in data.items():
            if _BAD_CHARS.search(key):
                raise _bad_text()
            stack.append((value, key))
    else:
        stack = [(data, None)]
    while stack:
        value, field = stack.pop()
        if isinstance(value, str):
            if _BAD_CHARS.search(value):
                raise _bad_text(field)
        elif isinstance(value, dict):
            stack.extend((k, field) for k in value)
            stack.extend((v, field) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, field) for v in value)


# --- fields ---------------------------------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Why a text (e.g. a form field) cannot be stored, or None when it can."""
    if _BAD_CHARS.search(value):
        return _("含有无法保存的字符（空字符或不成对的代理码位）")
    return None


def displayable(value):
    """``value`` with any NUL or lone surrogate replaced by U+FFFD, for
    rendering a string that reached storage before these checks."""
    if isinstance(value, str) and _BAD_CHARS.search(value):
        return _BAD_CHARS.sub("\ufffd", value)
    return value


def int_field(data: Mapping, name: str, *, required: bool = True, minimum: int = 0,
              maximum: int = MAX_SAFE_INTEGER) -> int | None:
    """``data[name]`` as an int: only a JSON integer (never a bool, float or
    string) within ``minimum..maximum``; BadRequest naming the field."""
    value = data.get(name)
    if value is None:
        if required:
            raise field_error(name, _("必填"))
        return None
    if type(value) is not int:
        raise field_error(name, _("应为整数"))
    if not minimum <= value <= maximum:
        raise field_error(name, _("超出允许范围（%(min)s–%(max)s）") % {"min": minimum, "max": maximum})
    return value


def field_error(name: str, message: str, *, code: str = "invalid") -> BadRequest:
    """A BadRequest about one field."""
    return BadRequest(_("请求数据有误：%(field)s") % {"field": name}, code=code, errors={name: [message]})
