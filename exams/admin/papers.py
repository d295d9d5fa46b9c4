"""试卷: the listing, create/edit with the two inline tables (固定题目,
抽题规则) saved through :func:`exams.services.paper_save`, and the inspect
page with the problems that keep a paper from being drawn."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.accounts.admin_scoping import LabelledInspectView, ScopedCreateView, ScopedEditView, ScopedIndexView

from .. import selectors, services
from ..admin_forms import PaperQuestionFormSet, PaperRuleFormSet
from ..models import Paper, PaperQuestion


class PaperFormsetsMixin:
    """Create/edit views with the paper's two inline tables (固定题目, 抽题规则)."""

    template_name = "exams/admin/paper_form.html"

    def get_formsets(self, instance):
        data = self.request.POST if self.request.method == "POST" else None
        kwargs = {"instance": instance, "for_user": self.request.user}
        return {
            "fixed": PaperQuestionFormSet(data, prefix="fixed", queryset=self.fixed_queryset(instance), **kwargs),
            "rules": PaperRuleFormSet(data, prefix="rules", **kwargs),
        }

    def fixed_queryset(self, instance):
        return PaperQuestion.objects.filter(paper=instance).select_related("question__bank") if instance.pk else None

    @cached_property
    def formsets(self):
        return self.get_formsets(self.form_instance())

    def form_instance(self):
        return getattr(self, "object", None) or Paper()

    def is_valid(self, form):
        valid = form.is_valid()
        valid = all([fs.is_valid() for fs in self.formsets.values()]) and valid
        if not valid:
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
        return valid

    def save_instance(self):
        paper = self.form.save(commit=False)
        fixed, rules = self.formsets["fixed"], self.formsets["rules"]
        for formset in (fixed, rules):
            formset.instance = paper  # new rows point at the paper being saved
        return services.paper_save(
            paper=paper,
            fixed=fixed.save(commit=False),
            rules=rules.save(commit=False),
            removed=[*fixed.deleted_objects, *rules.deleted_objects],
            actor=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            # A paper the bank cannot satisfy: every problem on the form, nothing saved.
            form.add_error(None, error.messages)
            self.produced_error_code = "validation_error"
            self.produced_error_message = _("试卷未保存：题库无法满足抽题规则或试卷设置有误，请按提示修改。")
            return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["formsets"] = self.formsets
        context["media"] = context["media"] + self.formsets["rules"].media
        return context


class PaperCreateView(PaperFormsetsMixin, ScopedCreateView):
    success_message = gettext_lazy("试卷“%(object)s”已保存，题库可以满足组卷。")


class PaperEditView(PaperFormsetsMixin, ScopedEditView):
    success_message = gettext_lazy("试卷“%(object)s”已保存，题库可以满足组卷。")

    def get_queryset(self):
        return super().get_queryset().select_related("enterprise")

    def form_instance(self):
        return self.object


def paper_summary(paper: Paper) -> str:
    count = selectors.paper_question_count(paper)
    total = selectors.paper_total(paper)
    return _("%(n)s 题，满分 %(t)s 分") % {"n": count, "t": services.fmt_points(total)}


class PaperIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("enterprise").prefetch_related("rules", "fixed_questions")


class PaperInspectView(LabelledInspectView):
    template_name = "exams/admin/paper_inspect.html"
    field_labels = {"summary": gettext_lazy("题量与满分")}

    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.pk, Paper.objects.select_related("enterprise"))

    def get_summary_display_value(self):
        return paper_summary(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paper = self.object
        context["fixed"] = list(paper.fixed_questions.select_related("question__bank").order_by("position", "pk"))
        context["rules"] = list(paper.rules.select_related("bank", "category").order_by("position", "pk"))
        try:
            services.paper_check(paper)
            context["problems"] = []
        except ValidationError as error:
            context["problems"] = error.messages
        context["exams"] = list(paper.exams.order_by("-opens_at")[:20])
        return context
