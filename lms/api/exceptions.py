"""API errors: Django's ValidationError and PermissionDenied from services
become 400 with field errors and 403, a lost write race becomes 409; never a
500 for something the client sent."""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

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


def exception_handler(exc, context):
    """DRF's handler, taught about the exceptions our services raise."""
    view = context.get("view")
    if isinstance(exc, DjangoValidationError):
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
    return drf_exception_handler(exc, context)
