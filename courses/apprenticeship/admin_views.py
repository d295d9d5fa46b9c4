"""The 师带徒 back office (HR): apprenticeships (pair, end early, re-pair),
workshop heads, and the enterprise's mentor rules. Every viewset is a
ScopedModelViewSet (other enterprises' rows are 404) and saves through
:mod:`courses.apprenticeship.services`."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.admin.widgets import AdminDateInput

from lms.accounts.admin_scoping import (
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedInspectView,
    ScopedModelForm,
    ScopedModelViewSet,
    ScopedViewMixin,
)
from lms.accounts.roles import Capability
from lms.kernel.admin import apply_service_errors
from lms.workforce.models import OrgUnit, Post

from . import services
from .models import Apprenticeship, ApprenticeshipPolicy, WorkshopHead

_HR = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.CHANGE, "change": Capability.CHANGE}


class ServiceFormMixin:
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            apply_service_errors(form, error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


# --- apprenticeships ---------------------------------------------------------------


class ApprenticeshipForm(ScopedModelForm):
    """Pair an apprentice with a mentor (services.apprenticeship_start)."""

    scoped_fields = ("apprentice", "mentor", "post", "previous")

    class Meta:
        model = Apprenticeship
        fields = ["apprentice", "post", "mentor", "start_date", "plan", "previous"]
        widgets = {"plan": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["apprentice"].queryset = self.fields["apprentice"].queryset.active().order_by("employee_no")
        self.fields["mentor"].queryset = self.fields["mentor"].queryset.active().order_by("employee_no")
        self.fields["post"].queryset = self.fields["post"].queryset.filter(is_active=True, apprenticeship_months__gt=0)
        self.fields["previous"].queryset = self.fields["previous"].queryset.filter(
            status=Apprenticeship.Status.ENDED, end_reason__in=Apprenticeship.REPAIR_REASONS, next__isnull=True
        )
        self.fields["previous"].help_text = _("师傅离岗后重新指定师傅时选择原师带徒；已带徒时间继续计算")
        self.fields["start_date"].initial = timezone.localdate()


class ApprenticeshipCreateView(ServiceFormMixin, ScopedCreateView):
    success_message = gettext_lazy("已建立师带徒：%(object)s")

    def get_initial(self):
        initial = super().get_initial()
        previous = self.request.GET.get("previous")
        if previous and previous.isdigit():
            found = self.scoped_queryset("change").filter(pk=int(previous)).first()
            if found is not None:
                initial.update(previous=found.pk, apprentice=found.apprentice_id, post=found.post_id, plan=found.plan)
        return initial

    def save_instance(self):
        data = self.form.cleaned_data
        return services.apprenticeship_start(
            apprentice=data["apprentice"], mentor=data["mentor"], post=data["post"], start_date=data["start_date"],
            plan=data.get("plan") or "", previous=data.get("previous"), actor=self.request.user,
        )


class ApprenticeshipFilterSet(ScopedFilterSet):
    post = django_filters.ModelChoiceFilter(label=gettext_lazy("岗位"), queryset=Post.objects.filter(apprenticeship_months__gt=0))

    class Meta:
        model = Apprenticeship
        fields = ["status", "post"]


class ApprenticeshipIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("apprentice", "mentor", "post")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(MenuItem(_("师带徒记录"), url=reverse("apprenticeship:detail", args=(instance.pk,)),
                                icon_name="doc-full", priority=5))
        if self.user_has_permission("change"):
            if instance.status == Apprenticeship.Status.RUNNING:
                buttons.append(MenuItem(_("提前终止"), url=reverse("apprenticeship_admin:end", args=(quote(instance.pk),)),
                                        icon_name="cross", priority=15))
            elif instance.end_reason in Apprenticeship.REPAIR_REASONS:
                buttons.append(MenuItem(_("重新指定师傅"), url=reverse("apprenticeship_admin:add") + f"?previous={instance.pk}",
                                        icon_name="user", priority=16))
        return buttons


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("终止原因"), choices=Apprenticeship.EndReason.choices)
    ended_on = forms.DateField(label=gettext_lazy("终止日期"), widget=AdminDateInput())
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ApprenticeshipEndView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """提前终止: the reason is recorded; nothing is deleted."""

    model = Apprenticeship
    permission_required = "change"
    template_name = "apprenticeship/admin/end.html"
    page_title = gettext_lazy("提前终止师带徒")
    header_icon = "cross"
    index_url_name = None

    def load(self):
        self.object = self.get_scoped_object(
            "change", self.kwargs["pk"], Apprenticeship.objects.select_related("apprentice", "mentor", "post")
        )

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": Apprenticeship._meta.verbose_name_plural},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def render(self, form):
        context = self.get_context_data(
            form=form, object=self.object, action_url=self.request.path, submit_button_label=_("终止师带徒"),
            submit_button_active_label=_("正在保存…"), media=form.media,
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        self.load()
        if not self.object.is_running:
            messages.warning(request, _("该师带徒已结束"))
            return redirect(self.index_url_name)
        return self.render(EndForm(initial={"ended_on": timezone.localdate()}))

    def post(self, request, *args, **kwargs):
        self.load()
        form = EndForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.apprenticeship_end(apprenticeship=self.object, reason=data["reason"], ended_on=data["ended_on"],
                                            note=data["note"], actor=request.user)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("已终止师带徒：%(object)s") % {"object": self.object})
                return redirect(self.index_url_name)
        messages.validation_error(request, _("未能终止师带徒，请检查填写内容。"), form)
        return self.render(form)


class ApprenticeshipInspectView(ScopedInspectView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["front_url"] = reverse("apprenticeship:detail", args=(self.object.pk,))
        return context


class ApprenticeshipViewSet(ScopedModelViewSet):
    model = Apprenticeship
    menu_name = "apprenticeship-list"
    icon = "group"
    menu_label = gettext_lazy("师带徒")
    menu_order = 100
    url_prefix = "apprenticeship/apprenticeships"
    name = "apprenticeship_admin"
    capabilities = _HR
    # Permissions come from capabilities per enterprise (HR changes, every
    # back-office role reads); this app has no role table rows of its own.
    require_model_perm = False
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = ApprenticeshipIndexView
    add_view_class = ApprenticeshipCreateView
    inspect_view_class = ApprenticeshipInspectView
    filterset_class = ApprenticeshipFilterSet
    list_display = [
        "apprentice", "mentor", "post", "status",
        Column("start_date", label=gettext_lazy("开始日期"), sort_key="start_date"),
        Column("planned_end", label=gettext_lazy("期满日期"), sort_key="planned_end"),
    ]
    list_export = ["apprentice", "mentor", "post", "status", "first_start", "start_date", "planned_end", "ended_on",
                   "end_reason", "completed_on"]
    search_fields = ["apprentice__name", "apprentice__employee_no", "mentor__name", "post__name"]
    search_backend_name = None
    ordering = ["-start_date", "-id"]
    inspect_view_fields = ["apprentice", "mentor", "post", "workshop", "status", "first_start", "start_date", "months",
                           "planned_end", "plan", "ended_on", "end_reason", "end_note", "ended_by", "completed_on",
                           "record", "previous", "created_by", "created_at"]

    def get_form_class(self, for_update=False):
        return ApprenticeshipForm

    @property
    def end_view(self):
        return ApprenticeshipEndView.as_view(index_url_name=self.get_url_name("index"))

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [self.object_url("end", self.end_view, "end")]


# --- workshop heads ---------------------------------------------------------------


class WorkshopHeadForm(ScopedModelForm):
    scoped_fields = ("org_unit", "employee")

    class Meta:
        model = WorkshopHead
        fields = ["org_unit", "employee", "since", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = self.fields["org_unit"].queryset.filter(kind=OrgUnit.Kind.WORKSHOP)
        self.fields["employee"].queryset = self.fields["employee"].queryset.order_by("employee_no")


class WorkshopHeadCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return services.workshop_head_save(head=self.form.instance, actor=self.request.user)


class WorkshopHeadEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.workshop_head_save(head=self.form.instance, actor=self.request.user)


class WorkshopHeadViewSet(ScopedModelViewSet):
    model = WorkshopHead
    menu_name = "apprenticeship-heads"
    icon = "user"
    menu_label = gettext_lazy("车间负责人")
    menu_order = 200
    url_prefix = "apprenticeship/workshop-heads"
    name = "workshophead"
    capabilities = _HR
    require_model_perm = False
    delete_view_enabled = False  # a head steps down (卸任日期); past sign-offs name them
    add_view_class = WorkshopHeadCreateView
    edit_view_class = WorkshopHeadEditView
    list_display = ["org_unit", "employee", "since", "until"]
    search_fields = ["employee__name", "org_unit__name"]
    search_backend_name = None
    inspect_view_fields = ["org_unit", "employee", "since", "until", "created_at"]

    def get_form_class(self, for_update=False):
        return WorkshopHeadForm


# --- the enterprise's mentor rules ----------------------------------------------------------


class PolicyForm(ScopedModelForm):
    choice_capability = Capability.CONFIGURE_RULES

    class Meta:
        model = ApprenticeshipPolicy
        fields = ["enterprise", "mentor_min_years", "mentor_max_apprentices", "pass_score"]


class PolicyCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        return services.policy_save(policy=self.form.instance, actor=self.request.user)


class PolicyEditView(ServiceFormMixin, ScopedEditView):
    def save_instance(self):
        return services.policy_save(policy=self.form.instance, actor=self.request.user)


class PolicyViewSet(ScopedModelViewSet):
    model = ApprenticeshipPolicy
    menu_name = "apprenticeship-policy"
    icon = "cog"
    menu_label = gettext_lazy("师带徒规则")
    menu_order = 300
    url_prefix = "apprenticeship/policy"
    name = "apprenticeshippolicy"
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.CONFIGURE_RULES,
                    "change": Capability.CONFIGURE_RULES}
    require_model_perm = False
    delete_view_enabled = False
    add_view_class = PolicyCreateView
    edit_view_class = PolicyEditView
    list_display = ["enterprise", "mentor_min_years", "mentor_max_apprentices", "pass_score"]
    inspect_view_fields = ["enterprise", "mentor_min_years", "mentor_max_apprentices", "pass_score", "updated_at"]

    def get_form_class(self, for_update=False):
        return PolicyForm


class ApprenticeshipViewSetGroup(ModelViewSetGroup):
    menu_name = "apprenticeship"
    menu_label = gettext_lazy("师带徒")
    menu_icon = "group"
    menu_order = 260
    items = (ApprenticeshipViewSet(), WorkshopHeadViewSet(), PolicyViewSet())


apprenticeship_viewset_group = ApprenticeshipViewSetGroup()
