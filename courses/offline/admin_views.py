"""The back office of offline sessions (线下培训): plan and edit sessions,
invite the people who owe the training, and jump to the trainer's pages.

Scoped like every back-office viewset (another enterprise's session is a
404); a trainer sees the sessions they teach. Planning is for people who may
change the enterprise's records (HR, enterprise admins). Writes go through
:mod:`courses.offline.services`; a refusal is a form error or a message."""

from __future__ import annotations

import re

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import HeaderButton

from lms.accounts.admin_scoping import (
    LabelledInspectView,
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedModelViewSet,
    ScopedViewMixin,
)
from lms.accounts.roles import Capability
from lms.kernel.admin import apply_service_errors

from . import selectors, services
from .admin_forms import InviteByNumberForm, OfflineSessionEditForm, OfflineSessionForm
from .models import Attendance, OfflineSession

SESSION_CAPABILITIES = {
    "view": Capability.VIEW,
    "inspect": Capability.VIEW,
    "add": Capability.CHANGE,
    "change": Capability.CHANGE,
}


def attendance_url(session) -> str:
    return reverse("offline:attendance", args=[session.pk])


def screen_url(session) -> str:
    return reverse("offline:screen", args=[session.pk])


def sheet_url(session) -> str:
    return reverse("offline:sign_in_sheet", args=[session.pk])


def invite_url(session) -> str:
    return reverse("offline_session:invite", args=(quote(session.pk),))


def invited_text(session) -> str:
    invited = getattr(session, "invited_count", None)
    if invited is None:
        invited = session.attendances.count()
    return _("%(n)s / %(cap)s 人") % {"n": invited, "cap": session.capacity}


class SessionIndexView(ScopedIndexView):
    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related("enterprise", "trainer")
        return selectors.sessions_visible_to(self.request.user, queryset).annotate(invited_count=Count("attendances"))

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(MenuItem(_("签到管理"), url=attendance_url(instance), icon_name="list-ul", priority=5))
        if instance.is_open and selectors.may_plan(self.request.user, instance.enterprise_id):
            buttons.append(MenuItem(_("邀请参训人员"), url=invite_url(instance), icon_name="group", priority=6))
        buttons.append(MenuItem(_("签到表（PDF）"), url=sheet_url(instance), icon_name="doc-full", priority=30))
        return buttons


class SessionCreateView(ScopedCreateView):
    success_message = gettext_lazy("线下培训“%(object)s”已安排，请邀请参训人员。")

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)

    def save_instance(self):
        form = self.form
        return services.session_create(
            enterprise=form.cleaned_data["enterprise"],
            actor=self.request.user,
            audience_units=form.cleaned_data.get("audience_units") or [],
            **form.session_fields(),
        )

    def get_success_url(self):
        return invite_url(self.object)


class SessionEditView(ScopedEditView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)

    def save_instance(self):
        form = self.form
        return services.session_update(
            session=OfflineSession.objects.get(pk=self.object.pk),
            actor=self.request.user,
            audience_units=form.cleaned_data.get("audience_units") or [],
            **form.session_fields(),
        )


class SessionInspectView(LabelledInspectView):
    field_labels = {
        "time": gettext_lazy("时间"),
        "invited": gettext_lazy("已邀请 / 容纳"),
        "audience": gettext_lazy("参训单位"),
    }

    def get_object(self, queryset=None):
        queryset = OfflineSession.objects.select_related("enterprise", "trainer", "post", "course", "closed_by")
        return get_object_or_404(selectors.sessions_visible_to(self.request.user, queryset), pk=self.pk)

    def get_time_display_value(self):
        return self.object.time_text()

    def get_invited_display_value(self):
        return invited_text(self.object)

    def get_audience_display_value(self):
        units = [u.name for u in self.object.audience_units.all()]
        return "、".join(units) or _("全企业")

    def get_edit_url(self):
        url = super().get_edit_url()
        return url if url and self.object.is_open else None

    @cached_property
    def header_buttons(self):
        session = self.object
        buttons = [HeaderButton(_("签到管理"), url=attendance_url(session), icon_name="list-ul")]
        if session.is_open and selectors.may_run(self.request.user, session):
            buttons.append(HeaderButton(_("签到大屏"), url=screen_url(session), icon_name="view"))
        if session.is_open and selectors.may_plan(self.request.user, session.enterprise_id):
            buttons.append(HeaderButton(_("邀请参训人员"), url=invite_url(session), icon_name="group"))
        buttons.append(HeaderButton(_("签到表（PDF）"), url=sheet_url(session), icon_name="doc-full"))
        return buttons


class SessionInviteView(ScopedViewMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """邀请参训人员: the people who owe this training (from their open
    obligations, most urgent first), the invitation list, capacity."""

    model = OfflineSession
    permission_required = "change"
    template_name = "offline/admin/invite.html"
    page_title = gettext_lazy("邀请参训人员")
    header_icon = "group"

    def load(self, pk) -> OfflineSession:
        queryset = OfflineSession.objects.select_related("enterprise", "trainer", "post")
        return self.get_scoped_object("change", pk, queryset)

    def get_page_subtitle(self):
        return self.session.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("offline_session:index"), "label": OfflineSession._meta.verbose_name_plural},
            {"url": reverse("offline_session:inspect", args=(quote(self.session.pk),)), "label": self.session.title},
            {"url": "", "label": self.get_page_title()},
        ]

    def render(self, number_form=None):
        session = self.session
        invited = selectors.attendances_of(session)
        candidates = session_candidates = selectors.session_candidates(session)
        room = max(session.capacity - len(invited), 0)
        context = self.get_context_data(
            session=session,
            invited=invited,
            candidates=candidates,
            room=room,
            preselected={c.employee.pk for c in session_candidates[:room]},
            number_form=number_form or InviteByNumberForm(),
            attendance_url=attendance_url(session),
        )
        return TemplateResponse(self.request, self.template_name, context)

    def get(self, request, pk):
        self.session = self.load(pk)
        return self.render()

    def post(self, request, pk):
        self.session = session = self.load(pk)
        action = request.POST.get("action")
        try:
            if action == "owing":
                result = services.session_invite_owing(session=session, actor=request.user)
                self._invited_message(result)
            elif action == "selected":
                ids = [v for v in request.POST.getlist("employee") if v.isdigit()]
                employees = selectors.session_employees(session, pks=ids)
                if not employees:
                    messages.error(request, _("请勾选要邀请的人员"))
                    return self.render()
                self._invited_message(services.session_invite(session=session, actor=request.user, employees=employees))
            elif action == "numbers":
                form = InviteByNumberForm(request.POST)
                if not form.is_valid():
                    return self.render(form)
                numbers = [n for n in re.split(r"[\s,，;；、]+", form.cleaned_data["numbers"]) if n]
                if not numbers:
                    form.add_error("numbers", _("请填写工号"))
                    return self.render(form)
                employees = selectors.session_employees(session, numbers=numbers)
                unknown = sorted(set(numbers) - {e.employee_no for e in employees})
                if unknown:
                    form.add_error("numbers", _("本企业没有这些工号：%(n)s") % {"n": "、".join(unknown)})
                    return self.render(form)
                self._invited_message(services.session_invite(session=session, actor=request.user, employees=employees))
            elif action == "remove":
                value = request.POST.get("attendance", "")
                attendance = get_object_or_404(Attendance, pk=value if value.isdigit() else 0, session=session)
                services.attendance_uninvite(attendance=attendance, actor=request.user)
                messages.success(request, _("已将 %(n)s 移出名单") % {"n": attendance.employee.name})
            else:
                messages.error(request, _("未知的操作"))
        except PermissionDenied:
            raise
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return self.render()
        return redirect(invite_url(session))

    def _invited_message(self, result):
        if result.invited:
            messages.success(self.request, _("已邀请 %(n)s 人") % {"n": len(result.invited)})
        elif result.already:
            messages.warning(self.request, _("所选人员都已在名单中"))
        else:
            messages.warning(self.request, _("没有需要邀请的人员（无人欠缺该项培训，或名额已满）"))


class OfflineSessionViewSet(ScopedModelViewSet):
    model = OfflineSession
    menu_name = "offline-sessions"
    icon = "group"
    menu_label = gettext_lazy("线下培训")
    menu_order = 170
    add_to_admin_menu = True
    url_prefix = "offline/sessions"
    capabilities = SESSION_CAPABILITIES
    # The app's model permissions are not in the role table: capabilities per
    # enterprise decide (see lms.accounts.admin_scoping).
    require_model_perm = False
    delete_view_enabled = False  # attendance and archive records name the session; cancel instead
    index_view_class = SessionIndexView
    add_view_class = SessionCreateView
    edit_view_class = SessionEditView
    inspect_view_class = SessionInspectView
    list_filter = ["status", "kind"]
    list_display = [
        "title",
        Column("time", label=gettext_lazy("时间"), accessor=lambda s: s.time_text(), sort_key="start_at"),
        "place",
        Column("trainer", label=gettext_lazy("授课人"), accessor=lambda s: s.trainer.get_full_name()),
        Column("invited", label=gettext_lazy("已邀请 / 容纳"), accessor=invited_text),
        "status",
        "enterprise",
    ]
    search_fields = ["title", "place"]
    search_backend_name = None
    ordering = ["-start_at"]
    inspect_view_fields = [
        "title", "enterprise", "course", "kind", "level", "post", "time", "place", "trainer", "invited", "audience",
        "audience_note", "content", "assessment_required", "assessment_method", "status", "closed_at", "closed_by",
    ]

    def get_form_class(self, for_update=False):
        return OfflineSessionEditForm if for_update else OfflineSessionForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [self.object_url("invite", SessionInviteView.as_view(), "invite")]


offline_session_viewset = OfflineSessionViewSet("offline_session")
