"""API errors: Django's ValidationError and PermissionDenied from services
become 400 with field errors and 403, a lost write race becomes 409; never a
500 for something the client sent. Every error body has the one shape of
lms.jsonbody: ``{"detail": 说明, "code": 机器码, "errors": {字段: [说明, …]}}``."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from lms import jsonbody

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("数据冲突（可能已被他人同时修改），请刷新后重试")
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("请求体过大")
    default_code = "request_too_large"


def django_error_detail(exc: DjangoValidationError, field_names: dict[str, str] | None = None) -> dict:
    """``{field: [messages]}`` for a Django ValidationError.

    Service errors name model fields ("post", "org_unit"); ``field_names`` maps
    them to the names the API client sent ("post_code", "org_unit_code").
    """
    field_names = field_names or {}
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in exc.messages]}
    detail = {}
    for field, messages in exc.message_dict.items():
        name = api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field_names.get(field, field)
        detail.setdefault(name, []).extend(str(m) for m in messages)
    return detail


class BodyRefused(exceptions.APIException):
    """A request body lms.jsonbody refused (400, or 413 when too large)."""

    def __init__(self, refusal: jsonbody.BadRequest):
        super().__init__(refusal.detail, refusal.code)
        self.status_code = refusal.status
        self.errors = refusal.errors


def exception_handler(exc, context):
    """DRF's handler, taught about the exceptions our services raise, with
    every answer in the one error shape."""
    view = context.get("view")
    if isinstance(exc, jsonbody.BadRequest):
        exc = BodyRefused(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_error_detail(exc, getattr(view, "service_error_fields", None)))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        # Two writers raced past the service's checks; the database refused
        # the second. The client may simply retry.
        logger.warning("API write refused by a database constraint: %s", exc)
        exc = Conflict()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_data(exc)
    return response


def error_data(exc: exceptions.APIException) -> dict:
    """``{"detail", "code", "errors"}`` for an API exception. Field errors of
    nested data are named by their path (``items.0.name``); errors that
    belong to no field are under ``non_field_errors``."""
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        non_field = api_settings.NON_FIELD_ERRORS_KEY
        if list(errors) == [non_field]:
            detail = "；".join(errors[non_field])
        else:
            detail = _("请求数据有误：%(fields)s") % {"fields": "、".join(k for k in errors if k != non_field)}
        return jsonbody.error_body(detail, "invalid", errors)
    detail = exc.detail
    if isinstance(detail, dict | list):  # an APIException raised with structured detail
        return jsonbody.error_body(_("请求有误"), exc.default_code, _flatten(detail))
    return jsonbody.error_body(str(detail), getattr(detail, "code", None) or exc.default_code,
                               getattr(exc, "errors", None))


def _flatten(detail) -> dict[str, list[str]]:
    """``{field path: [messages]}`` from DRF's nested error detail (an explicit stack, no recursion)."""
    errors: dict[str, list[str]] = {}
    stack = [("", detail)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, list):
            errors.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).extend(str(v) for v in value)
        else:
            errors.setdefault(path or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(value))
    return errors
