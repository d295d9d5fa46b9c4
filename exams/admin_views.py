"""The exams back office (考试): question banks, questions, papers, exams,
answer sheets, per-exam results with item analysis and Excel export, the
offline (paper) result entry page and the dashboard panel.

Every viewset derives from :class:`lms.accounts.admin_scoping.ScopedModelViewSet`
(tenancy). Platform banks and their questions (no enterprise) are readable
by every back-office user and writable only by platform superusers. Writes go
through :mod:`exams.question_services` (banks, questions — editing a used
question makes a new version) and :mod:`exams.services` (papers are checked
with ``paper_check``, exams through ``exam_create`` / ``exam_update``,
paper results through ``offline_result_enter``); a refusal is a form error.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import django_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
    ScopedViewMixin,
    admin_scope,
    policy_for,
    tenant_enterprise_id,
)
from lms.accounts.roles import Capability, Role
from lms.accounts.scoping import can, enterprise_ids
from lms.archive.admin_views import EvidenceView
from lms.jsonbody import displayable
from lms.kernel.admin import ServiceFormMixin, apply_service_errors
from lms.workforce.models import OrgUnit, Post

from . import question_services, services
from .admin_forms import (
    AUDIENCE_ERROR_FIELD,
    ExamEditForm,
    ExamForm,
    OfflineResultForm,
    PaperEditForm,
    PaperForm,
    PaperQuestionFormSet,
    PaperRuleFormSet,
    QuestionBankForm,
    QuestionEditForm,
    QuestionForm,
    answer_to_text,
)
from .analysis import ExamResults, Status, exam_results
from .exports import item_headers, results_workbook
from .models import Attempt, AttemptAnswer, Exam, Paper, Question, QuestionBank, QuestionCategory, QuestionType

# Other apps (e.g. the question import page) join the 考试 menu through this hook.
EXAMS_MENU_HOOK = "register_exams_menu_item"

EXAM_CAPABILITIES = {
    "view": Capability.VIEW,
    "inspect": Capability.VIEW,
    "add": Capability.MANAGE_EXAMS,
    "change": Capability.MANAGE_EXAMS,
}


# --- platform rows: readable by all, writable by the platform ------------------------------


def shared_visible(queryset: QuerySet, user, tenant_path: str) -> QuerySet:
    """The rows the back office shows ``user``: platform rows (no enterprise)
    and rows of enterprises where the user's roles grant VIEW."""
    ents = enterprise_ids(user, Capability.VIEW)
    if ents is None:
        return queryset
    if not ents:
        return queryset.none()
    return queryset.filter(Q(**{f"{tenant_path}__isnull": True}) | Q(**{f"{tenant_path}__in": ents}))


class SharedRowsPolicy(ScopedPermissionPolicy):
    """Platform rows (banks, their categories and questions) are viewable by
    every back-office user; changing them stays with platform superusers (the
    default instance check refuses rows of no enterprise of the user's)."""

    def _is_shared(self, instance) -> bool:
        return tenant_enterprise_id(instance, self.tenant_path) is None

    def user_has_permission_for_instance(self, user, action, instance):
        if self.capability_for(action) == Capability.VIEW and self._is_shared(instance):
            return self.user_has_permission(user, action)
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_permission_for(self, user, action):
        if self.capability_for(action) == Capability.VIEW and self.user_has_permission(user, action):
            return shared_visible(self.model._default_manager.all(), user, self.tenant_path)
        return super().instances_user_has_permission_for(user, action)

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = super().instances_user_has_any_permission_for(user, actions)
        if any(self.capability_for(a) == Capability.VIEW and self.user_has_permission(user, a) for a in actions):
            return queryset | shared_visible(self.model._default_manager.all(), user, self.tenant_path)
        return queryset


class SharedRowsMixin:
    """Views read with :func:`shared_visible`; writes keep the scoped querysets."""

    def scoped_queryset(self, action, queryset=None):
        policy = policy_for(self.model)
        if policy.capability_for(action) == Capability.VIEW:
            queryset = self.model._default_manager.all() if queryset is None else queryset
            return shared_visible(queryset, self.request.user, policy.tenant_path)
        return super().scoped_queryset(action, queryset)


class InstanceEditUrlMixin:
    """Listings offer "edit" only on rows this user may change (not on platform rows)."""

    def get_edit_url(self, instance):
        url = super().get_edit_url(instance)
        if url and not policy_for(self.model).user_has_permission_for_instance(self.request.user, "change", instance):
            return None
        return url


class InspectEditUrlMixin:
    def get_edit_url(self):
        url = super().get_edit_url()
        policy = policy_for(self.model)
        if url and not policy.user_has_permission_for_instance(self.request.user, "change", self.object):
            return None
        return url


class SharedRowsViewSet(ScopedModelViewSet):
    def build_policy(self):
        return SharedRowsPolicy(self.model, capabilities=self.capabilities, require_model_perm=self.require_model_perm)


def owner_label(enterprise) -> str:
    return enterprise.name if enterprise is not None else _("平台公共题库")


# --- question banks ---------------------------------------------------------------------


class BankIndexView(SharedRowsMixin, InstanceEditUrlMixin, ScopedIndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("enterprise")
            .annotate(question_count=Count("questions", filter=Q(questions__is_current=True)))
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("查看题目"), url=reverse("exam_question:index") + f"?bank={instance.pk}", icon_name="list-ul", priority=5
            )
        )
        return buttons


class BankCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("题库“%(object)s”已创建。")

    def save_instance(self):
        data = self.form.cleaned_data
        return question_services.bank_create(
            enterprise=data.get("enterprise"), name=data["name"], description=data.get("description", ""),
            actor=self.request.user,
        )


class BankInspectView(SharedRowsMixin, InspectEditUrlMixin, LabelledInspectView):
    template_name = "exams/admin/bank_inspect.html"
    field_labels = {"owner": gettext_lazy("所属"), "question_count": gettext_lazy("题目数（当前版本）")}

    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.pk, QuestionBank.objects.select_related("enterprise"))

    def get_owner_display_value(self):
        return owner_label(self.object.enterprise)

    def get_question_count_display_value(self):
        return Question.objects.current().filter(bank=self.object).count()

    @cached_property
    def header_buttons(self):
        buttons = [
            HeaderButton(_("查看题目"), url=reverse("exam_question:index") + f"?bank={self.object.pk}", icon_name="list-ul")
        ]
        if question_services.can_edit_bank(self.request.user, self.object) and policy_for(Question).user_has_permission(
            self.request.user, "add"
        ):
            buttons.append(
                HeaderButton(_("新增题目"), url=reverse("exam_question:add") + f"?bank={self.object.pk}", icon_name="plus")
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = (
            Question.objects.current()
            .filter(bank=self.object)
            .values("category_id", "type")
            .annotate(n=Count("id"))
        )
        by_category: dict = {}
        by_type = {t.value: 0 for t in QuestionType}
        for row in counts:
            by_category[row["category_id"]] = by_category.get(row["category_id"], 0) + row["n"]
            by_type[row["type"]] += row["n"]
        categories = list(QuestionCategory.objects.filter(bank=self.object).order_by("path"))
        context["categories"] = [(c, c.path.count("/"), by_category.get(c.pk, 0)) for c in categories]
        context["uncategorised"] = by_category.get(None, 0)
        context["by_type"] = [(QuestionType(t).label, n) for t, n in by_type.items()]
        context["read_only"] = not question_services.can_edit_bank(self.request.user, self.object)
        return context


class QuestionBankViewSet(SharedRowsViewSet):
    model = QuestionBank
    menu_name = "exams-bank"
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("题库")
    menu_order = 100
    url_prefix = "exams/bank"
    capabilities = EXAM_CAPABILITIES
    # A bank holds questions that papers and answer sheets use: it is never deleted here.
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = BankIndexView
    add_view_class = BankCreateView
    inspect_view_class = BankInspectView
    list_display = [
        "name",
        Column("owner", label=gettext_lazy("所属"), accessor=lambda b: owner_label(b.enterprise)),
        Column("question_count", label=gettext_lazy("题目数"), sort_key="question_count"),
        "description",
    ]
    search_fields = ["name", "description"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_fields = ["name", "owner", "description", "question_count", "created_at"]

    def get_form_class(self, for_update=False):
        return QuestionBankForm


# --- questions --------------------------------------------------------------------------


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
        # Platform banks are readable too (ScopedFilterSet only offers the user's own).
        self.filters["bank"].queryset = shared_visible(QuestionBank.objects.all(), user, "enterprise")
        self.filters["category"].queryset = shared_visible(
            QuestionCategory.objects.select_related("bank"), user, "bank__enterprise"
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
        if request.user.is_authenticated and services.sitting_an_exam(request.user):
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
        show_keys = services.keys_visible(self.request.user, q.bank.enterprise_id)
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


class QuestionViewSet(SharedRowsViewSet):
    model = Question
    menu_name = "exams-question"
    icon = "help"
    menu_label = gettext_lazy("题目")
    menu_order = 200
    url_prefix = "exams/question"
    capabilities = EXAM_CAPABILITIES
    # Questions are versioned, not deleted: answer sheets point at them.
    delete_view_enabled = False
    index_view_class = QuestionIndexView
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    inspect_view_class = QuestionInspectView
    filterset_class = QuestionFilterSet
    list_display = [
        Column("stem", label=gettext_lazy("题干"), accessor=question_stem),
        "type",
        "difficulty",
        Column("category", label=gettext_lazy("分类"), accessor=lambda q: q.category.path if q.category_id else "—"),
        Column("bank", label=gettext_lazy("题库"), accessor=lambda q: q.bank.name),
        Column("version", label=gettext_lazy("版本"), accessor=lambda q: f"v{q.version}"),
    ]
    search_fields = ["stem"]
    search_backend_name = None
    ordering = ["bank", "category", "id"]
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return QuestionEditForm if for_update else QuestionForm


# --- papers -----------------------------------------------------------------------------


@transaction.atomic
def paper_save(*, paper: Paper, fixed, rules, actor) -> Paper:
    """Save a paper with its fixed questions and drawing rules, then check it
    with :func:`exams.services.paper_check`; a paper that cannot be drawn is
    refused (ExamError) and nothing is saved."""
    if not can(actor, Capability.MANAGE_EXAMS, paper.enterprise_id):
        raise PermissionDenied(_("您无权管理该企业的考试"))
    paper.full_clean()
    paper.save()
    for formset in (fixed, rules):
        formset.instance = paper
        formset.save()
    services.paper_check(paper)
    return paper


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
        from .models import PaperQuestion

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
        formsets = self.formsets
        return paper_save(paper=paper, fixed=formsets["fixed"], rules=formsets["rules"], actor=self.request.user)

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
    count = services.paper_question_count(paper)
    total = services.paper_total(paper)
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


class PaperViewSet(ScopedModelViewSet):
    model = Paper
    menu_name = "exams-paper"
    icon = "doc-full"
    menu_label = gettext_lazy("试卷")
    menu_order = 300
    url_prefix = "exams/paper"
    capabilities = EXAM_CAPABILITIES
    delete_view_enabled = False  # exams and answer sheets name their paper
    index_view_class = PaperIndexView
    add_view_class = PaperCreateView
    edit_view_class = PaperEditView
    inspect_view_class = PaperInspectView
    list_filter = ["kind"]
    list_display = [
        "name",
        "kind",
        Column("summary", label=gettext_lazy("题量与满分"), accessor=paper_summary),
        "enterprise",
        DateColumn("created_at", label=gettext_lazy("创建时间"), sort_key="created_at"),
    ]
    search_fields = ["name"]
    search_backend_name = None
    ordering = ["-created_at"]
    inspect_view_fields = [
        "name", "enterprise", "kind", "summary", "shuffle_questions", "shuffle_options", "multiple_partial_credit",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return PaperEditForm if for_update else PaperForm


# --- exams ------------------------------------------------------------------------------


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


class ExamObjectViewMixin(ScopedViewMixin, PermissionCheckedMixin):
    """A page about one exam the user may view (another enterprise's: 404)."""

    model = Exam
    permission_required = "view"

    def load_exam(self) -> Exam:
        return self.get_scoped_object("view", self.kwargs["pk"], Exam.objects.select_related("enterprise", "paper"))


def histogram(bands, *, width: int = 520, height: int = 220) -> dict:
    """Geometry of the score-distribution bar chart (an inline SVG drawn from
    the same band counts as the table beside it)."""
    left, right, top, bottom = 36, 8, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_count = max((b.count for b in bands), default=0)
    scale_max = max(top_count, 1)
    slot = plot_w / max(len(bands), 1)
    bar_w = slot * 0.62
    bars = []
    for i, band in enumerate(bands):
        h = plot_h * band.count / scale_max
        x = left + i * slot + (slot - bar_w) / 2
        bars.append(
            {
                "label": band.label,
                "count": band.count,
                "x": round(x, 1),
                "y": round(top + plot_h - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "cx": round(x + bar_w / 2, 1),
                "pass_band": band.label in ("80–89", "90–100"),
            }
        )
    ticks = sorted({0, scale_max, (scale_max + 1) // 2})
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "base": top + plot_h,
        "label_y": top + plot_h + 20,
        "bars": bars,
        "ticks": [{"value": t, "y": round(top + plot_h - plot_h * t / scale_max, 1)} for t in ticks],
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
            pass_rate=(
                (Decimal(counts[Status.PASSED]) * 100 / len(scored)).quantize(Decimal("0.1")) if scored else None
            ),
            chart=histogram(results.bands),
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


class ExamViewSet(ScopedModelViewSet):
    model = Exam
    menu_name = "exams-exam"
    icon = "date"
    menu_label = gettext_lazy("考试")
    menu_order = 400
    url_prefix = "exams/exam"
    capabilities = EXAM_CAPABILITIES
    delete_view_enabled = False  # graded attempts and archive records name the exam
    index_view_class = ExamIndexView
    add_view_class = ExamCreateView
    edit_view_class = ExamEditView
    inspect_view_class = ExamInspectView
    list_filter = ["review_policy", "record_kind"]
    list_display = [
        "title",
        Column("window", label=gettext_lazy("考试时间"), accessor=exam_window, sort_key="opens_at"),
        Column("state", label=gettext_lazy("状态"), accessor=exam_state),
        "paper",
        "pass_score",
        "enterprise",
    ]
    search_fields = ["title"]
    search_backend_name = None
    ordering = ["-opens_at"]
    inspect_view_fields = [
        "title", "enterprise", "paper", "window", "state", "duration_minutes", "pass_score", "attempts_allowed",
        "review_policy", "audience_text", "record_kind", "record_level", "record_post",
    ]

    def get_form_class(self, for_update=False):
        return ExamEditForm if for_update else ExamForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            self.object_url("results", ExamResultsView.as_view(), "results"),
            self.object_url("results/export", ExamResultsExportView.as_view(), "results_export"),
        ]


# --- answer sheets (read-only) and offline results ---------------------------------------------


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
        show_keys = services.keys_visible(self.request.user, attempt.exam.enterprise_id)
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
            total=services.fmt_points(services.paper_total(exam.paper)) if exam else None,
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


class AttemptViewSet(ScopedModelViewSet):
    model = Attempt
    menu_name = "exams-attempt"
    icon = "form"
    menu_label = gettext_lazy("答卷")
    menu_order = 500
    url_prefix = "exams/attempt"
    # Answer sheets are written by examinees and graders only; "add" is the offline entry page.
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.MANAGE_EXAMS}
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = AttemptIndexView
    inspect_view_class = AttemptInspectView
    filterset_class = AttemptFilterSet
    list_display = [
        "employee",
        "exam",
        Column("number", label=gettext_lazy("第几次"), accessor="number"),
        "status",
        Column("score_text", label=gettext_lazy("得分"), accessor=attempt_score, sort_key="score"),
        BooleanColumn("passed", label=gettext_lazy("合格")),
        BooleanColumn("offline", label=gettext_lazy("线下")),
        DateColumn("started_at", label=gettext_lazy("开始时间"), sort_key="started_at"),
    ]
    search_fields = ["employee__name", "employee__employee_no", "exam__title"]
    search_backend_name = None
    ordering = ["-started_at", "-id"]
    list_per_page = 50
    inspect_view_fields = [
        "exam", "employee", "number", "status", "score_text", "percent", "passed", "started_at", "deadline",
        "submitted_at", "auto_submitted", "offline", "evidence", "record",
    ]

    form_fields = ["exam"]  # never rendered: the generic add URL is replaced by the offline entry page

    def get_common_view_kwargs(self, **kwargs):
        return {**super().get_common_view_kwargs(**kwargs), "add_url_name": None}

    def get_urlpatterns(self):
        patterns = [p for p in super().get_urlpatterns() if p.name != "add"]
        return patterns + [
            path("offline/", OfflineResultView.as_view(), name="offline"),
            self.object_url("evidence", AttemptEvidenceView.as_view(), "evidence"),
        ]


# --- dashboard -----------------------------------------------------------------------------


def exam_counts(exams: list[Exam]) -> dict[int, dict]:
    """应考/已考/合格/未参加 per exam: one audience query per exam and one
    query for all their attempts (nothing per examinee)."""
    if not exams:
        return {}
    attempts: dict[int, dict[int, list[dict]]] = {}
    for row in Attempt.objects.filter(exam__in=exams).values("exam_id", "employee_id", "status", "passed"):
        attempts.setdefault(row["exam_id"], {}).setdefault(row["employee_id"], []).append(row)
    from .analysis import status_for

    result = {}
    for exam in exams:
        audience = set(services.exam_audience(exam).values_list("pk", flat=True))
        mine = attempts.get(exam.pk, {})
        statuses = {pk: status_for(rows) for pk, rows in mine.items()}
        result[exam.pk] = {
            "audience": len(audience),
            "sat": len(mine),
            "passed": sum(1 for s in statuses.values() if s == Status.PASSED),
            "not_taken": len(audience - set(mine)),
        }
    return result


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


# --- the group ------------------------------------------------------------------------------


class ExamsViewSetGroup(ViewSetGroup):
    menu_name = "exams"
    menu_label = gettext_lazy("考试")
    menu_icon = "doc-full-inverse"
    menu_order = 160
    submenu_hook = EXAMS_MENU_HOOK
    items = (
        QuestionBankViewSet("exam_bank"),
        QuestionViewSet("exam_question"),
        PaperViewSet("exam_paper"),
        ExamViewSet("exam"),
        AttemptViewSet("exam_attempt"),
    )

    def get_menu_item(self, order=None):
        return SubmenuMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )


exams_viewset_group = ExamsViewSetGroup()
