"""A regulator reads, never writes: every unsafe method on the API, on the
enterprise-facing pages and in the back office is refused and changes no row;
another region's enterprise is 404; every read of a file is logged, and the
enterprise sees the log on 监管查阅记录 (its own reads only)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.apps import apps
from django.urls import URLResolver, get_resolver, reverse
from wagtail.models import ModelLogEntry

from lms.supervision.selectors import regulator_reads_for
from lms.supervision.services import sample_draw
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")
# Everything a regulator could reach in an enterprise's world: the front-end
# apps, the back office of the enterprise's data, and the whole API.
SWEPT_PREFIXES = (
    "api/v1/", "archive/", "exams/", "certificates/", "learn/", "offline/", "apprenticeship/", "warning/", "portal/",
    "documents/", "admin/",
)
# Their own session, not enterprise data.
NOT_SWEPT = ("admin/logout/", "admin/login/", "admin/password_reset/")


# Pages that render the same read-only page whatever the method (they lack
# require_GET; the row counts below prove nothing is written through them).
ANY_METHOD_READ_PAGES = {"/certificates/mine/", "/portal/", "/admin/sprite/"}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _swept_urls(int_value: int, str_value: str) -> list[str]:
    urls = []
    for route in _walk(get_resolver().url_patterns):
        if not route.startswith(SWEPT_PREFIXES) or route.startswith(NOT_SWEPT) or "^" in route or "(?P" in route:
            continue
        url = re.sub(r"<int:[^>]+>", str(int_value), route)
        url = re.sub(r"<[^>]+>", str_value, url)
        urls.append("/" + url)
    return urls


def _row_counts() -> dict[str, int]:
    labels = {"accounts", "workforce", "compliance", "archive", "certificates", "exams", "courses", "apprenticeship",
              "offline", "warning", "supervision"}
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.app_label in labels}


def test_every_unsafe_method_is_refused_and_changes_nothing(client, regulator, bob, ent_a):
    login_with_mfa(client, regulator)
    urls = _swept_urls(bob.employee.pk, bob.employee.employee_no)
    assert len(urls) > 80 and any(u.startswith("/api/v1/events/") for u in urls)
    before = _row_counts()
    allowed = []
    for url in urls:
        for method in UNSAFE:
            response = getattr(client, method)(url, data="{}", content_type="application/json")
            code = response.status_code
            # 400: the input is refused with field errors (nothing written).
            refused = code in (400, 403, 404, 405) or (code == 302 and "login" in response.url)
            if not refused and not (code == 200 and url in ANY_METHOD_READ_PAGES):
                allowed.append((method.upper(), url, code))
    assert allowed == [], "\n".join(map(str, allowed))
    assert _row_counts() == before
    # The session is still the regulator's (no write path logged them out).
    assert client.get(reverse("supervision:samples")).status_code == 200


def test_api_refuses_regulator_writes_with_a_chinese_reason(client, regulator, bob):
    login_with_mfa(client, regulator)
    for method, url in (("post", "/api/v1/events/"), ("post", "/api/v1/assignments/"), ("post", "/api/v1/employees/"),
                        ("patch", f"/api/v1/employees/{bob.employee.employee_no}/"),
                        ("delete", f"/api/v1/employees/{bob.employee.employee_no}/")):
        response = getattr(client, method)(url, data={"name": "改"}, content_type="application/json")
        assert response.status_code == 403, url
        assert "监管" in response.json()["detail"]


def test_another_regions_enterprise_and_people_are_404(client, regulator, ent_b, tree_b):
    outsider = EmployeeFactory(enterprise=ent_b, name="杭州员工")
    login_with_mfa(client, regulator)
    for name in ("person_file", "person_file_pdf", "person_file_xlsx", "induction_card_pdf"):
        assert client.get(reverse(f"archive:{name}", args=[outsider.pk])).status_code == 404, name
    assert client.get(reverse("supervision:finding_new") + f"?enterprise={ent_b.pk}").status_code == 404
    assert not ModelLogEntry.objects.filter(action="anxun.regulator_read").exists()


def test_each_archive_read_from_a_sample_is_logged_and_shown_to_the_enterprise(client, regulator, region, ent_a,
                                                                             alice, charlie):
    regulator.regulator_memberships.update(authority="苏州市应急管理局")
    sample = sample_draw(regulator=regulator, region_code="320505", n=2, m=2, seed=11)
    people = list(sample.items.select_related("employee", "enterprise"))
    login_with_mfa(client, regulator)
    for item in people:
        assert client.get(reverse("archive:person_file", args=[item.employee_id])).status_code == 200
    reads = ModelLogEntry.objects.filter(action="anxun.regulator_read", user=regulator)
    assert sorted(int(e.object_id) for e in reads) == sorted(i.employee_id for i in people)

    a_people = [i.employee for i in people if i.enterprise_id == ent_a.pk]
    assert a_people, "seed 11 draws from A"
    client.logout()
    login_with_mfa(client, alice)
    page = client.get(reverse("supervision:reads"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "监管查阅记录" in body and "档案页面" in body
    assert "苏州市应急管理局" in body  # which authority read
    for person in a_people:
        assert person.name in body
    others = [i.employee for i in people if i.enterprise_id != ent_a.pk]
    for person in others:
        assert person.name not in body
    assert regulator_reads_for(alice).count() == len(a_people)
    # B's HR sees none of it.
    assert regulator_reads_for(charlie).count() == 0


def test_read_log_page_is_for_enterprise_staff_only(client, regulator, bob):
    for user in (regulator, bob):
        login_with_mfa(client, user)
        assert client.get(reverse("supervision:reads")).status_code == 403
        client.logout()


def test_read_log_page_query_count_is_flat(client, regulator, region, ent_a, alice):
    def reads_page_queries():
        client.logout()
        login_with_mfa(client, alice)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("supervision:reads"))
        assert response.status_code == 200
        return len(ctx), len(response.context["page"])

    def read(people):
        client.logout()
        login_with_mfa(client, regulator)
        for person in people:
            client.get(reverse("archive:person_file", args=[person.pk]))

    read(region[ent_a][:1])
    few = reads_page_queries()
    read(region[ent_a][1:])
    many = reads_page_queries()
    assert few[1] == 1 and many[1] == len(region[ent_a])
    assert many[0] <= few[0], (few, many)  # the first page also fills per-process caches


def test_hr_finds_findings_and_read_log_in_the_back_office_menu(alice_client):
    body = alice_client.get("/admin/").content.decode()
    assert reverse("supervision:reads") in body and reverse("supervision:findings") in body


def test_regulator_finds_the_portal_in_the_header(client, regulator, bob):
    login_with_mfa(client, regulator)
    body = client.get(reverse("supervision:samples")).content.decode()
    assert 'href="/supervision/"' in body and "监管抽查" in body
    client.logout()
    login_with_mfa(client, bob)
    assert 'href="/supervision/"' not in client.get("/portal/").content.decode()
