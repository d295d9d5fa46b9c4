"""OpenAPI description of our own authentication, for drf-spectacular.
Imported by lms.api.urls so the extension is registered before the schema
is generated."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
