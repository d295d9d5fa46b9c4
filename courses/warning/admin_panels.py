"""The back-office dashboard panel: this quarter's warning-education coverage
of the user's enterprises (two queries), each linked to its page with the
units and the people missing."""

from __future__ import annotations

from django.utils import timezone
from wagtail.admin.ui.components import Component

from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.kernel.rates import percent_int

from .models import WarningCampaign, quarter_of
from .selectors import coverage_totals


class WarningCoveragePanel(Component):
    name = "warning_coverage"
    template_name = "warning/admin/coverage_panel.html"
    order = 130
    max_rows = 20

    def __init__(self, rows: list[dict], cycle: str):
        self.rows = rows
        self.cycle = cycle

    @classmethod
    def for_request(cls, request) -> WarningCoveragePanel | None:
        """The panel for this user, or None when the user reads no enterprise's records."""
        ents = enterprise_ids(request.user, Capability.VIEW)
        if ents == frozenset():
            return None
        year, quarter = quarter_of(timezone.localdate())
        qs = WarningCampaign.objects.filter(year=year, quarter=quarter, auto_created=True).select_related("enterprise")
        if ents is not None:
            qs = qs.filter(enterprise_id__in=ents)
        campaigns = list(qs.order_by("enterprise__name")[: cls.max_rows])
        totals = coverage_totals(campaigns)
        rows = []
        for c in campaigns:
            owed, met = totals[c.pk]
            rows.append({"campaign": c, "owed": owed, "met": met, "percent": percent_int(met, owed)})
        return cls(rows, f"{year}Q{quarter}")

    def get_context_data(self, parent_context):
        return {"rows": self.rows, "cycle": self.cycle}
