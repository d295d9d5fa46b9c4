"""Every endpoint is rate-limited and every list is paginated with a
ceiling, as the schema says; regulators are refused every operation,
reads and writes alike."""

import pytest
from rest_framework.mixins import ListModelMixin

from lms.api.pagination import ApiPagination
from lms.api.throttling import ApiUserRateThrottle
from lms.api_urls import v1
from lms.workforce.models import Employee, EmploymentEvent, PostAssignment

from .openapi import load_schema, operations, violations


def _views():
    return [pattern.callback.cls for pattern in v1]


def test_every_endpoint_is_throttled_and_every_list_paginates():
    for view in _views():
        assert view().get_throttles(), view.__name__
        if issubclass(view, ListModelMixin):
            assert view.pagination_class is ApiPagination, view.__name__


def test_a_page_never_holds_more_than_the_ceiling(client_a, staff_a, monkeypatch):
    monkeypatch.setattr(ApiPagination, "max_limit", 2)
    page = client_a.get("/api/v1/employees/", {"limit": 100000}).json()
    assert (page["count"], len(page["results"])) == (3, 2)
    assert page["next"].endswith("/api/v1/employees/?limit=2&offset=2")


def test_a_throttled_client_gets_429_with_retry_after(client_a, staff_a, monkeypatch):
    monkeypatch.setattr(ApiUserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    assert [client_a.get("/api/v1/posts/").status_code for _ in range(2)] == [200, 200]
    response = client_a.get("/api/v1/posts/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not violations(response.json(), "Error")


@pytest.mark.django_db
def test_regulators_are_refused_every_operation(as_user, regulator, staff_a):
    client = as_user(regulator)
    for path, method, op in operations(load_schema()):
        if not op.get("security"):
            continue  # the public certificate verification
        url = path.replace("{employee_no}", "A0001")
        response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
        assert response.status_code == 403, (method, path)
        assert "监管" in response.json()["detail"], (method, path)
    assert Employee.objects.count() == 3
    assert not EmploymentEvent.objects.exists() and PostAssignment.objects.count() == 1
