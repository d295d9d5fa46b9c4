"""答卷: the read-only listing and inspect page (responses, keys and points
for those who may read keys) and 录入线下成绩, a paper exam's result entered
with the scanned sheet."""

from __future__ import annotations

import os

import django_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedViewMixin,
    admin_scope,
)
from lms.accounts.roles import Capability
from lms.archive.admin_views import EvidenceView
from lms.jsonbody import displayable
from lms.kernel.admin import apply_service_errors

from .. import selectors, services
from ..admin_forms import OfflineResultForm, answer_to_text
from ..models import Attempt, Exam, Question, QuestionType
from .exams import offline_url, results_url


class AttemptFilterSet(ScopedFilterSet):
    exam = django_filters.ModelChoiceFilter(label=gettext_lazy("考试"), queryset=Exam.objects.all())

    class Meta:
        model = Attempt
        fields = ["exam", "status", "passed", "offline"]


class AttemptIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("employee", "exam")

    @cached_property
    def add_url(self):
        # "Adding" an answer sheet is entering a paper exam's result.
        return reverse("exam_attempt:offline") if self.user_has_permission("add") else None

    @cached_property
    def add_item_label(self):
        return _("录入线下成绩")


def attempt_score(attempt: Attempt) -> str:
    if attempt.score is None:
        return "—"
    return f"{services.fmt_points(attempt.score)} / {services.fmt_points(attempt.max_score)}"


class AttemptInspectView(LabelledInspectView):
    """An answer sheet as the back office sees it: each question with the
    response, the key and the points (never shown to examinees here)."""

    template_name = "exams/admin/attempt_inspect.html"
    field_labels = {"score_text": gettext_lazy("得分"), "percent": gettext_lazy("百分制成绩")}

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, Attempt.objects.select_related("exam", "employee", "record", "entered_by")
        )

    def get_score_text_display_value(self):
        return attempt_score(self.object)

    def get_percent_display_value(self):
        value = services.percentage(self.object.score, self.object.max_score)
        return services.fmt_points(value) if value is not None else "—"

    def get_evidence_display_value(self):
        return os.path.basename(self.object.evidence.name) if self.object.evidence else "—"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attempt = self.object
        # Per-question responses, keys and marks reveal the key (a full-marks response is
        # the answer): only for those who may read keys, and never to someone sitting an exam.
        show_keys = selectors.keys_visible(self.request.user, attempt.exam.enterprise_id)
        context["show_keys"] = show_keys
        layout = (attempt.layout or []) if show_keys else []
        ids = [int(item["q"]) for item in layout]
        questions = Question.objects.in_bulk(ids)
        answers = {a.question_id: a for a in attempt.answers.all()}
        rows = []
        for number, item in enumerate(layout, start=1):
            q = questions.get(int(item["q"]))
            if q is None:
                continue
            answer = answers.get(q.pk)
            response = answer.response if answer else []
            rows.append(
                {
                    "number": number,
                    "question": q,
                    "points": services.fmt_points(item.get("points") or 0),
                    "earned": services.fmt_points(answer.points) if answer and answer.points is not None else None,
                    "response": response_text(q, response),
                    "key": answer_to_text(q.type, q.answer),
                }
            )
        context["rows"] = rows
        context["evidence_url"] = (
            reverse("exam_attempt:evidence", args=(quote(attempt.pk),)) if attempt.evidence else None
        )
        return context


def response_text(question: Question, response) -> str:
    """An examinee's saved response in the key's notation (original option letters)."""
    if not response:
        return "—"
    if question.type == QuestionType.TRUE_FALSE:
        return _("对") if response[0] is True else _("错")
    # displayable(): a bad string stored before the autosave refused them must not break the page.
    if question.type == QuestionType.FILL_BLANK:
        return displayable(" | ".join(str(r) for r in response))
    return displayable("".join(sorted(str(r) for r in response)))


class OfflineResultView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """录入线下成绩: a trainer enters a paper exam's score with the scanned sheet."""

    model = Attempt
    permission_required = "add"
    template_name = "exams/admin/offline_result.html"
    page_title = gettext_lazy("录入线下成绩")
    header_icon = "upload"

    @cached_property
    def exam(self) -> Exam | None:
        value = self.request.GET.get("exam") or self.request.POST.get("exam") or ""
        if not str(value).isdigit():
            return None
        exams = admin_scope(
            Exam.objects.select_related("enterprise", "paper"), self.request.user, Capability.MANAGE_EXAMS
        )
        return exams.filter(pk=value).first()

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("exam_attempt:index"), "label": Attempt._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, form):
        exam = self.exam
        context = self.get_context_data(
            form=form,
            exam=exam,
            total=services.fmt_points(selectors.paper_total(exam.paper)) if exam else None,
            pass_score=services.fmt_points(exam.pass_score) if exam else None,
            action_url=self.request.path,
            submit_button_label=_("保存成绩"),
            media=form.media,
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        return self.render(OfflineResultForm(for_user=request.user, exam=self.exam))

    def post(self, request, *args, **kwargs):
        form = OfflineResultForm(request.POST, request.FILES, for_user=request.user, exam=self.exam)
        if form.is_valid():
            data = form.cleaned_data
            try:
                attempt = services.offline_result_enter(
                    data["exam"], data["employee"], data["score"], data["evidence"], request.user,
                    taken_at=data.get("taken_at"),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                verdict = _("合格") if attempt.passed else _("不合格")
                messages.success(
                    request,
                    _("已录入 %(employee)s 的线下考试成绩：%(score)s 分（%(verdict)s），并已计入培训档案。")
                    % {"employee": attempt.employee, "score": services.fmt_points(attempt.score), "verdict": verdict},
                    buttons=[messages.button(results_url(attempt.exam), _("查看成绩"))],
                )
                return redirect(offline_url(attempt.exam))
        messages.validation_error(request, _("未能保存成绩，请检查填写内容。"), form)
        return self.render(form)


class AttemptEvidenceView(EvidenceView):
    model = Attempt
