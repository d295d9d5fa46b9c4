"""Request body parsing that answers 400/413 for any bad body, never 500."""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser, get_encoding


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "请求体过大"
    default_code = "request_too_large"


def _reject_constant(value):
    # NaN and Infinity are not JSON (RFC 8259).
    raise ValueError(value)


class LimitedJSONParser(JSONParser):
    """JSON bodies up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes.

    DRF's own parser reads without a size limit and lets a deeply nested body
    (``[[[[…``) escape as a RecursionError; both become client errors here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(_("请求体过大（上限 %(limit)d 字节）") % {"limit": limit})
        try:
            return json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("请求体不是有效的 %(encoding)s 文本") % {"encoding": encoding}) from None
        except (ValueError, RecursionError):
            raise exceptions.ParseError(_("请求体不是有效的 JSON")) from None
