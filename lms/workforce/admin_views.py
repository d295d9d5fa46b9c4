"""The workforce back office: Wagtail viewsets for enterprises, org units,
posts, employees, employment events and post assignments ("人员与组织").

Every viewset derives from :class:`lms.accounts.admin_scoping.ScopedModelViewSet`
(tenancy) and saves through :mod:`lms.workforce.services` (rules, audit log).
A service's refusal becomes a form error, never a server error.
"""

from __future__ import annotations

from collections import OrderedDict

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup

from lms.accounts.admin_scoping import (
    SUPERUSER_ONLY,
    LabelledInspectView,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedViewMixin,
    admin_scope,
)
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.kernel.admin import ServiceDeleteMixin, ServiceFormMixin, apply_service_errors
from lms.pii import blind_index

from . import services
from .admin_forms import (
    AssignmentEndForm,
    EmployeeEditForm,
    EmployeeForm,
    EmploymentEventForm,
    EnterpriseForm,
    OrgUnitEditForm,
    OrgUnitForm,
    PostAssignmentForm,
    PostEditForm,
    PostForm,
)
from .models import Employee, EmploymentEvent, Enterprise, OrgUnit, Post, PostAssignment
from .validators import clean_id_number

# --- shared pieces ---------------------------------------------------------------


class EnterpriseColumnMixin:
    """Shows the 企业 column only to people who see more than one enterprise."""

    enterprise_column = "enterprise"

    @cached_property
    def list_display(self):
        columns = list(self.base_list_display)
        ents = enterprise_ids(self.request.user, Capability.VIEW)
        if ents is not None and len(ents) <= 1:
            columns = [c for c in columns if c != self.enterprise_column]
        return columns


# --- enterprise ------------------------------------------------------------------


class EnterpriseCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return services.enterprise_save(enterprise=self.form.instance, actor=self.request.user)


class EnterpriseEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.enterprise_save(enterprise=self.form.instance, actor=self.request.user)


class EnterpriseViewSet(ScopedModelViewSet):
    model = Enterprise
    menu_name = "workforce-enterprise"
    icon = "site"
    menu_label = gettext_lazy("企业")
    menu_order = 100
    url_prefix = "workforce/enterprise"
    capabilities = {
        "view": Capability.VIEW,
        "inspect": Capability.VIEW,
        "add": SUPERUSER_ONLY,  # a new tenant is the platform's decision
        "change": Capability.ADMINISTER,
    }
    delete_view_enabled = False  # an enterprise carries its people's archive
    add_view_class = EnterpriseCreateView
    edit_view_class = EnterpriseEditView
    list_display = ["name", "code", "credit_code", "industry", "risk_class", "region_code"]
    list_filter = ["industry", "risk_class"]
    search_fields = ["name", "code", "credit_code"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_fields = [
        "name",
        "code",
        "credit_code",
        "industry",
        "risk_class",
        "region_code",
        "address",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return EnterpriseForm


# --- org units -------------------------------------------------------------------


class OrgUnitFilterSet(ScopedFilterSet):
    parent = django_filters.ModelChoiceFilter(
        label=gettext_lazy("上级单位"), queryset=OrgUnit.objects.exclude(kind="team")
    )

    class Meta:
        model = OrgUnit
        fields = ["kind", "parent", "is_active"]


class OrgUnitIndexView(EnterpriseColumnMixin, ScopedIndexView):
    base_list_display = [
        "name",
        "code",
        "kind",
        "parent",
        "enterprise",
        BooleanColumn("is_active", label=gettext_lazy("启用")),
    ]

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("parent", "enterprise")


class OrgUnitCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return services.orgunit_save(unit=self.form.instance, actor=self.request.user)


class OrgUnitEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.orgunit_save(unit=self.form.instance, actor=self.request.user)


class OrgUnitDeleteView(ServiceDeleteMixin, ScopedDeleteView):
    def delete_action(self):
        services.orgunit_delete(unit=self.object, actor=self.request.user)


class OrgUnitViewSet(ScopedModelViewSet):
    model = OrgUnit
    menu_name = "workforce-orgunit"
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("组织单位")
    menu_order = 200
    url_prefix = "workforce/orgunit"
    index_view_class = OrgUnitIndexView
    add_view_class = OrgUnitCreateView
    edit_view_class = OrgUnitEditView
    delete_view_class = OrgUnitDeleteView
    filterset_class = OrgUnitFilterSet
    search_fields = ["name", "code"]
    search_backend_name = None
    ordering = ["code"]
    inspect_view_fields = ["enterprise", "name", "code", "kind", "parent", "is_active"]

    def get_form_class(self, for_update=False):
        return OrgUnitEditForm if for_update else OrgUnitForm


# --- posts -----------------------------------------------------------------------


class PostFilterSet(ScopedFilterSet):
    class Meta:
        model = Post
        fields = ["org_unit", "hazard_level", "special_operation", "is_active"]


class PostIndexView(EnterpriseColumnMixin, ScopedIndexView):
    base_list_display = [
        "name",
        "code",
        "org_unit",
        "hazard_level",
        "special_operation",
        "apprenticeship_months",
        "enterprise",
    ]

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("org_unit", "enterprise")


class PostCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return services.post_save(post=self.form.instance, actor=self.request.user)


class PostEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.post_save(post=self.form.instance, actor=self.request.user)


class PostDeleteView(ServiceDeleteMixin, ScopedDeleteView):
    def delete_action(self):
        services.post_delete(post=self.object, actor=self.request.user)


class PostViewSet(ScopedModelViewSet):
    model = Post
    menu_name = "workforce-post"
    icon = "tag"
    menu_label = gettext_lazy("岗位")
    menu_order = 300
    url_prefix = "workforce/post"
    index_view_class = PostIndexView
    add_view_class = PostCreateView
    edit_view_class = PostEditView
    delete_view_class = PostDeleteView
    filterset_class = PostFilterSet
    search_fields = ["name", "code", "hazards"]
    search_backend_name = None
    ordering = ["code"]
    inspect_view_fields = [
        "enterprise",
        "org_unit",
        "name",
        "code",
        "hazard_level",
        "special_operation",
        "apprenticeship_months",
        "hazardous_process",
        "hazards",
        "is_active",
    ]

    def get_form_class(self, for_update=False):
        return PostEditForm if for_update else PostForm


# --- employees -------------------------------------------------------------------


def current_assignments_prefetch(on_date=None) -> Prefetch:
    """Prefetch each employee's current post assignments (with posts) into
    ``current_assignment_list``: one query for the whole page."""
    on_date = on_date or timezone.localdate()
    current = (
        PostAssignment.objects.filter(start_date__lte=on_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on_date))
        .select_related("post")
        .order_by("start_date", "id")
    )
    return Prefetch("assignments", queryset=current, to_attr="current_assignment_list")


def current_posts(employee) -> str:
    assignments = getattr(employee, "current_assignment_list", None)
    if assignments is None:  # not prefetched (e.g. a single object)
        assignments = list(employee.current_assignments().select_related("post"))
    return "、".join(a.post.name for a in assignments)


class EmployeeFilterSet(ScopedFilterSet):
    org_unit = django_filters.ModelChoiceFilter(label=gettext_lazy("所在单位"), queryset=OrgUnit.objects.all())
    post = django_filters.ModelChoiceFilter(
        label=gettext_lazy("当前岗位"), queryset=Post.objects.all(), method="filter_current_post"
    )

    class Meta:
        model = Employee
        fields = ["org_unit", "post", "employment_type", "status", "is_principal", "is_safety_manager"]

    def filter_current_post(self, queryset, name, value):
        today = timezone.localdate()
        current = PostAssignment.objects.filter(post=value, start_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )
        return queryset.filter(pk__in=current.values("employee_id"))


class EmployeeIndexView(EnterpriseColumnMixin, ScopedIndexView):
    base_list_display = [
        "employee_no",
        "name",
        Column("id_number_masked", label=gettext_lazy("身份证号")),
        "org_unit",
        "employment_type",
        "status",
        Column("current_posts", label=gettext_lazy("当前岗位"), accessor=current_posts),
        "enterprise",
    ]

    def search_queryset(self, queryset):
        """A whole 身份证号 in the search box finds its holder by the keyed
        hash (the stored number is encrypted; parts of it find nothing)."""
        if self.is_searching:
            try:
                number = clean_id_number(self.search_query)
            except ValidationError:
                pass
            else:
                return queryset.filter(id_number_hash=blind_index(number))
        return super().search_queryset(queryset)

    export_fields = OrderedDict(
        [
            ("employee_no", (gettext_lazy("工号"), lambda e: e.employee_no)),
            ("name", (gettext_lazy("姓名"), lambda e: e.name)),
            ("id_number_masked", (gettext_lazy("身份证号"), lambda e: e.id_number_masked)),
            ("enterprise", (gettext_lazy("企业"), lambda e: e.enterprise.name)),
            ("org_unit", (gettext_lazy("所在单位"), lambda e: e.org_unit.name if e.org_unit else "")),
            ("employment_type", (gettext_lazy("用工形式"), lambda e: e.get_employment_type_display())),
            ("status", (gettext_lazy("状态"), lambda e: e.get_status_display())),
            ("current_posts", (gettext_lazy("当前岗位"), current_posts)),
            ("is_principal", (gettext_lazy("主要负责人"), lambda e: _("是") if e.is_principal else _("否"))),
            (
                "is_safety_manager",
                (gettext_lazy("安全管理人员"), lambda e: _("是") if e.is_safety_manager else _("否")),
            ),
            ("hire_date", (gettext_lazy("入职日期"), lambda e: e.hire_date)),
        ]
    )

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("org_unit", "enterprise")
            .prefetch_related(current_assignments_prefetch())
        )

    def to_row_dict(self, item):
        # Exports carry the masked ID number only (list_export names the columns).
        return OrderedDict((key, self.export_fields[key][1](item)) for key in self.list_export)

    def get_heading(self, queryset, field):
        return str(self.export_fields[field][0])

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("add"):
            buttons.append(
                MenuItem(
                    _("记录任职事件"),
                    url=reverse("employmentevent:add") + f"?employee={instance.pk}",
                    icon_name="date",
                    priority=40,
                )
            )
            if instance.status == Employee.Status.ACTIVE:
                buttons.append(
                    MenuItem(
                        _("分配岗位"),
                        url=reverse("postassignment:add") + f"?employee={instance.pk}",
                        icon_name="pick",
                        priority=41,
                    )
                )
        return buttons


class EmployeeCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("员工“%(object)s”已创建，并已记录入职事件。")

    def save_instance(self):
        return services.employee_create(
            employee=self.form.instance, actor=self.request.user, post=self.form.cleaned_data.get("post")
        )


class EmployeeEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.employee_update(
            employee=self.object, data=self.form.changed_data_for_service(), actor=self.request.user
        )


class EmployeeInspectView(LabelledInspectView):
    field_labels = {"id_number_masked": gettext_lazy("身份证号"), "current_posts": gettext_lazy("当前岗位")}

    def get_current_posts_display_value(self):
        return current_posts(self.object) or "—"

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, Employee.objects.select_related("org_unit", "enterprise", "user")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = list(self.object.events.select_related("post").order_by("-date", "-id")[:50])
        return context


class EmployeeViewSet(ScopedModelViewSet):
    model = Employee
    menu_name = "workforce-employee"
    icon = "user"
    menu_label = gettext_lazy("员工")
    menu_order = 400
    url_prefix = "workforce/employee"
    capabilities = {
        "view": Capability.VIEW,
        "inspect": Capability.VIEW,
        "add": Capability.CHANGE,
        "change": Capability.CHANGE,
    }
    delete_view_enabled = False  # an employee's file (一人一档) is kept; leaving is an event
    index_view_class = EmployeeIndexView
    add_view_class = EmployeeCreateView
    edit_view_class = EmployeeEditView
    inspect_view_class = EmployeeInspectView
    inspect_template_name = "workforce/admin/employee_inspect.html"
    filterset_class = EmployeeFilterSet
    search_fields = ["employee_no", "name", "phone"]
    search_backend_name = None
    ordering = ["employee_no"]
    list_per_page = 50
    list_export = list(EmployeeIndexView.export_fields)
    export_filename = "employees"
    inspect_view_fields = [
        "employee_no",
        "name",
        "id_number_masked",
        "phone",
        "enterprise",
        "org_unit",
        "employment_type",
        "status",
        "current_posts",
        "is_principal",
        "is_safety_manager",
        "hire_date",
        "user",
    ]

    def get_form_class(self, for_update=False):
        return EmployeeEditForm if for_update else EmployeeForm


# --- employment events -------------------------------------------------------------


class EmploymentEventFilterSet(ScopedFilterSet):
    date = django_filters.DateFromToRangeFilter(label=gettext_lazy("日期"), widget=DateRangePickerWidget)

    class Meta:
        model = EmploymentEvent
        fields = ["type", "date", "source"]


class EmploymentEventIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("employee", "post", "recorded_by")


class PrefillFromQueryMixin:
    """Create views that accept ``?employee=<id>`` to preselect the employee."""

    def get_initial(self):
        initial = super().get_initial()
        employee_id = self.request.GET.get("employee", "")
        if employee_id.isdigit():
            initial["employee"] = int(employee_id)
        return initial


class EmploymentEventCreateView(PrefillFromQueryMixin, ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("已记录任职事件：%(object)s")

    def save_instance(self):
        data = self.form.cleaned_data
        return services.event_record(
            employee=data["employee"],
            type=data["type"],
            date=data["date"],
            post=data.get("post"),
            note=data.get("note", ""),
            actor=self.request.user,
            source=EmploymentEvent.Source.ADMIN,
        )


class EmploymentEventViewSet(ScopedModelViewSet):
    model = EmploymentEvent
    menu_name = "workforce-event"
    icon = "date"
    menu_label = gettext_lazy("任职事件")
    menu_order = 500
    url_prefix = "workforce/event"
    # Events are facts: recorded, never edited or deleted (a mistake gets a correcting event).
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.CHANGE}
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = EmploymentEventIndexView
    add_view_class = EmploymentEventCreateView
    inspect_view_class = type(
        "EmploymentEventInspectView", (LabelledInspectView,), {"field_labels": {"recorded_by": gettext_lazy("记录人")}}
    )
    filterset_class = EmploymentEventFilterSet
    list_display = [
        "employee",
        "type",
        Column("date", label=gettext_lazy("日期"), sort_key="date"),
        "post",
        "source",
        Column("recorded_by", label=gettext_lazy("记录人")),
    ]
    search_fields = ["employee__name", "employee__employee_no", "note"]
    search_backend_name = None
    ordering = ["-date", "-id"]
    inspect_view_fields = [
        "employee",
        "type",
        "date",
        "post",
        "note",
        "source",
        "corrects",
        "recorded_by",
        "recorded_at",
    ]

    def get_form_class(self, for_update=False):
        return EmploymentEventForm


# --- post assignments ----------------------------------------------------------------


class PostAssignmentFilterSet(ScopedFilterSet):
    post = django_filters.ModelChoiceFilter(label=gettext_lazy("岗位"), queryset=Post.objects.all())
    open = django_filters.BooleanFilter(
        label=gettext_lazy("在岗中"), field_name="end_date", lookup_expr="isnull", widget=forms.NullBooleanSelect
    )

    class Meta:
        model = PostAssignment
        fields = ["post", "kind", "open"]


class PostAssignmentIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("employee", "post", "mentor")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.end_date is None and self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("结束"),
                    url=reverse("postassignment:end", args=(quote(instance.pk),)),
                    icon_name="cross",
                    priority=15,
                )
            )
        return buttons


class PostAssignmentCreateView(PrefillFromQueryMixin, ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("已分配岗位：%(object)s")

    def save_instance(self):
        data = self.form.cleaned_data
        return services.assignment_create(
            employee=data["employee"],
            post=data["post"],
            start_date=data["start_date"],
            kind=data["kind"],
            mentor=data.get("mentor"),
            actor=self.request.user,
        )


class PostAssignmentEndView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """The "结束" action: ends an open assignment through ``assignment_end``."""

    model = PostAssignment
    permission_required = "change"
    template_name = "workforce/admin/assignment_end.html"
    page_title = gettext_lazy("结束岗位分配")
    header_icon = "cross"
    index_url_name = None

    def load(self):
        self.object = self.get_scoped_object(
            "change", self.kwargs["pk"], PostAssignment.objects.select_related("employee", "post")
        )

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": PostAssignment._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def render(self, form):
        context = self.get_context_data(
            form=form,
            object=self.object,
            action_url=self.request.path,
            submit_button_label=_("结束岗位分配"),
            submit_button_active_label=_("正在保存…"),
            media=form.media,
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        self.load()
        if self.object.end_date is not None:
            messages.warning(request, _("该岗位分配已结束"))
            return redirect(self.index_url_name)
        return self.render(AssignmentEndForm(assignment=self.object, initial={"end_date": timezone.localdate()}))

    def post(self, request, *args, **kwargs):
        self.load()
        form = AssignmentEndForm(request.POST, assignment=self.object)
        if form.is_valid():
            try:
                services.assignment_end(
                    assignment=self.object, end_date=form.cleaned_data["end_date"], actor=request.user
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已结束岗位分配：%(object)s") % {"object": self.object})
                return redirect(self.index_url_name)
        messages.validation_error(request, _("未能结束岗位分配，请检查填写内容。"), form)
        return self.render(form)


class PostAssignmentViewSet(ScopedModelViewSet):
    model = PostAssignment
    menu_name = "workforce-assignment"
    icon = "pick"
    menu_label = gettext_lazy("岗位分配")
    menu_order = 600
    url_prefix = "workforce/assignment"
    # "change" is the 结束 action; there is no edit form and no delete (history).
    capabilities = {
        "view": Capability.VIEW,
        "inspect": Capability.VIEW,
        "add": Capability.CHANGE,
        "change": Capability.CHANGE,
    }
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = PostAssignmentIndexView
    add_view_class = PostAssignmentCreateView
    inspect_view_class = type(
        "PostAssignmentInspectView", (LabelledInspectView,), {"field_labels": {"created_by": gettext_lazy("办理人")}}
    )
    filterset_class = PostAssignmentFilterSet
    list_display = [
        "employee",
        "post",
        "kind",
        "mentor",
        Column("start_date", label=gettext_lazy("上岗日期"), sort_key="start_date"),
        Column("end_date", label=gettext_lazy("离岗日期"), sort_key="end_date"),
    ]
    search_fields = ["employee__name", "employee__employee_no", "post__name"]
    search_backend_name = None
    ordering = ["-start_date", "-id"]
    inspect_view_fields = ["employee", "post", "kind", "mentor", "start_date", "end_date", "created_by", "created_at"]

    def get_form_class(self, for_update=False):
        return PostAssignmentForm

    @property
    def end_view(self):
        return PostAssignmentEndView.as_view(index_url_name=self.get_url_name("index"))

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [self.object_url("end", self.end_view, "end")]


# --- dashboard -----------------------------------------------------------------------


class HeadcountPanel(Component):
    """各单位在册人数: active employees per org unit, for the user's enterprises."""

    name = "workforce_headcount"
    template_name = "workforce/admin/headcount_panel.html"
    order = 120
    max_rows = 20

    def __init__(self, rows: list[dict], total_units: int, total: int):
        self.rows = rows
        self.total_units = total_units
        self.total = total

    @classmethod
    def for_request(cls, request) -> HeadcountPanel | None:
        """The panel for this user, or None when the user has no enterprise."""
        user = request.user
        if enterprise_ids(user, Capability.VIEW) == frozenset():
            return None
        counts = headcount_by_unit(admin_scope(Employee.objects.active(), user, Capability.VIEW))
        top = max((row["count"] for row in counts), default=0)
        for row in counts:
            row["percent"] = round(row["count"] * 100 / top) if top else 0
        return cls(counts[: cls.max_rows], len(counts), sum(row["count"] for row in counts))

    def get_context_data(self, parent_context):
        return {
            "rows": self.rows,
            "more": max(0, self.total_units - len(self.rows)),
            "total": self.total,
            "show_enterprise": len({row["enterprise"] for row in self.rows}) > 1,
        }


def headcount_by_unit(employees: QuerySet) -> list[dict]:
    """Active headcount per org unit (one aggregate query), largest first."""
    rows = (
        employees.values("enterprise__name", "org_unit_id", "org_unit__name")
        .annotate(count=Count("id"))
        .order_by("-count", "enterprise__name", "org_unit__name")
    )
    return [
        {
            "enterprise": row["enterprise__name"],
            "unit": row["org_unit__name"] or _("（未分配单位）"),
            "count": row["count"],
        }
        for row in rows
    ]


# --- the group -----------------------------------------------------------------------


class WorkforceViewSetGroup(ModelViewSetGroup):
    menu_name = "workforce"
    menu_label = gettext_lazy("人员与组织")
    menu_icon = "group"
    menu_order = 150
    items = (
        EnterpriseViewSet("enterprise"),
        OrgUnitViewSet("orgunit"),
        PostViewSet("post"),
        EmployeeViewSet("employee"),
        EmploymentEventViewSet("employmentevent"),
        PostAssignmentViewSet("postassignment"),
    )


workforce_viewset_group = WorkforceViewSetGroup()
