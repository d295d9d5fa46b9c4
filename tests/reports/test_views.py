"""Report pages: who may see what, bad filters, the export matching the page,
regulators confined to their region and logged, flat query counts."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from lms.accounts.roles import Role
from lms.reports.registry import REPORTS
from lms.supervision.selectors import REGULATOR_READ
from tests.compliance.helpers import train
from tests.conftest import login_with_mfa
from tests.factories import EmployeeFactory, EnterpriseFactory, MembershipFactory, UserFactory

from tests.factories import ObligationFactory

D = dt.date
YEAR = dt.date.today().year


@pytest.fixture
def staffed(ent_a, tree_a, ent_b, tree_b):
    """Three people in A (one trained 8 h, one owing), two in B."""
    a1 = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1], name="甲一")
    a2 = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1], name="甲二")
    a3 = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[2], name="甲三")
    ObligationFactory(employee=a1, min_hours=8, completed_hours=8, status="met", start_date=D(YEAR, 1, 1),
                      due_date=D(YEAR, 12, 31))
    ObligationFactory(employee=a2, min_hours=8, start_date=D(YEAR, 1, 1), due_date=D(YEAR, 12, 31))
    train(a1, "refresher", 8, D(YEAR, 1, 5))
    for i in range(2):
        b = EmployeeFactory(enterprise=ent_b, org_unit=tree_b[1], name=f"乙{i}")
        train(b, "refresher", 4, D(YEAR, 1, 6))
    return {"a": [a1, a2, a3]}


def _xlsx_rows(response):
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    ws = wb.worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_hr_sees_own_enterprise_figures(alice_client, staffed):
    response = alice_client.get(reverse("reports:report", args=["coverage"]), {"by": "unit"})
    assert response.status_code == 200
    table = response.context["table"]
    assert table.total["headcount"] == 3  # A's three, never B's two
    body = response.content.decode()
    assert "一车间" in body and "33.3%" in body  # one of three trained
    assert "东方机械" not in body


@pytest.mark.parametrize("key", list(REPORTS))
def test_every_report_renders_and_exports_the_same_figures(alice_client, staffed, key):
    page = alice_client.get(reverse("reports:report", args=[key]))
    assert page.status_code == 200
    rows = page.context["rows"]
    export = alice_client.get(reverse("reports:export", args=[key]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = _xlsx_rows(export)
    table = page.context["table"]
    assert sheet[0] == [str(c.label) for c in table.columns]
    def cells(row):  # an empty text cell reads back from Excel as None; no rate is "—"
        return [None if v in ("", "—") else v for v in row]

    assert [cells(row) for row in sheet[1:len(rows) + 1]] == [cells(row) for row in rows]
    if page.context["total"]:
        assert cells(sheet[len(rows) + 1]) == cells(page.context["total"])


def test_dashboard_tiles_and_charts(alice_client, staffed):
    response = alice_client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "chart.umd.min.js" in body and 'data-chart="chart-coverage"' in body
    tiles = {t["label"]: t["value"] for t in response.context["tiles"]}
    assert tiles["培训覆盖率"] == pytest.approx(0.3333)
    assert tiles["学时完成率"] == 0.5


@pytest.mark.parametrize("query", [{"year": "abc"}, {"year": "1999"}, {"by": "nonsense"}, {"enterprise": "x"}])
def test_bad_filters_are_field_errors_not_500(alice_client, staffed, query):
    response = alice_client.get(reverse("reports:report", args=["coverage"]), query)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_hr_cannot_pick_another_enterprise(alice_client, staffed, ent_b):
    response = alice_client.get(reverse("reports:report", args=["coverage"]), {"enterprise": ent_b.pk})
    assert response.status_code == 400  # not one of the choices
    response = alice_client.get(reverse("reports:export", args=["coverage"]), {"enterprise": ent_b.pk})
    assert response.status_code == 400


def test_unknown_report_is_404(alice_client, staffed):
    assert alice_client.get("/reports/nonsense/").status_code == 404


def test_plain_employee_and_anonymous_are_refused(client, bob, staffed):
    assert client.get(reverse("reports:dashboard")).status_code == 302  # to login
    client.force_login(bob)
    for url in (reverse("reports:dashboard"), reverse("reports:report", args=["coverage"]),
                reverse("reports:export", args=["coverage"]), reverse("reports:principal")):
        assert client.get(url).status_code == 403


def test_reports_are_read_only(alice_client, staffed, client, regulator):
    for url in (reverse("reports:dashboard"), reverse("reports:report", args=["coverage"]),
                reverse("reports:export", args=["coverage"])):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(alice_client, method)(url).status_code == 405


def test_regulator_sees_region_only_and_every_read_is_logged(client, regulator, staffed, ent_a, ent_b):
    nearby = EnterpriseFactory(region_code="320506", name="苏州新区化工有限公司")
    EmployeeFactory(enterprise=nearby)
    login_with_mfa(client, regulator)
    response = client.get(reverse("reports:report", args=["coverage"]), {"by": "enterprise"})
    assert response.status_code == 200
    labels = [row[0] for row in response.context["rows"]]
    assert labels == sorted([ent_a.name, nearby.name])  # B (330106) lies outside 320500
    logged = ModelLogEntry.objects.filter(action=REGULATOR_READ, user=regulator)
    assert set(logged.values_list("object_id", flat=True)) == {str(ent_a.pk), str(nearby.pk)}
    assert logged.first().data["report"] == "coverage"
    client.get(reverse("reports:export", args=["coverage"]))
    assert logged.filter(data__what="report_xlsx").count() == 2  # one entry per enterprise in the figures
    # The enterprise sees the read in 监管查阅记录.
    from lms.supervision.selectors import regulator_reads_for

    hr = UserFactory()
    MembershipFactory(user=hr, enterprise=ent_a, role=Role.HR)
    assert regulator_reads_for(hr).filter(user=regulator).count() == 2  # A's entries only, not the neighbour's
    # A regulator cannot ask for B by id either.
    assert client.get(reverse("reports:report", args=["coverage"]), {"enterprise": ent_b.pk}).status_code == 400
    for method in ("post", "put", "delete"):
        assert getattr(client, method)(reverse("reports:report", args=["coverage"])).status_code == 405


def test_enterprise_staff_reads_are_not_logged_as_regulator_reads(alice_client, staffed):
    alice_client.get(reverse("reports:report", args=["coverage"]))
    assert not ModelLogEntry.objects.filter(action=REGULATOR_READ).exists()


def test_query_count_is_flat(alice_client, staffed, ent_a, tree_a, django_assert_max_num_queries):
    url = reverse("reports:report", args=["coverage"])
    alice_client.get(url)
    for i in range(30):
        person = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[1 + i % 2])
        ObligationFactory(employee=person, start_date=D(YEAR, 1, 1), due_date=D(YEAR, 12, 31))
    with django_assert_max_num_queries(20):
        assert alice_client.get(url).status_code == 200
    with django_assert_max_num_queries(40):
        assert alice_client.get(reverse("reports:dashboard")).status_code == 200


def test_principal_dashboard_shows_own_duties_and_enterprise_figures(client, ent_a, tree_a, staffed):
    from lms.compliance.models import ObligationKind

    user = UserFactory(email="boss@example.com")
    MembershipFactory(user=user, enterprise=ent_a, role=Role.PRINCIPAL)
    boss = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[0], user=user, name="老板", is_principal=True)
    ObligationFactory(employee=boss, kind=ObligationKind.PRINCIPAL_ANNUAL, min_hours=16, completed_hours=4,
                      start_date=D(YEAR, 1, 1), due_date=D(YEAR, 12, 31), exam_required=True)
    train(boss, "principal", 4, D(YEAR, 1, 8))
    client.force_login(user)
    response = client.get(reverse("reports:principal"))
    assert response.status_code == 200
    card = response.context["cards"][0]
    duty = card["duties"][0]
    assert (duty["required"], duty["done"], duty["percent"]) == (16, 4, 25)
    assert card["hours"] == 4
    figures = {label: value for label, value, kind in card["figures"]}
    assert figures["培训覆盖率"] == pytest.approx(0.5)  # 甲一 and 老板 of four people
    body = response.content.decode()
    import re
    assert re.search(r"已完成 4(\.0)? / 16(\.0)? 学时", body), re.findall(r"已完成[^，]*", body)
    assert "考核已合格" in body  # the 4 h record was assessed and passed
    assert "负责人履职" in body  # the nav link


def test_principal_page_refuses_other_people(client, ent_a, staffed):
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.TRAINER)
    EmployeeFactory(enterprise=ent_a, user=user)  # an employee, but neither principal nor safety manager
    client.force_login(user)
    assert client.get(reverse("reports:principal")).status_code == 403


def test_admin_dashboard_panel_has_the_chart(alice_client, staffed):
    response = alice_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "reports-overview" in body and "admin-coverage-chart" in body
    assert "chart.umd.min.js" in body


def test_enterprise_sees_regulator_report_reads_on_its_read_log(client, regulator, alice, staffed, ent_a):
    login_with_mfa(client, regulator)
    client.get(reverse("reports:report", args=["coverage"]))
    client.logout()
    login_with_mfa(client, alice)
    body = client.get(reverse("supervision:reads")).content.decode()
    assert "统计报表" in body and ent_a.name in body


@pytest.mark.parametrize("key", list(REPORTS))
def test_an_enterprise_with_nobody_yet_gets_empty_reports_not_errors(alice_client, ent_a, key):
    page = alice_client.get(reverse("reports:report", args=[key]))
    assert page.status_code == 200
    assert alice_client.get(reverse("reports:export", args=[key])).status_code == 200


def test_empty_enterprise_dashboard_and_back_office_home(alice_client, ent_a):
    assert alice_client.get(reverse("reports:dashboard")).status_code == 200
    assert alice_client.get(reverse("wagtailadmin_home")).status_code == 200


@pytest.mark.rule("warning.coverage")
@pytest.mark.parametrize("key,column", [("warning", "覆盖率"), ("coverage", "培训覆盖率"), ("exams", "合格率")])
def test_a_rate_with_nothing_owed_is_a_dash_not_100_or_0(alice_client, ent_a, key, column):
    """Issue 18: nobody owed (no one on duty, no one sat an exam): the rate is
    no figure — "—" on the page and in the Excel export, never 100 % or 0 %."""
    page = alice_client.get(reverse("reports:report", args=[key]))
    columns = [str(c.label) for c in page.context["table"].columns]
    at = columns.index(column)
    assert page.context["total"][at] is None
    sheet = _xlsx_rows(alice_client.get(reverse("reports:export", args=[key])))
    assert sheet[0][at] == column
    assert sheet[-1][at] == "—"  # the total row


def test_dashboard_shows_a_dash_for_rates_with_nothing_owed(alice_client, ent_a):
    body = alice_client.get(reverse("reports:dashboard")).content.decode()
    assert "警示教育覆盖率" in body and "100.0%" not in body and "0.0%" not in body and "—" in body


def test_principal_duty_without_hours_shows_no_percentage(client, ent_a, tree_a, staffed):
    """A duty that owes no hours (exam only) has no completion rate: no bar at 100 %."""
    user = UserFactory()
    MembershipFactory(user=user, enterprise=ent_a, role=Role.EMPLOYEE)
    boss = EmployeeFactory(enterprise=ent_a, org_unit=tree_a[0], user=user, name="老板", is_principal=True)
    ObligationFactory(employee=boss, kind="principal_annual", min_hours=0, start_date=dt.date(YEAR, 1, 1),
                      due_date=dt.date(YEAR, 12, 31), cycle=str(YEAR))
    login_with_mfa(client, user)
    response = client.get(reverse("reports:principal"))
    assert response.status_code == 200
    [card] = response.context["cards"]
    assert [d["percent"] for d in card["duties"]] == [None]
