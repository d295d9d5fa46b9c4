"""Pagination for list endpoints: ``?limit=&offset=`` with a ceiling."""

from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    """Limit/offset pages (default size from ``REST_FRAMEWORK["PAGE_SIZE"]``);
    a client can never ask for more than ``max_limit`` rows at once."""

    max_limit = 500
