"""Request body parsing that answers 400 for any malformed body, never 500."""

from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser, get_encoding

from lms import jsonbody


class StrictJSONParser(JSONParser):
    """JSON bodies read by :mod:`lms.jsonbody` (bounded depth, no NaN or
    Infinity, no NUL or lone surrogate in any string), every malformed one a
    400 in the one error shape (lms.api.exceptions). The size limit is
    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, answered with 413."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        encoding = get_encoding(parser_context or {})
        if encoding.replace("_", "-").lower() not in ("utf-8", "utf8"):
            try:
                raw = raw.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                raise jsonbody.BadRequest(
                    _("请求体不是有效的 %(encoding)s 文本") % {"encoding": encoding}, code="bad_encoding"
                ) from None
        return jsonbody.loads(raw, max_bytes=None)
