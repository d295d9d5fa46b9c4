"""题目: the filtered listing (current versions), creation, editing (a
question an answer sheet used becomes a new version) and the inspect page
with the key and 解析 for those who may read keys."""

from __future__ import annotations

import django_filters
from django.contrib.admin.utils import quote
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.ui.tables import TitleColumn

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    admin_scope,
)
from lms.accounts.roles import Capability
from lms.kernel.admin import ServiceFormMixin

from .. import question_services, selectors
from ..admin_forms import answer_to_text
from ..models import AttemptAnswer, Question, QuestionBank, QuestionCategory, QuestionType
from .rows import InspectEditUrlMixin, InstanceEditUrlMixin, SharedRowsMixin, owner_label


class QuestionFilterSet(ScopedFilterSet):
    bank = django_filters.ModelChoiceFilter(label=gettext_lazy("题库"), queryset=QuestionBank.objects.all())
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("分类（含子分类）"), queryset=QuestionCategory.objects.all(), method="filter_category"
    )

    class Meta:
        model = Question
        fields = ["type", "difficulty", "bank", "category"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if user is None:
            return  # ScopedFilterSet offers no choices
        # Platform banks are readable too (ScopedFilterSet only offers the user's own).
        self.filters["bank"].queryset = admin_scope(QuestionBank.objects.all(), user, Capability.VIEW, shared=True)
        self.filters["category"].queryset = admin_scope(
            QuestionCategory.objects.select_related("bank"), user, Capability.VIEW, shared=True
        ).order_by("bank__name", "path")

    def filter_category(self, queryset, name, value):
        below = Q(category__bank_id=value.bank_id, category__path__startswith=value.path + "/")
        return queryset.filter(Q(category=value) | below)


def question_stem(question: Question) -> str:
    stem = " ".join(question.stem.split())
    return stem if len(stem) <= 60 else stem[:60] + "…"


class QuestionIndexView(SharedRowsMixin, InstanceEditUrlMixin, ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().current().select_related("bank__enterprise", "category")

    @cached_property
    def columns(self):
        # The stem, shortened, is the row's title (with its link and actions).
        columns = list(super().columns)
        title_column = self._get_title_column_class(TitleColumn)

        def get_url(instance):
            return self.get_edit_url(instance) or self.get_inspect_url(instance)

        columns[0] = title_column("stem", label=_("题干"), accessor=question_stem, get_url=get_url)
        return columns

    @cached_property
    def add_url(self):
        url = super().add_url
        bank = self.request.GET.get("bank", "")
        return f"{url}?bank={bank}" if url and bank.isdigit() else url


class QuestionCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("题目“%(object)s”已创建。")

    def get_initial(self):
        initial = super().get_initial()
        bank = self.request.GET.get("bank", "")
        if bank.isdigit():
            initial["bank"] = int(bank)
        return initial

    def save_instance(self):
        data = self.form.question_data()
        return question_services.question_create(bank=self.form.cleaned_data["bank"], actor=self.request.user, **data)


class QuestionEditView(ServiceFormMixin, ScopedEditView):
    """Saving goes through ``question_update``: a question an attempt has
    shown becomes a new version; the attempt keeps the version it showed."""

    def get_queryset(self):
        # Only current versions are edited; older ones are history.
        return super().get_queryset().filter(is_current=True).select_related("bank")

    def dispatch(self, request, *args, **kwargs):
        # The form shows the key: not to an editor who is sitting an exam right now.
        if request.user.is_authenticated and selectors.sitting_an_exam(request.user):
            messages.error(request, _("您正在参加考试，交卷前不能查看或修改题目答案。"))
            return redirect("exam_question:index")
        return super().dispatch(request, *args, **kwargs)

    def save_instance(self):
        fresh = Question.objects.select_related("bank").get(pk=self.object.pk)
        saved = question_services.question_update(question=fresh, actor=self.request.user, **self.form.question_data())
        self.new_version = saved.pk != fresh.pk
        return saved

    def get_success_message(self):
        if getattr(self, "new_version", False):
            return _("题目已被答卷使用，已保存为新版本 v%(v)s；已有答卷仍保留原版本。") % {"v": self.object.version}
        return _("题目“%(object)s”已保存。") % {"object": self.object}

    def get_success_buttons(self):
        return [messages.button(reverse("exam_question:inspect", args=(quote(self.object.pk),)), _("查看"))]


class QuestionInspectView(SharedRowsMixin, InspectEditUrlMixin, LabelledInspectView):
    """The whole question, answer and 解析 included (the back office only)."""

    template_name = "exams/admin/question_inspect.html"

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, Question.objects.select_related("bank__enterprise", "category", "stem_image")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.object
        # The key and 解析 only for the people who build exams, and not while they sit one.
        show_keys = selectors.keys_visible(self.request.user, q.bank.enterprise_id)
        answer = [str(a) for a in q.answer or []] if show_keys else []
        context["show_keys"] = show_keys
        context["options"] = [(o["key"], o["text"], o["key"] in answer) for o in q.options or []]
        context["answer_text"] = answer_to_text(q.type, q.answer) if show_keys else ""
        context["blanks"] = q.answer if show_keys and q.type == QuestionType.FILL_BLANK else []
        versions = [q]
        node = q
        while node.previous_id:  # older versions (a short chain: one row per edit after use)
            node = Question.objects.only("pk", "version", "previous_id", "created_at").get(pk=node.previous_id)
            versions.append(node)
        newer = Question.objects.filter(previous=q).only("pk", "version").first()
        context["versions"] = versions
        context["newer"] = newer
        context["owner"] = owner_label(q.bank.enterprise)
        context["answers_count"] = AttemptAnswer.objects.filter(question=q).count()
        return context
