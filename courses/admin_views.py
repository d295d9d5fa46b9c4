"""The back office of online learning (在线学习): course assignments to units
and posts (HR), enrolments (read-only), and the course page form that keeps
editors inside their own enterprise."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets import AdminDateInput

from lms.accounts.admin_scoping import ScopedCreateView, ScopedModelForm, ScopedModelViewSet
from lms.accounts.roles import Capability
from lms.accounts.scoping import enterprise_ids
from lms.kernel.admin import ServiceFormMixin

from . import services
from .models import CourseAssignment, CoursePage, Enrolment


class CourseAssignmentForm(ScopedModelForm):
    scoped_fields = ("org_unit", "post")

    class Meta:
        model = CourseAssignment
        fields = ["course", "org_unit", "post", "due_date", "note"]
        widgets = {"due_date": AdminDateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ents = enterprise_ids(self.for_user, Capability.CHANGE)
        courses = CoursePage.objects.live().order_by("title")
        if ents is not None:
            courses = courses.filter(Q(enterprise__isnull=True) | Q(enterprise_id__in=ents))
        self.fields["course"].queryset = courses
        self.fields["org_unit"].required = False
        self.fields["post"].required = False

    def clean(self):
        data = super().clean()
        if bool(data.get("org_unit")) == bool(data.get("post")):
            raise forms.ValidationError(gettext_lazy("请选择一个单位或一个岗位（二选一）"))
        return data


class CourseAssignmentCreateView(ServiceFormMixin, ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.course_assign(
            actor=self.request.user, course=data["course"], org_unit=data.get("org_unit"), post=data.get("post"),
            due_date=data["due_date"], note=data.get("note", ""),
        )


class CourseAssignmentViewSet(ScopedModelViewSet):
    model = CourseAssignment
    menu_name = "courses-assignment"
    icon = "group"
    menu_label = gettext_lazy("课程指派")
    menu_order = 100
    url_prefix = "courses/assignment"
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.CHANGE}
    require_model_perm = False
    edit_view_enabled = False
    delete_view_enabled = False  # the enrolments it made name it
    add_view_class = CourseAssignmentCreateView
    list_display = ["course", "org_unit", "post", "due_date", "created_by", "created_at"]
    list_filter = ["due_date"]
    search_fields = ["course__title", "org_unit__name", "post__name"]
    search_backend_name = None
    inspect_view_fields = ["course", "enterprise", "org_unit", "post", "due_date", "note", "created_by", "created_at"]

    def get_form_class(self, for_update=False):
        return CourseAssignmentForm


def _progress(enrolment) -> str:
    return enrolment.get_status_display()


class EnrolmentNoForm(forms.ModelForm):
    class Meta:
        model = Enrolment
        fields = []


class EnrolmentViewSet(ScopedModelViewSet):
    model = Enrolment
    menu_name = "courses-enrolment"
    icon = "list-ul"
    menu_label = gettext_lazy("选课与学习进度")
    menu_order = 200
    url_prefix = "courses/enrolment"
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW}
    require_model_perm = False
    edit_view_enabled = False
    delete_view_enabled = False
    list_display = [
        "employee", "course", "source",
        Column("status", label=gettext_lazy("状态"), accessor=_progress),
        "due_date", "completed_at", "record",
    ]
    list_filter = ["status", "source"]
    search_fields = ["employee__name", "employee__employee_no", "course__title"]
    search_backend_name = None
    inspect_view_fields = ["employee", "course", "source", "obligation", "assignment", "due_date", "status",
                           "enrolled_at", "started_at", "completed_at", "record"]

    def get_common_view_kwargs(self, **kwargs):
        return {**super().get_common_view_kwargs(**kwargs), "add_url_name": None}

    def get_form_class(self, for_update=False):
        # Enrolments come from obligations, assignments and learners: never by hand.
        return EnrolmentNoForm

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name != "add"]



class LearningViewSetGroup(ViewSetGroup):
    items = (CourseAssignmentViewSet, EnrolmentViewSet)
    menu_label = gettext_lazy("在线学习")
    menu_icon = "doc-full-inverse"
    menu_order = 260


learning_viewset_group = LearningViewSetGroup()
