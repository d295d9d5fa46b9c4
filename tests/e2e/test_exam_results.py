"""An exam manager opens 成绩与分析 on a laptop and on a phone: the score
distribution is drawn by the vendored Chart.js from the page's JSON block,
with the pass band from the exam's own pass score, and the browser refuses
nothing under the Content-Security-Policy."""

import os

import pytest
from django.urls import reverse

from lms.accounts.roles import Role
from tests.conftest import _privileged
from tests.e2e.conftest import PHONE, log_in
from tests.exams.admin_helpers import world  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
CHART = "document.querySelector('canvas[data-chart=score-chart]')"


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_manager_sees_the_score_chart_with_the_pass_band_from_the_exams_pass_score(
    browser, live_server, migrated_data, archive_flushable, world, ent_a, viewport  # noqa: F811
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    exam = world["exam"]
    exam.pass_score = 60
    exam.save(update_fields=["pass_score"])
    manager = _privileged(ent_a, Role.SAFETY_MANAGER, "manager@example.com")
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))

    results = reverse("exam:results", args=(exam.pk,))
    log_in(page, live_server.url, manager, next_url=results)
    page.wait_for_url(f"**{results}")
    page.wait_for_function(f"() => window.Chart && Chart.getChart({CHART})")

    drawn = page.evaluate(
        f"""() => {{
            const chart = Chart.getChart({CHART}), band = chart.options.plugins.anxunPassBand;
            return {{from: band.from, label: band.label, labels: chart.data.labels,
                     data: chart.data.datasets.map((d) => Array.from(d.data))}};
        }}"""
    )
    assert (drawn["from"], drawn["label"]) == (0.5, "及格线 60 分")
    assert drawn["labels"] == ["0–59", "60–69", "70–79", "80–89", "90–100"]
    assert drawn["data"] == [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]  # 0 points fails, 100 passes
    box = page.locator("canvas[data-chart=score-chart]").bounding_box()
    assert 0 < box["width"] <= viewport["width"] and box["height"] > 0
    assert refused == []
    page.screenshot(path=f"/tmp/e2e-exam-results-{viewport['width']}.png", full_page=True)
    context.close()
