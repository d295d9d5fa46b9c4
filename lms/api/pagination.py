"""Pagination for list endpoints: ``?limit=&offset=`` with a ceiling."""

from django.utils.translation import gettext_lazy
from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    """Limit/offset pages (default size from ``REST_FRAMEWORK["PAGE_SIZE"]``);
    a client can never ask for more than ``max_limit`` rows at once."""

    max_limit = 500
    limit_query_description = gettext_lazy("每页条数：默认 50，最多 500（超过按 500）")
    offset_query_description = gettext_lazy("跳过前多少条，默认 0")

    def get_paginated_response_schema(self, schema):
        """The page body, with example values (drf-spectacular builds the
        paginated response examples from them)."""
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 120, "description": gettext_lazy("符合条件的总条数")},
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://anxun.example.com/api/v1/employees/?limit=50&offset=100",
                    "description": gettext_lazy("下一页的地址；已是最后一页时为 null"),
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://anxun.example.com/api/v1/employees/?limit=50&offset=0",
                    "description": gettext_lazy("上一页的地址；已是第一页时为 null"),
                },
                "results": schema,
            },
        }
