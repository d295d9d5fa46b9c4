"""The dashboard's 近期考试 panel: open and upcoming exams of the user's
enterprises with 应考/已考/合格/未参加."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from lms.accounts.admin_scoping import admin_scope, policy_for
from lms.accounts.roles import Capability

from ..analysis import exam_counts
from ..models import Exam
from .exams import exam_state, exam_window, results_url


class ExamsPanel(Component):
    """Dashboard: the open and upcoming exams of the user's enterprises."""

    name = "exams_upcoming"
    template_name = "exams/admin/exams_panel.html"
    order = 130
    max_rows = 6

    def __init__(self, rows: list[dict], more: int):
        self.rows = rows
        self.more = more

    @classmethod
    def for_request(cls, request, now: dt.datetime | None = None) -> ExamsPanel | None:
        user = request.user
        if not policy_for(Exam).user_has_permission(user, "view"):
            return None
        now = now or timezone.now()
        upcoming = admin_scope(Exam.objects.filter(closes_at__gt=now), user, Capability.VIEW)
        exams = list(upcoming.select_related("enterprise").order_by("opens_at", "pk")[: cls.max_rows])
        counts = exam_counts(exams)
        total = upcoming.count() if len(exams) == cls.max_rows else len(exams)
        rows = [
            {
                "exam": exam,
                "state": exam_state(exam, now),
                "open": exam.is_open(now),
                "window": exam_window(exam),
                "url": results_url(exam),
                **counts[exam.pk],
            }
            for exam in exams
        ]
        return cls(rows, max(0, total - len(rows)))

    def get_context_data(self, parent_context):
        return {
            "rows": self.rows,
            "more": self.more,
            "index_url": reverse("exam:index"),
            "show_enterprise": len({row["exam"].enterprise_id for row in self.rows}) > 1,
        }
