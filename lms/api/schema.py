"""OpenAPI description of what every endpoint has in common, for
drf-spectacular: our token authentication, the error bodies the API really
answers with (see lms.api.exceptions: the one error shape of lms.jsonbody,
``{"detail", "code", "errors"}``), and their response headers. Imported by
lms.api_urls so the extensions are registered before the schema is
generated."""

from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class EnterpriseTokenScheme(OpenApiAuthenticationExtension):
    target_class = "lms.accounts.api_auth.EnterpriseTokenAuthentication"
    name = "enterpriseToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "企业 API 令牌：请求头 `Authorization: Token ax_…`。令牌绑定一个企业；"
            "只读令牌不能调用写入接口。用 `python manage.py create_api_token` 创建。",
        }


def only_public_api(endpoints):
    """Keep the endpoints under /api/: Wagtail's admin API also uses DRF but
    is internal to the back office and not part of our published interface."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


# --- error bodies ----------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """错误：每个错误响应都是这一种格式——detail 为说明，code 为机器可读代码，errors 为逐字段的错误
    （{字段: [错误信息, …]}，不属于某个字段的在 non_field_errors 下；没有字段错误时为空对象）。"""

    detail = serializers.CharField(help_text=gettext_lazy("错误说明（随 Accept-Language 为中文或英文）"))
    code = serializers.CharField(
        help_text=gettext_lazy(
            "机器可读代码，如 invalid（字段有误）、bad_json（请求体无法解析）、too_deep（嵌套过深）、"
            "bad_text（含空字符或不成对的代理码位）、not_found、permission_denied、mfa_required、throttled"
        )
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy("逐字段的错误：{字段: [错误信息, …]}；嵌套字段以点号连接路径，如 items.0.name"),
    )


def error_example(name: str, detail: str, code: str, status: int, errors: dict | None = None) -> OpenApiExample:
    """A documented error response in the one error shape."""
    return OpenApiExample(
        name, value={"detail": detail, "code": code, "errors": errors or {}}, status_codes=[str(status)]
    )


_DESCRIPTIONS = {
    400: gettext_lazy(
        "输入有误：查询参数或请求体的字段错误在 errors 中为 {字段: [错误信息]}（整体错误在 non_field_errors 下）；"
        "请求体无法解析、嵌套过深或含空字符、不成对的代理码位时 code 说明原因，errors 为空"
    ),
    401: gettext_lazy("未提供身份凭据，或令牌无效、已吊销（响应头 WWW-Authenticate: Token）"),
    403: gettext_lazy("无权访问：只读令牌调用写入接口、账号没有相应角色、监管人员调用本接口等"),
    404: gettext_lazy("对象不存在，或属于其他企业"),
    409: gettext_lazy("数据冲突：他人同时修改了同一数据，数据库拒绝了本次写入；刷新后可重试"),
    413: gettext_lazy("请求体过大"),
    429: gettext_lazy("请求过于频繁（按令牌或账号计数）：请在 Retry-After 秒后重试"),
}

_EXAMPLES = {
    401: [error_example("令牌无效", "令牌无效或已吊销", "authentication_failed", 401)],
    403: [error_example("无权限", "您没有访问该接口的权限", "permission_denied", 403)],
    404: [error_example("不存在", "未找到该员工", "not_found", 404)],
    409: [error_example("同时修改", "数据冲突（可能已被他人同时修改），请刷新后重试", "conflict", 409)],
    413: [error_example("请求体过大", "请求体过大", "request_too_large", 413)],
    429: [error_example("限流", "请求已被限流。 预计 37 秒后可用。", "throttled", 429)],
}

_QUERY_ERROR = error_example("查询参数有误", "请求数据有误：status", "invalid", 400, {"status": ["“x” 不是合法选项。"]})
_BODY_ERRORS = [
    error_example("字段有误", "请求数据有误：employee_no", "invalid", 400, {"employee_no": ["该企业已有此工号的员工"]}),
    error_example("请求体无法解析", "请求体不是有效的 JSON", "bad_json", 400),
]

#: The errors of every signed-in read: bad query parameters, no or a bad
#: credential, no permission, throttled.
READ_ERRORS = (400, 401, 403, 429)
#: The errors of every write, on top: a lost write race, a body too large.
WRITE_ERRORS = (400, 401, 403, 409, 413, 429)


def error_responses(*codes, descriptions=None, examples=None) -> dict[int, OpenApiResponse]:
    """The documented error responses ``codes`` of one operation, each with
    the body the API really sends and an example.

    ``descriptions`` (``{code: text}``, e.g. what a 404 means here) and
    ``examples`` (``{code: [OpenApiExample]}``) replace the generic ones. A
    write (413 among the codes) gets request-body examples for 400, a read
    query-parameter ones.
    """
    descriptions = {**_DESCRIPTIONS, **(descriptions or {})}
    examples = examples or {}
    responses = {}
    for code in codes:
        if code in examples:
            code_examples = examples[code]
        elif code == 400:
            code_examples = _BODY_ERRORS if 413 in codes else [_QUERY_ERROR]
        else:
            code_examples = _EXAMPLES[code]
        responses[code] = OpenApiResponse(ErrorSerializer, description=descriptions[code], examples=code_examples)
    return responses


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the response headers DRF always sends
    with some errors: ``WWW-Authenticate`` with a 401 (so clients know to
    send a token) and ``Retry-After`` with a 429 (seconds until the next
    request is allowed)."""

    _HEADERS = {
        "401": {
            "WWW-Authenticate": {
                "schema": {"type": "string", "enum": ["Token"]},
                "required": True,
                "description": gettext_lazy("认证方式：Token"),
            }
        },
        "429": {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 0},
                "required": True,
                "description": gettext_lazy("多少秒后可再次请求"),
            }
        },
    }

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        return {**self._HEADERS.get(str(status_code), {}), **headers}
