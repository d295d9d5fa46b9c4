"""Request body parsing that answers 400 for any malformed body, never 500."""

import json

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser, get_encoding


def _reject_constant(value):
    # NaN and Infinity are not JSON (RFC 8259).
    raise ValueError(value)


class StrictJSONParser(JSONParser):
    """JSON bodies, with every malformed one a 400 in Chinese.

    DRF's own parser lets a deeply nested body (``[[[[…``) escape as a
    RecursionError (a 500). The size limit is Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, answered with 413 in lms.api.exceptions.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            return json.loads(stream.read().decode(encoding), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("请求体不是有效的 %(encoding)s 文本") % {"encoding": encoding}) from None
        except (ValueError, RecursionError):
            raise exceptions.ParseError(_("请求体不是有效的 JSON")) from None
