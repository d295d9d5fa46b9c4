"""HR opens 统计报表 on a phone: the dashboard's charts are drawn, the coverage
report by unit shows the hand-countable figures, and the Excel download
holds the same rows as the table on screen."""

import datetime as dt
import io
import os

import pytest
from openpyxl import load_workbook

from tests.compliance.helpers import train
from tests.e2e.test_regulator import _login
from tests.factories import EmployeeFactory
from tests.factories import ObligationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

YEAR = dt.date.today().year


def test_hr_reads_the_coverage_report_and_downloads_the_same_figures(
    phone, live_server, migrated_data, alice, ent_a, tree_a, settings, tmp_path,
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path
    company, workshop, team, post = tree_a
    trained = EmployeeFactory(enterprise=ent_a, org_unit=workshop, name="周训")
    EmployeeFactory(enterprise=ent_a, org_unit=workshop, name="吴欠")
    ObligationFactory(employee=trained, min_hours=8, completed_hours=8, status="met",
                      start_date=dt.date(YEAR, 1, 1), due_date=dt.date(YEAR, 12, 31))
    train(trained, "refresher", 8, dt.date(YEAR, 1, 5))
    page = phone

    _login(page, live_server, alice, "/reports/")
    page.get_by_role("heading", name="统计报表").wait_for()
    # Chart.js drew on the canvases (a blank canvas has no chart instance).
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))")
    assert page.evaluate("document.querySelectorAll('canvas[data-chart]').length") == 2
    assert page.get_by_text("50.0%").first.is_visible()  # 培训覆盖率: one of two trained
    page.screenshot(path="/tmp/e2e-reports-dashboard.png", full_page=True)

    page.get_by_role("link", name="培训覆盖与学时").first.click()
    page.wait_for_url("**/reports/coverage/**")
    page.locator("select[name=by]").select_option("unit")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**by=unit**")
    row = page.locator("#report-table tbody tr", has_text="一车间")
    cells = row.locator("td").all_inner_texts()
    assert cells[:4] == ["一车间", "2", "1", "50.0%"]
    page.screenshot(path="/tmp/e2e-reports-coverage.png", full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    unit = next(r for r in rows if r[0] == "一车间")
    assert unit[1:4] == [2, 1, 0.5]
    assert rows[-1][0] == "合计"
