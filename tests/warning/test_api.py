"""API: GET /api/v1/employees/{工号}/apprenticeships/ and
GET /api/v1/warning-campaigns/ — scoping (other enterprise 404 / not
listed), roles (plain employee 403), filters and bad input (400), flat query
counts, coverage numbers."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from courses.warning import services
from tests.apprenticeship.conftest import apprentice, hired_on, master, reactor, started  # noqa: F401  (fixtures)
from tests.conftest import login_with_mfa
from tests.factories import make_api_token
from tests.warning.clock import studied

REFLECTION = "检修前必须停电验电挂牌上锁，不能图省事带电作业，要互相监督，发现违章及时制止。"


def _token_client(enterprise, **kw):
    _token, key = make_api_token(enterprise, **kw)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_apprenticeships_of_an_employee(started, apprentice, master, ent_a):  # noqa: F811
    client = _token_client(ent_a, can_write=False)
    response = client.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == started.pk and row["status"] == "running" and row["supervised"] is True
    assert row["mentor_employee_no"] == "M001" and row["post"] == "A-REACT" and row["months"] == 2
    assert row["status_label"] == "带徒中" and row["record"] is None
    assert client.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/?status=completed").json()["count"] == 0
    bad = client.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/?status=nope")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    # The mentor has no apprenticeship of their own.
    assert client.get(f"/api/v1/employees/{master.employee_no}/apprenticeships/").json()["count"] == 0


def test_apprenticeships_denials(started, apprentice, ent_b, bob):  # noqa: F811
    outsider = _token_client(ent_b)
    assert outsider.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/").status_code == 404
    assert APIClient().get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/").status_code in (401, 403)
    plain = login_with_mfa(APIClient(), bob)
    assert plain.get(f"/api/v1/employees/{apprentice.employee_no}/apprenticeships/").status_code == 403


def test_warning_campaigns_with_coverage(scanned, ent_a, ent_b, alice, django_assert_max_num_queries):
    campaign = scanned["campaign"]
    for key in ("bob", "zhao"):
        user = scanned["people"][key]
        services.study_complete(study=studied(campaign, user, 12), user=user, reflection=REFLECTION)
    services.campaign_set_extra_cases(campaign=campaign, actor=alice, cases=[scanned["cases"]["gas"]])
    client = _token_client(ent_a, can_write=False)
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/warning-campaigns/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["enterprise"] for r in rows] == ["hxchem"]  # 东方's campaign is not listed
    row = rows[0]
    assert row["cycle"] == campaign.cycle and row["auto_created"] is True
    assert (row["owed"], row["met"], row["coverage_percent"], row["studies_completed"]) == (4, 2, 50, 2)
    assert row["extra_cases"] == [scanned["cases"]["gas"].pk] and row["meetings"] == 0

    assert client.get(f"/api/v1/warning-campaigns/?year={campaign.year}&quarter={campaign.quarter}").json()["count"] == 1
    assert client.get("/api/v1/warning-campaigns/?year=2001").json()["count"] == 0
    bad = client.get("/api/v1/warning-campaigns/?quarter=5")
    assert bad.status_code == 400 and "quarter" in bad.json()["errors"]


def test_warning_campaigns_query_count_is_flat(scanned, ent_a, django_assert_max_num_queries):
    from courses.warning.models import WarningCampaign

    client = _token_client(ent_a)
    for year in range(2020, 2026):
        WarningCampaign.objects.create(enterprise=ent_a, year=year, quarter=2, title=f"{year} 二季度")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/warning-campaigns/").json()["count"] == 7


def test_warning_campaigns_denials(scanned, ent_b, bob):
    assert _token_client(ent_b).get("/api/v1/warning-campaigns/?enterprise=hxchem").json()["count"] == 0
    plain = login_with_mfa(APIClient(), scanned["people"]["bob"])
    assert plain.get("/api/v1/warning-campaigns/").status_code == 403
    assert APIClient().get("/api/v1/warning-campaigns/").status_code in (401, 403)


@pytest.mark.django_db
def test_schema_lists_the_new_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/employees/{employee_no}/apprenticeships/" in schema["paths"]
    assert "/api/v1/warning-campaigns/" in schema["paths"]
