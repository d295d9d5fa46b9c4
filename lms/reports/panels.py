from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.admin.ui.components import Component

from lms.supervision.selectors import is_regulator

from . import frames
from .access import report_enterprises


class ReportsPanel(Component):
    """Dashboard: coverage, hours completion, overdue obligations, and the coverage chart."""

    name = "reports_overview"
    template_name = "reports/admin/panel.html"
    order = 95

    def __init__(self, coverage: frames.Table, obligations: frames.Table, several: bool):
        self.coverage, self.obligations, self.several = coverage, obligations, several

    @classmethod
    def for_request(cls, request) -> ReportsPanel | None:
        if is_regulator(request.user) and not request.user.is_superuser:
            return None  # regulators have /reports/ itself; the back office is the enterprises'
        ids = tuple(report_enterprises(request.user).values_list("pk", flat=True)[:50])
        if not ids or request.user.is_superuser:
            return None
        today = timezone.localdate()
        by = "enterprise" if len(ids) > 1 else "unit"
        coverage = frames.coverage(frames.ReportScope(ids, today.year, today, by))
        obligations = frames.obligations(frames.ReportScope(ids, today.year, today, "kind"))
        return cls(coverage, obligations, len(ids) > 1)

    @property
    def media(self):
        from django.forms import Media

        return Media(js=[static("vendor/chartjs/chart.umd.min.js"), static("reports/charts.js")])

    def get_context_data(self, parent_context):
        return {
            "tiles": [
                (_("培训覆盖率"), self.coverage.total["coverage"], "pct"),
                (_("学时完成率"), self.coverage.total["completion"], "pct"),
                (_("达标率"), self.coverage.total["compliant"], "pct"),
                (_("已逾期培训义务"), self.obligations.total["overdue"], "int"),
            ],
            "chart": self.coverage.chart,
            "url": reverse("reports:dashboard"),
        }
