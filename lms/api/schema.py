"""OpenAPI description of what every endpoint has in common, for
drf-spectacular: our token authentication, the error bodies the API really
answers with (see lms.api.exceptions: DRF's ``{"detail": …}`` and
``{field: [messages]}``), and their response headers. Imported by
lms.api.urls so the extensions are registered before the schema is
generated."""

from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
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
    """错误说明：认证、权限、不存在、冲突、限流等错误及无法解析的请求体，正文只有 detail。"""

    detail = serializers.CharField(help_text=gettext_lazy("错误说明（随 Accept-Language 为中文或英文）"))
    code = serializers.CharField(
        required=False, help_text=gettext_lazy("部分错误附带的机器可读代码，如 mfa_required（须先启用两步验证）")
    )


class FieldErrorsSerializer(serializers.Serializer):
    """输入校验错误：{字段名: [错误信息, …]}；不属于某个字段的错误在 non_field_errors 下。

    Only a name for the schema: FieldErrorsScheme below describes the body,
    whose keys are the fields of the request that were wrong."""


class FieldErrorsScheme(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": gettext_lazy(
                "输入校验错误：{字段名: [错误信息, …]}；不属于某个字段的错误在 non_field_errors 下"
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "minProperties": 1,
        }


BadRequestSerializer = PolymorphicProxySerializer(
    component_name="BadRequest",
    serializers=[FieldErrorsSerializer, ErrorSerializer],
    resource_type_field_name=None,
    many=False,
)

_DESCRIPTIONS = {
    400: gettext_lazy(
        "输入有误：查询参数或请求体的字段错误为 {字段: [错误信息]}（整体错误在 non_field_errors 下）；"
        "请求体无法解析时为 {detail: 说明}"
    ),
    401: gettext_lazy("未提供身份凭据，或令牌无效、已吊销（响应头 WWW-Authenticate: Token）"),
    403: gettext_lazy("无权访问：只读令牌调用写入接口、账号没有相应角色、监管人员调用本接口等"),
    404: gettext_lazy("对象不存在，或属于其他企业"),
    409: gettext_lazy("数据冲突：他人同时修改了同一数据，数据库拒绝了本次写入；刷新后可重试"),
    413: gettext_lazy("请求体过大"),
    429: gettext_lazy("请求过于频繁（按令牌或账号计数）：请在 Retry-After 秒后重试"),
}

_EXAMPLES = {
    401: [OpenApiExample("令牌无效", value={"detail": "令牌无效或已吊销"}, status_codes=["401"])],
    403: [OpenApiExample("无权限", value={"detail": "您没有访问该接口的权限"}, status_codes=["403"])],
    404: [OpenApiExample("不存在", value={"detail": "未找到该员工"}, status_codes=["404"])],
    409: [
        OpenApiExample(
            "同时修改", value={"detail": "数据冲突（可能已被他人同时修改），请刷新后重试"}, status_codes=["409"]
        )
    ],
    413: [OpenApiExample("请求体过大", value={"detail": "请求体过大"}, status_codes=["413"])],
    429: [OpenApiExample("限流", value={"detail": "请求已被限流。 预计 37 秒后可用。"}, status_codes=["429"])],
}

_QUERY_ERROR = OpenApiExample("查询参数有误", value={"status": ["“x” 不是合法选项。"]}, status_codes=["400"])
_BODY_ERRORS = [
    OpenApiExample("字段有误", value={"employee_no": ["该企业已有此工号的员工"]}, status_codes=["400"]),
    OpenApiExample("请求体无法解析", value={"detail": "请求体不是有效的 JSON"}, status_codes=["400"]),
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
        body = BadRequestSerializer if code == 400 else ErrorSerializer
        responses[code] = OpenApiResponse(body, description=descriptions[code], examples=code_examples)
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
