"""成绩与分析 of one exam — everyone in the audience and how they did, who has
not sat it, the score distribution (drawn by Chart.js from a JSON block) and
the item analysis — and the same figures as an Excel workbook."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN

from django.contrib.admin.utils import quote
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import ScopedViewMixin, policy_for
from lms.kernel.rates import percent

from .. import services
from ..analysis import ExamResults, Status, band_position, exam_results
from ..exports import item_headers, results_workbook
from ..models import Attempt, Exam
from .exams import exam_state, exam_window, offline_url


class ExamObjectViewMixin(ScopedViewMixin, PermissionCheckedMixin):
    """A page about one exam the user may view (another enterprise's: 404)."""

    model = Exam
    permission_required = "view"

    def load_exam(self) -> Exam:
        return self.get_scoped_object("view", self.kwargs["pk"], Exam.objects.select_related("enterprise", "paper"))


def score_chart(results: ExamResults) -> dict:
    """The score distribution for Chart.js (exams/admin/score_chart.js), from
    the bands table's figures: per band the examinees below and at or above
    the pass score, and where the pass band starts on the band axis."""
    bands, pass_score = results.bands, results.exam.pass_score
    return {
        "labels": [band.label for band in bands],
        "datasets": [
            {"label": _("不合格"), "data": [band.count - band.passing for band in bands]},
            {"label": _("合格"), "data": [band.passing for band in bands], "passing": True},
        ],
        "pass_from": band_position(pass_score),
        "pass_label": _("及格线 %(score)s 分") % {"score": services.fmt_points(pass_score)},
        "title": _("成绩分布（按最高分，百分制）"),
    }


class ExamResultsView(ExamObjectViewMixin, WagtailAdminTemplateMixin, TemplateView):
    """成绩与分析: everyone in the audience and how they did, who has not sat
    the exam, the score distribution and the item analysis."""

    template_name = "exams/admin/exam_results.html"
    page_title = gettext_lazy("成绩与分析")
    header_icon = "view"

    def get(self, request, *args, **kwargs):
        self.exam = self.load_exam()
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.exam.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("exam:index"), "label": Exam._meta.verbose_name_plural},
            {"url": reverse("exam:inspect", args=(quote(self.exam.pk),)), "label": self.exam.title},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def header_buttons(self):
        buttons = [
            HeaderButton(
                _("导出 Excel"), url=reverse("exam:results_export", args=(quote(self.exam.pk),)), icon_name="download"
            )
        ]
        if policy_for(Attempt).user_has_permission_for_instance(self.request.user, "add", Attempt(exam=self.exam)):
            buttons.append(HeaderButton(_("录入线下成绩"), url=offline_url(self.exam), icon_name="upload"))
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        results: ExamResults = exam_results(self.exam)
        counts = results.counts
        scored = [r for r in results.rows if r.status in (Status.PASSED, Status.FAILED)]
        context.update(
            exam=self.exam,
            results=results,
            counts=counts,
            pass_rate=percent(counts[Status.PASSED], len(scored), places=1, rounding=ROUND_HALF_EVEN),
            chart=score_chart(results),
            item_headers=item_headers(),
            window=exam_window(self.exam),
            pass_score=services.fmt_points(self.exam.pass_score),
            state=exam_state(self.exam),
            exam_open=self.exam.is_open(),
            status_classes={
                Status.PASSED: "w-status--label anxun-status--passed",
                Status.FAILED: "w-status--label anxun-status--failed",
                Status.IN_PROGRESS: "w-status--label",
                Status.NOT_TAKEN: "w-status--label anxun-status--absent",
            },
        )
        return context


class ExamResultsExportView(ExamObjectViewMixin, View):
    """The results page as an Excel workbook (the same figures)."""

    def get(self, request, *args, **kwargs):
        exam = self.load_exam()
        data = results_workbook(exam_results(exam))
        stamp = timezone.localdate().strftime("%Y%m%d")
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition_header(
            True, _("%(title)s-成绩与试题分析-%(d)s.xlsx") % {"title": exam.title, "d": stamp}
        )
        response["Cache-Control"] = "private, no-store"
        return response
