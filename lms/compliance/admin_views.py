"""The training-compliance back office ("培训合规"): training rules, obligations
and the 在岗未达标 page (people working a post whose clearance has lapsed),
with its dashboard panel and menu badge.

Viewsets derive from :class:`lms.accounts.admin_scoping.ScopedModelViewSet`;
rules are written only through :mod:`lms.compliance.rules_service`; the
reads behind the pages (visible rules, the lapsed rows) are in
:mod:`lms.compliance.selectors`.
Training records (lms.archive) and certificates (certificates) add their own
viewsets to the same menu group through the ``register_compliance_menu_item``
hook.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Q, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus import MenuItem as ListMenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.ui.sidebar import SubMenuItem as SubMenuItemComponent
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedPermissionPolicy,
    ScopedViewMixin,
    admin_scope,
    policy_for,
)
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.kernel.admin import LocalTimeInspectMixin, ServiceFormMixin, apply_service_errors, date_text_column

from . import penalties, rules_service
from .admin_forms import RuleForm, RuleVersionForm
from .models import Obligation, TrainingRule
from .selectors import lapsed_enterprises, lapsed_people_count, lapsed_rows, visible_rules

# The menu group other apps join (records, certificates).
COMPLIANCE_MENU_HOOK = "register_compliance_menu_item"


# --- training rules ----------------------------------------------------------------


class TrainingRulePolicy(ScopedPermissionPolicy):
    """Rules without an enterprise are readable by every back-office user but
    writable only by platform superusers (the default instance check already
    refuses them: they belong to no enterprise of the user)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if instance.enterprise_id is None and self.capability_for(action) == Capability.VIEW:
            return self.user_has_permission(user, action)
        return super().user_has_permission_for_instance(user, action, instance)

    def instances_user_has_permission_for(self, user, action):
        if self.capability_for(action) == Capability.VIEW and self.user_has_permission(user, action):
            return visible_rules(user)
        return super().instances_user_has_permission_for(user, action)

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = super().instances_user_has_any_permission_for(user, actions)
        if any(self.capability_for(a) == Capability.VIEW and self.user_has_permission(user, a) for a in actions):
            return queryset | visible_rules(user)
        return queryset


class RuleScopeMixin:
    """Single-object and listing views read rules through :func:`visible_rules`."""

    def scoped_queryset(self, action, queryset=None):
        if policy_for(TrainingRule).capability_for(action) == Capability.VIEW:
            return visible_rules(self.request.user, queryset)
        return super().scoped_queryset(action, queryset)


def rule_scope_label(rule: TrainingRule) -> str:
    if rule.enterprise_id:
        return rule.enterprise.name
    if rule.region_code:
        return rule.region_code
    return _("全国")


def rule_risk_class(rule: TrainingRule) -> str:
    return rule.get_risk_class_display() if rule.risk_class else _("所有行业")


def rule_parameters(rule: TrainingRule) -> str:
    """The rule's numbers in one line: "72 学时 · 须考核", "6 个月" …"""
    parts = []
    if rule.min_hours is not None:
        parts.append(_("%(h)s 学时") % {"h": f"{rule.min_hours.normalize():f}"})
    if rule.months is not None:
        parts.append(_("%(m)s 个月") % {"m": rule.months})
    if rule.count is not None:
        parts.append(_("%(n)s 次") % {"n": rule.count})
    if rule.days is not None:
        parts.append(_("%(d)s 天") % {"d": rule.days})
    if rule.pass_score is not None:
        parts.append(_("%(s)s 分合格") % {"s": rule.pass_score})
    if rule.exam_required:
        parts.append(_("须考核"))
    return " · ".join(parts) or "—"


def rule_state(rule: TrainingRule, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if rule.effective_from > today:
        return _("未生效")
    if rule.effective_to and rule.effective_to <= today:
        return _("已失效")
    return _("现行")


class RuleFilterSet(ScopedFilterSet):
    in_force_on = django_filters.DateFilter(
        label=gettext_lazy("在此日期有效"), method="filter_in_force_on", widget=forms.DateInput(attrs={"type": "date"})
    )
    current = django_filters.BooleanFilter(
        label=gettext_lazy("现行有效"), method="filter_current", widget=forms.NullBooleanSelect
    )

    class Meta:
        model = TrainingRule
        fields = ["code", "jurisdiction", "risk_class", "in_force_on", "current"]

    def filter_in_force_on(self, queryset, name, value):
        in_force = Q(effective_from__lte=value) & (Q(effective_to__isnull=True) | Q(effective_to__gt=value))
        return queryset.filter(in_force)

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        in_force = Q(effective_from__lte=today) & (Q(effective_to__isnull=True) | Q(effective_to__gt=today))
        return queryset.filter(in_force) if value else queryset.exclude(in_force)


class RuleIndexView(RuleScopeMixin, ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("enterprise")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if rules_service.rule_may_write(
            self.request.user, jurisdiction=instance.jurisdiction, enterprise_id=instance.enterprise_id
        ) and self.user_has_permission("change"):
            buttons.append(
                ListMenuItem(
                    _("新建版本"),
                    url=reverse("trainingrule:new_version", args=(quote(instance.pk),)),
                    icon_name="plus",
                    priority=15,
                )
            )
        return buttons


class RuleCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("培训规则“%(object)s”已创建。")
    submit_button_label = gettext_lazy("保存规则")

    def save_instance(self):
        return rules_service.rule_create(rule=self.form.instance, actor=self.request.user)


class RuleInspectView(RuleScopeMixin, LocalTimeInspectMixin, LabelledInspectView):
    template_name = "compliance/admin/rule_inspect.html"
    field_labels = {"scope_label": gettext_lazy("适用范围"), "state": gettext_lazy("状态")}

    def get_object(self, queryset=None):
        return self.get_scoped_object("view", self.pk, TrainingRule.objects.select_related("enterprise"))

    def get_scope_label_display_value(self):
        return rule_scope_label(self.object)

    def get_state_display_value(self):
        return rule_state(self.object)

    def may_version(self) -> bool:
        return policy_for(TrainingRule).user_has_permission_for_instance(self.request.user, "change", self.object)

    @cached_property
    def header_buttons(self):
        if not self.may_version():
            return []
        return [
            HeaderButton(
                _("新建版本"), url=reverse("trainingrule:new_version", args=(quote(self.object.pk),)), icon_name="plus"
            )
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        versions = visible_rules(self.request.user, rules_service.lineage(self.object))
        context["versions"] = [(v, rule_parameters(v), rule_state(v)) for v in versions]
        context["obligation_count"] = admin_scope(
            Obligation.objects.filter(rule=self.object), self.request.user, Capability.VIEW
        ).count()
        return context


class RuleNewVersionView(RuleScopeMixin, ScopedViewMixin, WagtailAdminTemplateMixin, View):
    """新建版本: the rule's parameters as a new version from a later date;
    the current version closes that day (rules_service.rule_new_version)."""

    model = TrainingRule
    template_name = "compliance/admin/rule_new_version.html"
    page_title = gettext_lazy("新建规则版本")
    header_icon = "clipboard-list"
    index_url_name = "trainingrule:index"

    def load(self):
        # Visible rules are found (else 404); the right to version them is a 403.
        queryset = TrainingRule.objects.select_related("enterprise")
        self.object = self.get_scoped_object("view", self.kwargs["pk"], queryset)
        if not policy_for(TrainingRule).user_has_permission_for_instance(self.request.user, "change", self.object):
            raise PermissionDenied

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": TrainingRule._meta.verbose_name_plural},
            {"url": reverse("trainingrule:inspect", args=(quote(self.object.pk),)), "label": str(self.object)},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, form):
        context = self.get_context_data(
            form=form,
            object=self.object,
            parameters=rule_parameters(self.object),
            action_url=self.request.path,
            submit_button_label=_("保存新版本"),
            submit_button_active_label=_("正在保存…"),
            media=form.media,
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        self.load()
        return self.render(RuleVersionForm(instance=self.object, for_user=request.user))

    def post(self, request, *args, **kwargs):
        self.load()
        current = TrainingRule.objects.get(pk=self.object.pk)  # the form mutates its instance
        form = RuleVersionForm(request.POST, instance=self.object, for_user=request.user)
        if form.is_valid():
            try:
                new = rules_service.rule_new_version(
                    rule=current,
                    changes=form.changes(),
                    effective_from=form.cleaned_data["effective_from"],
                    actor=request.user,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已新建版本 v%(v)s，自 %(d)s 起生效；原版本同日失效。")
                    % {"v": new.version, "d": new.effective_from},
                )
                return redirect("trainingrule:inspect", quote(new.pk))
        self.object = current
        messages.validation_error(request, _("未能保存新版本，请检查填写内容。"), form)
        return self.render(form)


class TrainingRuleViewSet(ScopedModelViewSet):
    model = TrainingRule
    menu_name = "compliance-rule"
    icon = "clipboard-list"
    menu_label = gettext_lazy("培训规则")
    menu_order = 300
    url_prefix = "compliance/rule"
    capabilities = {
        "view": Capability.VIEW,
        "inspect": Capability.VIEW,
        "add": Capability.CONFIGURE_RULES,
        # "change" is 新建版本: an applied row is never edited in place.
        "change": Capability.CONFIGURE_RULES,
    }
    edit_view_enabled = False
    delete_view_enabled = False  # obligations name the rule version they were made under
    index_view_class = RuleIndexView
    add_view_class = RuleCreateView
    create_template_name = "compliance/admin/rule_create.html"
    inspect_view_class = RuleInspectView
    filterset_class = RuleFilterSet
    list_display = [
        "code",
        "jurisdiction",
        Column("scope_label", label=gettext_lazy("适用范围"), accessor=rule_scope_label),
        Column("risk_class", label=gettext_lazy("适用行业类别"), accessor=rule_risk_class, sort_key="risk_class"),
        Column("parameters", label=gettext_lazy("要求"), accessor=rule_parameters),
        Column("version", label=gettext_lazy("版本"), accessor=lambda r: f"v{r.version}", sort_key="version"),
        date_text_column("effective_from", gettext_lazy("生效日期")),
        date_text_column("effective_to", gettext_lazy("失效日期")),
        Column("state", label=gettext_lazy("状态"), accessor=rule_state, classname="anxun-nowrap"),
        "source",
    ]
    search_fields = ["source", "note", "region_code", "enterprise__name"]
    search_backend_name = None
    ordering = ["code", "jurisdiction", "risk_class", "-version"]
    list_per_page = 50
    inspect_view_fields = [
        "code",
        "jurisdiction",
        "scope_label",
        "risk_class",
        "min_hours",
        "months",
        "count",
        "days",
        "exam_required",
        "pass_score",
        "version",
        "effective_from",
        "effective_to",
        "state",
        "source",
        "note",
        "created_at",
    ]

    def build_policy(self):
        return TrainingRulePolicy(
            self.model, capabilities=self.capabilities, require_model_perm=self.require_model_perm
        )

    def get_form_class(self, for_update=False):
        return RuleForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [self.object_url("new_version", RuleNewVersionView.as_view(), "new_version")]


# --- obligations (read-only) ------------------------------------------------------------


class ObligationFilterSet(ScopedFilterSet):
    overdue = django_filters.BooleanFilter(
        label=gettext_lazy("已逾期"), method="filter_overdue", widget=forms.NullBooleanSelect
    )
    due_date = django_filters.DateFromToRangeFilter(label=gettext_lazy("截止日期"), widget=DateRangePickerWidget)

    class Meta:
        model = Obligation
        fields = ["status", "kind", "level", "overdue", "due_date"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=Obligation.Status.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


def obligation_hours(o: Obligation) -> str:
    return f"{o.completed_hours.normalize():f} / {o.min_hours.normalize():f}"


def obligation_overdue(o: Obligation) -> bool:
    return o.status == Obligation.Status.OPEN and o.due_date < timezone.localdate()


class ObligationIndexView(ScopedIndexView):
    def get_base_queryset(self):
        # Open obligations first (what needs doing), then by due date.
        open_first = Case(When(status=Obligation.Status.OPEN, then=Value(0)), default=Value(1))
        return super().get_base_queryset().select_related("employee", "post").annotate(open_first=open_first)


class ObligationInspectView(LocalTimeInspectMixin, LabelledInspectView):
    template_name = "compliance/admin/obligation_inspect.html"
    field_labels = {"hours": gettext_lazy("学时（已完成 / 要求）"), "overdue": gettext_lazy("已逾期")}

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, Obligation.objects.select_related("employee", "post", "rule", "event")
        )

    def get_hours_display_value(self):
        return obligation_hours(self.object)

    def get_overdue_display_value(self):
        return _("是") if obligation_overdue(self.object) else _("否")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["records"] = list(self.object.records.order_by("seq"))
        return context


class ObligationNoForm(WagtailAdminModelForm):
    class Meta:
        model = Obligation
        fields = []


class ObligationViewSet(ScopedModelViewSet):
    model = Obligation
    menu_name = "compliance-obligation"
    icon = "tasks"
    menu_label = gettext_lazy("培训义务")
    menu_order = 200
    url_prefix = "compliance/obligation"
    # Obligations come from events and cycles and are met by records: never by hand.
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW}
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = ObligationIndexView
    inspect_view_class = ObligationInspectView
    filterset_class = ObligationFilterSet
    list_display = [
        "employee",
        Column("label", label=gettext_lazy("培训项目"), accessor=lambda o: o.label),
        "post",
        Column("hours", label=gettext_lazy("学时（已完成 / 要求）"), accessor=obligation_hours),
        date_text_column("due_date", gettext_lazy("截止日期")),
        "status",
        Column(
            "overdue",
            label=gettext_lazy("逾期"),
            accessor=lambda o: _("已逾期") if obligation_overdue(o) else "",
            classname="anxun-nowrap",
        ),
    ]
    search_fields = ["employee__name", "employee__employee_no"]
    search_backend_name = None
    ordering = ["open_first", "due_date", "id"]
    list_per_page = 50
    inspect_view_fields = [
        "employee",
        "kind",
        "level",
        "post",
        "hours",
        "exam_required",
        "exam_passed",
        "blocks_post",
        "start_date",
        "end_date",
        "due_date",
        "overdue",
        "status",
        "met_on",
        "cycle",
        "event",
        "rule",
    ]

    def get_common_view_kwargs(self, **kwargs):
        return {**super().get_common_view_kwargs(**kwargs), "add_url_name": None}

    def get_form_class(self, for_update=False):
        # Wagtail builds add/edit views eagerly; neither has a URL here.
        return ObligationNoForm

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name != "add"]


# --- 在岗未达标 -------------------------------------------------------------------------


def may_see_lapsed(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.has_perm("compliance.view_obligation") and bool(enterprise_ids(user, Capability.VIEW))


class LapsedView(WagtailAdminTemplateMixin, TemplateView):
    """在岗未达标: everyone now working a post whose clearance has lapsed."""

    template_name = "compliance/admin/lapsed.html"
    page_title = gettext_lazy("在岗未达标")
    header_icon = "warning"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_lapsed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        enterprises = lapsed_enterprises(self.request.user)
        rows = lapsed_rows(enterprises, today)
        context.update(
            today=today,
            rows=[(row, row.days(today)) for row in rows],
            people=len({row.employee.pk for row in rows}),
            show_enterprise=len(enterprises) > 1,
            consequence=penalties.CONSEQUENCE,
            articles=sorted({p for row in rows for p in row.penalties}, key=penalties.ORDER.index),
        )
        return context


class LapsedMenuItem(MenuItem):
    """The menu entry, with the number of people as a badge."""

    def is_shown(self, request):
        return may_see_lapsed(request.user)

    def render_component(self, request):
        attrs = dict(self.attrs)
        count = lapsed_people_count(request.user)
        if count:
            attrs["data-anxun-badge"] = str(count)
            attrs["aria-label"] = _("%(label)s（%(n)s 人）") % {"label": self.label, "n": count}
        return LinkMenuItemComponent(
            self.name, self.label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=attrs
        )


class LapsedViewSet(ViewSet):
    name = "lapsed"
    url_prefix = "compliance/lapsed"
    icon = "warning"
    menu_label = gettext_lazy("在岗未达标")
    menu_name = "compliance-lapsed"
    menu_order = 100
    menu_item_class = LapsedMenuItem

    def get_urlpatterns(self):
        return [path("", LapsedView.as_view(), name="index")]


class LapsedPanel(Component):
    """Dashboard: "在岗未达标 N 人", linking to the page."""

    name = "compliance_lapsed"
    template_name = "compliance/admin/lapsed_panel.html"
    order = 90

    def __init__(self, count: int):
        self.count = count

    @classmethod
    def for_request(cls, request) -> LapsedPanel | None:
        if not may_see_lapsed(request.user):
            return None
        return cls(lapsed_people_count(request.user, fresh=True))

    def get_context_data(self, parent_context):
        return {"count": self.count, "url": reverse("lapsed:index")}


# --- the group --------------------------------------------------------------------------


class ComplianceMenuItem(SubmenuMenuItem):
    """The group's entry carries the 在岗未达标 count too (the submenu may be closed)."""

    def render_component(self, request):
        attrs = dict(self.attrs)
        if may_see_lapsed(request.user) and (count := lapsed_people_count(request.user)):
            attrs["data-anxun-badge"] = str(count)
        return SubMenuItemComponent(
            self.name,
            self.label,
            self.menu.render_component(request),
            icon_name=self.icon_name,
            classname=self.classname,
            attrs=attrs,
        )


class ComplianceViewSetGroup(ViewSetGroup):
    menu_name = "compliance"
    menu_label = gettext_lazy("培训合规")
    menu_icon = "clipboard-list"
    menu_order = 155
    submenu_hook = COMPLIANCE_MENU_HOOK
    items = (
        LapsedViewSet(),
        ObligationViewSet("obligation"),
        TrainingRuleViewSet("trainingrule"),
    )

    def get_menu_item(self, order=None):
        return ComplianceMenuItem(
            label=self.menu_label,
            menu=Menu(register_hook_name=self.submenu_hook, items=self.get_submenu_items()),
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=self.get_menu_item_order(order),
        )


compliance_viewset_group = ComplianceViewSetGroup()
