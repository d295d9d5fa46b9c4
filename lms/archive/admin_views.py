"""The training-record back office (培训记录), in the "培训合规" menu group.

Records are append-only: the viewset lists, shows and adds them; there is no
edit and no delete view (and no URL for either). A mistake is put right with
the 更正 action, which opens the add form prefilled with ``corrects`` set; the
new record replaces the old one in every count and both stay in the archive.
Every write goes through :func:`lms.archive.services.record_append`.
Evidence scans are served through a scoped view, never as public media.
"""

from __future__ import annotations

import os

import django_filters
from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedFilterSet,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedViewMixin,
)
from lms.accounts.roles import Capability
from lms.kernel.admin import LocalTimeInspectMixin, ServiceFormMixin, local_text
from lms.media.serving import fieldfile_response

from .admin_forms import RECORD_FIELDS, TrainingRecordForm
from .models import TrainingRecord
from .services import record_append


class TrainingRecordFilterSet(ScopedFilterSet):
    date = django_filters.DateFromToRangeFilter(
        label=gettext_lazy("培训日期"), field_name="end_at__date", widget=DateRangePickerWidget
    )

    class Meta:
        model = TrainingRecord
        fields = ["kind", "level", "source", "assessment_result", "date"]


def record_hours(record) -> str:
    return f"{record.hours.normalize():f}"


def record_day(record) -> str:
    return local_text(record.end_at)[:10]


class TrainingRecordIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("employee", "post")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("add"):
            buttons.append(
                MenuItem(_("更正"), url=correct_url(instance), icon_name="edit", priority=30)
            )
        return buttons


def correct_url(record) -> str:
    return reverse("trainingrecord:add") + f"?corrects={record.pk}"


class TrainingRecordCreateView(ServiceFormMixin, ScopedCreateView):
    """Append a record entered by hand; ``?corrects=<id>`` prefills a correction
    and ``?employee=<id>`` preselects the person."""

    success_message = gettext_lazy("已追加培训记录：%(object)s")

    @cached_property
    def corrected(self) -> TrainingRecord | None:
        value = self.request.GET.get("corrects", "")
        if not value.isdigit():
            return None
        # Only a record this user could also correct (CHANGE), else ignored.
        return self.scoped_queryset("add", TrainingRecord.objects.select_related("employee")).filter(pk=value).first()

    def get_initial(self):
        initial = super().get_initial()
        if self.corrected is not None:
            old = self.corrected
            initial.update({name: getattr(old, name) for name in RECORD_FIELDS if name not in ("evidence", "corrects")})
            initial["employee"] = old.employee_id
            initial["post"] = old.post_id
            initial["corrects"] = old.pk
        else:
            employee = self.request.GET.get("employee", "")
            if employee.isdigit():
                initial["employee"] = int(employee)
        return initial

    def get_page_title(self):
        if self.corrected is not None:
            return _("更正培训记录")
        return super().get_page_title()

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        if self.corrected is not None and items:
            items[-1] = {**items[-1], "label": _("更正培训记录")}
        return items

    @property
    def submit_button_label(self):
        return _("保存更正") if self.corrected is not None else _("追加到档案")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["corrected"] = self.corrected or getattr(context.get("form"), "corrected", None)
        return context

    def save_instance(self):
        form = self.form
        return record_append(employee=form.cleaned_data["employee"], actor=self.request.user, **form.record_fields())


class TrainingRecordInspectView(LocalTimeInspectMixin, LabelledInspectView):
    template_name = "archive/admin/record_inspect.html"
    field_labels = {"recorded_by_name": gettext_lazy("录入人"), "hash": gettext_lazy("档案哈希")}

    def get_object(self, queryset=None):
        return self.get_scoped_object(
            "view", self.pk, TrainingRecord.objects.select_related("employee", "post", "corrects")
        )

    def get_evidence_display_value(self):
        if not self.object.evidence:
            return "—"
        return os.path.basename(self.object.evidence.name)

    def get_hash_display_value(self):
        return self.object.hash

    @cached_property
    def header_buttons(self):
        if not self.user_has_permission_for_instance("add", self.object):
            return []
        return [HeaderButton(_("更正"), url=correct_url(self.object), icon_name="edit")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["corrections"] = list(self.object.corrections.order_by("seq"))
        context["evidence_url"] = (
            reverse("trainingrecord:evidence", args=(quote(self.object.pk),)) if self.object.evidence else None
        )
        context["obligations"] = list(self.object.obligations.select_related("post").order_by("due_date"))
        return context


class EvidenceView(ScopedViewMixin, PermissionCheckedMixin, View):
    """The evidence scan of a record the user may view (never public media)."""

    model = TrainingRecord
    permission_required = "view"
    file_field = "evidence"

    def get(self, request, pk):
        obj = self.get_scoped_object("view", pk)
        return fieldfile_response(request, getattr(obj, self.file_field), attachment=False)


class TrainingRecordViewSet(ScopedModelViewSet):
    model = TrainingRecord
    menu_name = "compliance-record"
    icon = "doc-full"
    menu_label = gettext_lazy("培训记录")
    menu_order = 400
    menu_hook = "register_compliance_menu_item"
    url_prefix = "archive/record"
    # Append-only: read, add (with 更正 as a new record). No change, no delete.
    capabilities = {"view": Capability.VIEW, "inspect": Capability.VIEW, "add": Capability.CHANGE}
    edit_view_enabled = False
    delete_view_enabled = False
    index_view_class = TrainingRecordIndexView
    add_view_class = TrainingRecordCreateView
    inspect_view_class = TrainingRecordInspectView
    create_template_name = "archive/admin/record_create.html"
    filterset_class = TrainingRecordFilterSet
    list_display = [
        "title",
        Column("employee", label=gettext_lazy("员工"), sort_key="employee__employee_no"),
        "kind",
        "level",
        Column("hours", label=gettext_lazy("学时"), accessor=record_hours, sort_key="hours"),
        Column("end_at", label=gettext_lazy("培训日期"), accessor=record_day, sort_key="end_at"),
        "assessment_result",
        "source",
    ]
    search_fields = ["employee__name", "employee__employee_no", "title"]
    search_backend_name = None
    ordering = ["-end_at", "-id"]
    list_per_page = 50
    inspect_view_fields = [
        "employee",
        "seq",
        "kind",
        "level",
        "post",
        "title",
        "content",
        "start_at",
        "end_at",
        "place",
        "hours",
        "trainer",
        "participants",
        "assessment_method",
        "assessment_result",
        "score",
        "source",
        "source_ref",
        "evidence",
        "corrects",
        "recorded_by_name",
        "recorded_at",
        "hash",
    ]

    def get_form_class(self, for_update=False):
        return TrainingRecordForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [self.object_url("evidence", EvidenceView.as_view(), "evidence")]
