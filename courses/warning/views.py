"""Pages of warning education (phone first).

- workers: 我的警示教育 (the quarter's campaigns), the study page (the cases
  chosen for their post, the reflection), and the URL inside a meeting's
  rotating QR code;
- HR and managers: the campaign page (cases per post, the enterprise's own
  cases, meetings), coverage per unit with who is missing, the meeting screen;
- 违规违章档案: one person's violations and the off-post retraining they caused.

Thin views: a ``_get_…`` helper gives 404 for another enterprise's rows (and
403 for a role of the same enterprise that may not do it), one service call,
render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.log_actions import log

from content.models import AccidentCaseIndexPage
from courses.offline.attendance_views import scan_views, screen_views
from courses import timing
from courses import views as course_views
from courses.models import study_minute_seconds
from lms.accounts.roles import Capability
from lms.accounts.scoping import can, enterprise_ids, scope
from lms.compliance.selectors import clearance
from lms.kernel.admin import apply_service_errors
from lms.kernel.errors import refusal_text
from lms.workforce.models import Employee, Post, PostAssignment

from . import selectors, services
from .forms import ExtraCasesForm, MeetingForm, ReflectionForm
from .models import WarningCampaign, WarningMeeting


def _member_enterprises(user) -> set[int]:
    ids = {ent for ent, _role in user.role_pairs()}
    ids |= set(Employee.objects.filter(user=user).values_list("enterprise_id", flat=True))
    return ids


def _get_campaign_for_worker(request, pk: int) -> WarningCampaign:
    ents = Employee.objects.filter(user=request.user, status=Employee.Status.ACTIVE).values("enterprise_id")
    return get_object_or_404(WarningCampaign.objects.select_related("enterprise").filter(enterprise_id__in=ents), pk=pk)


def _get_campaign_for_staff(request, pk: int, capability=Capability.VIEW) -> WarningCampaign:
    """A campaign of the user's own enterprises (else 404) that their role lets them see or manage (else 403)."""
    qs = WarningCampaign.objects.select_related("enterprise")
    if not request.user.is_superuser:
        qs = qs.filter(enterprise_id__in=_member_enterprises(request.user))
    campaign = get_object_or_404(qs, pk=pk)
    if not can(request.user, capability, campaign.enterprise_id):
        raise PermissionDenied(_("您无权查看或管理该企业的警示教育"))
    return campaign


def _get_meeting_to_run(request, pk: int) -> WarningMeeting:
    meeting = get_object_or_404(WarningMeeting.objects.select_related("campaign__enterprise", "host"), pk=pk)
    if not (request.user.is_superuser or meeting.host_id == request.user.pk
            or meeting.campaign.enterprise_id in _member_enterprises(request.user)):
        raise Http404
    if not selectors.may_run_meeting(request.user, meeting):
        raise PermissionDenied(_("只有会议主持人或企业培训管理人员可以操作"))
    return meeting


# --- workers -----------------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def mine(request):
    """我的警示教育."""
    library = AccidentCaseIndexPage.objects.live().first()
    return render(request, "warning/mine.html", {
        "campaigns": selectors.campaigns_for_worker(request.user),
        "library": library,
        "is_staff": enterprise_ids(request.user, Capability.VIEW) != frozenset(),
    })


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def study(request, pk: int):
    """Study the cases chosen for the worker's post and answer the reflection question."""
    campaign = _get_campaign_for_worker(request, pk)
    try:
        my_study = services.study_open(campaign=campaign, user=request.user)
    except ValidationError as exc:
        raise PermissionDenied(refusal_text(exc)) from exc
    form = ReflectionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.study_complete(study=my_study, user=request.user,
                                                 reflection=form.cleaned_data["reflection"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, result.message)
                return redirect("warning:study", pk=campaign.pk)
        status = 400
    cases = selectors.cases_for_employee(campaign, my_study.employee)
    rules = timing.Rules.from_settings()
    # The course player's study clock (courses/static/courses/player.js) on
    # this page: the same server-side rules as online courses.
    config = {
        "start": reverse("warning:clock_start", args=[campaign.pk]),
        "heartbeat": reverse("warning:heartbeat", args=[campaign.pk]),
        "answer": "",
        "interval": rules.interval,
        "idleLimit": rules.idle,
        "required": services.min_study_seconds(),
        "seconds": my_study.seconds,
        "maxPosition": 0,
        "completed": my_study.is_completed,
        "text": {
            "offline": _("网络中断，暂停计时，恢复后自动继续"),
            "done": _("本次警示教育已完成"),
            "chooseAnswer": "",
            "answerQuestions": "",
            "correct": "",
            "minutes": _("分"),
            "seconds": _("秒"),
            "error": _("出错了，请刷新页面"),
        },
    }
    return render(request, "warning/study.html", {
        "campaign": campaign, "study": my_study, "cases": cases, "form": form,
        "min_chars": services.reflection_min_chars(),
        "min_minutes": services.min_study_seconds() // study_minute_seconds(),
        "player_config": config, "presence_seconds": rules.presence_answer,
    }, status=status)


def _open_study_or_403(request, pk: int):
    campaign = _get_campaign_for_worker(request, pk)
    try:
        return services.study_open(campaign=campaign, user=request.user)
    except ValidationError as exc:
        raise PermissionDenied(refusal_text(exc)) from exc


@login_required
@require_POST
def clock_start(request, pk: int):
    """Start the study page's clock (the player's ``start``)."""
    study = _open_study_or_403(request, pk)
    return course_views.heartbeat_answer(
        lambda: {"accepted": True, **services.study_clock_start(study=study, user=request.user)}
    )


@login_required
@require_POST
def heartbeat(request, pk: int):
    """One heartbeat of the study page: the course heartbeat's body and reply."""
    study = _open_study_or_403(request, pk)

    def apply():
        token, beat = course_views.heartbeat_body(request)
        return services.study_heartbeat(study=study, user=request.user, token=token, beat=beat)

    return course_views.heartbeat_answer(apply)


# The URL inside a meeting's QR code and its return from the login page: the attendance flow's pages.
scan, scan_resume = scan_views(services.MEETINGS)


# --- HR and managers -------------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def campaigns(request):
    """警示教育活动: the campaigns of the enterprises whose records the user may read, with coverage."""
    ents = enterprise_ids(request.user, Capability.VIEW)
    if ents is not None and not ents:
        raise PermissionDenied(_("您无权查看警示教育活动"))
    qs = WarningCampaign.objects.select_related("enterprise").order_by("-year", "-quarter", "enterprise__name", "pk")
    if ents is not None:
        qs = qs.filter(enterprise_id__in=ents)
    rows = list(qs[:40])
    return render(request, "warning/campaigns.html", {"campaigns": rows, "coverage": selectors.coverage_totals(rows)})


@require_GET
@never_cache
@login_required
def manage(request, pk: int):
    """The campaign: cases per post (by hazards), the enterprise's own cases, meetings."""
    campaign = _get_campaign_for_staff(request, pk)
    return render(request, "warning/manage.html", _manage_context(request, campaign, MeetingForm()))


def _manage_context(request, campaign: WarningCampaign, meeting_form: MeetingForm) -> dict:
    library = selectors.library_cases()
    posts = list(Post.objects.filter(enterprise=campaign.enterprise, is_active=True).select_related("org_unit")
                 .order_by("org_unit__code", "code"))
    per_post = [(p, selectors.cases_for_hazards(p.hazards, library)[: selectors.MAX_CASES_PER_PERSON]) for p in posts]
    return {
        "campaign": campaign,
        "per_post": per_post,
        "cases_form": ExtraCasesForm(initial={"extra_cases": list(campaign.extra_cases.all())}),
        "meeting_form": meeting_form,
        "meetings": list(campaign.meetings.select_related("host").order_by("start_at")),
        "can_manage": selectors.may_manage(request.user, campaign.enterprise_id),
    }


@require_POST
@login_required
def set_cases(request, pk: int):
    campaign = _get_campaign_for_staff(request, pk, Capability.CHANGE)
    form = ExtraCasesForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_set_extra_cases(campaign=campaign, actor=request.user, cases=form.cleaned_data["extra_cases"])
        except ValidationError as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(request, _("已保存企业补充案例"))
    else:
        messages.error(request, _("请选择列表中的案例"))
    return redirect("warning:manage", pk=campaign.pk)


@require_POST
@login_required
def meeting_new(request, pk: int):
    campaign = _get_campaign_for_staff(request, pk, Capability.CHANGE)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_create(campaign=campaign, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已安排警示教育会议“%(t)s”") % {"t": meeting.title})
            return redirect("warning:manage", pk=campaign.pk)
    return render(request, "warning/manage.html", _manage_context(request, campaign, form), status=400)


@require_GET
@never_cache
@login_required
def coverage(request, pk: int):
    """覆盖率: per unit, for the campaign's quarter, with who is missing."""
    campaign = _get_campaign_for_staff(request, pk)
    return render(request, "warning/coverage.html", {
        "campaign": campaign,
        "coverage": selectors.coverage(enterprise=campaign.enterprise, year=campaign.year, quarter=campaign.quarter),
    })


# 签到大屏: the attendance flow's screen (the same page as an offline session's).
meeting_screen, meeting_screen_code = screen_views(services.MEETINGS, _get_meeting_to_run)


@require_POST
@login_required
def meeting_close(request, pk: int):
    meeting = _get_meeting_to_run(request, pk)
    try:
        records = services.meeting_close(meeting=meeting, actor=request.user)
    except ValidationError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("会议已结束，已为 %(n)s 人写入培训档案。") % {"n": len(records)})
    return redirect("warning:manage", pk=meeting.campaign_id)


# --- 违规违章档案 ---------------------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def violations(request, employee_pk: int):
    """One person's violations and the off-post retraining they triggered
    (HR and managers of the enterprise, regulators of its region, the person)."""
    employee = get_object_or_404(
        scope(Employee.objects.select_related("enterprise", "org_unit"), request.user), pk=employee_pk
    )
    if employee.user_id != request.user.pk and not can(request.user, Capability.VIEW, employee.enterprise_id):
        # A regulator of the region (read-only): every such read is logged.
        log(employee, "anxun.regulator_read", user=request.user, data={"what": "violations", "employee_id": employee.pk})
    posts = [a.post for a in PostAssignment.objects.filter(employee=employee, end_date__isnull=True).select_related("post")]
    gates = [(post, clearance(employee, post)) for post in posts]
    return render(request, "warning/violations.html", {
        "employee": employee,
        "entries": selectors.violation_history(employee),
        "gates": gates,
    })
