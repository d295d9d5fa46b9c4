"""考试: how an exam reads in the back office (window, state, audience in
words, links to its results and offline entry), the listing, scheduling and
editing through ``exam_create`` / ``exam_update``, and the inspect page."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    policy_for,
)
from lms.accounts.roles import Role
from lms.kernel.admin import apply_service_errors
from lms.workforce.models import OrgUnit, Post

from .. import services
from ..admin_forms import AUDIENCE_ERROR_FIELD
from ..models import Attempt, Exam


def exam_state(exam: Exam, now=None) -> str:
    now = now or timezone.now()
    if now < exam.opens_at:
        return _("未开始")
    if now >= exam.closes_at:
        return _("已结束")
    return _("进行中")


def exam_window(exam: Exam) -> str:
    opens, closes = timezone.localtime(exam.opens_at), timezone.localtime(exam.closes_at)
    end = f"{closes:%H:%M}" if opens.date() == closes.date() else f"{closes:%Y-%m-%d %H:%M}"
    return f"{opens:%Y-%m-%d %H:%M} – {end}"


def audience_description(exam: Exam, posts: dict | None = None, units: dict | None = None) -> str:
    """The audience in words: 全体主要负责人和安全管理人员；角色：…；岗位：…；单位：…"""
    audience = exam.audience or {}
    parts = []
    if audience.get("principals_and_safety_managers"):
        parts.append(_("全体主要负责人和安全管理人员"))
    if audience.get("roles"):
        labels = dict(Role.choices)
        parts.append(_("角色：%(v)s") % {"v": "、".join(str(labels.get(r, r)) for r in audience["roles"])})
    if audience.get("posts"):
        if posts is None:
            found = Post.objects.filter(enterprise_id=exam.enterprise_id, code__in=audience["posts"])
            posts = dict(found.values_list("code", "name"))
        names = posts
        parts.append(_("岗位：%(v)s") % {"v": "、".join(names.get(c, c) for c in audience["posts"])})
    if audience.get("units"):
        if units is None:
            found = OrgUnit.objects.filter(enterprise_id=exam.enterprise_id, code__in=audience["units"])
            units = dict(found.values_list("code", "name"))
        names = units
        parts.append(_("单位：%(v)s") % {"v": "、".join(names.get(c, c) for c in audience["units"])})
    return "；".join(parts) or "—"


def results_url(exam: Exam) -> str:
    return reverse("exam:results", args=(quote(exam.pk),))


def offline_url(exam: Exam | None = None) -> str:
    url = reverse("exam_attempt:offline")
    return f"{url}?exam={exam.pk}" if exam is not None else url


class ExamIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("enterprise", "paper")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(MenuItem(_("成绩与分析"), url=results_url(instance), icon_name="view", priority=5))
        if policy_for(Attempt).user_has_permission_for_instance(self.request.user, "add", Attempt(exam=instance)):
            buttons.append(MenuItem(_("录入线下成绩"), url=offline_url(instance), icon_name="upload", priority=25))
        return buttons


class ExamServiceMixin:
    """Create/edit views saving through exam_create / exam_update: a refusal
    is shown on the form; one about the audience (edited through several
    fields) at the top of the audience editor."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "audience" in error.error_dict:
                error.error_dict[AUDIENCE_ERROR_FIELD] = error.error_dict.pop("audience")
            apply_service_errors(form, error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ExamCreateView(ExamServiceMixin, ScopedCreateView):
    template_name = "exams/admin/exam_form.html"
    success_message = gettext_lazy("考试“%(object)s”已安排。")

    def save_instance(self):
        fields = self.form.exam_fields()
        return services.exam_create(enterprise=self.form.cleaned_data["enterprise"], actor=self.request.user, **fields)


class ExamEditView(ExamServiceMixin, ScopedEditView):
    template_name = "exams/admin/exam_form.html"

    def save_instance(self):
        fresh = Exam.objects.select_related("paper", "enterprise").get(pk=self.object.pk)
        return services.exam_update(exam=fresh, actor=self.request.user, **self.form.exam_fields())


class ExamInspectView(LabelledInspectView):
    template_name = "exams/admin/exam_inspect.html"
    field_labels = {
        "window": gettext_lazy("考试时间"),
        "state": gettext_lazy("状态"),
        "audience_text": gettext_lazy("考试对象"),
    }

    def get_object(self, queryset=None):
        exams = Exam.objects.select_related("enterprise", "paper", "record_post")
        return self.get_scoped_object("view", self.pk, exams)

    def get_window_display_value(self):
        return exam_window(self.object)

    def get_state_display_value(self):
        return exam_state(self.object)

    def get_audience_text_display_value(self):
        return audience_description(self.object)

    @cached_property
    def header_buttons(self):
        buttons = [HeaderButton(_("成绩与分析"), url=results_url(self.object), icon_name="view")]
        if policy_for(Attempt).user_has_permission_for_instance(self.request.user, "add", Attempt(exam=self.object)):
            buttons.append(HeaderButton(_("录入线下成绩"), url=offline_url(self.object), icon_name="upload"))
        return buttons
