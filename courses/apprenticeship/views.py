"""The apprentice's and the mentor's pages (phone first): my
apprenticeships, one apprenticeship with its log, evaluations, assessment
and signatures, the forms, and the mentor agreement PDF.

Thin views: :func:`.selectors.apprenticeships_for` decides what a user may see (their
enterprise's rows through scoping, plus the ones they are mentor or workshop
head of); anything else is a 404. Each write is one service call; a
refusal is shown on the form or as a message, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can
from lms.archive.pdf import render_pdf
from lms.kernel.admin import apply_service_errors

from . import selectors, services
from .forms import AssessmentForm, ConfirmForm, EvaluationForm, SignForm, WeekForm
from .models import Apprenticeship, SignOff


def _get_for_user(request, pk: int) -> Apprenticeship:
    apprenticeship = selectors.apprenticeship_for_user(request.user, pk)
    if apprenticeship is None:
        raise Http404
    user = request.user
    ent = apprenticeship.apprentice.enterprise_id
    if not (can(user, Capability.VIEW, ent) or selectors.is_apprentice(apprenticeship, user)
            or selectors.is_mentor(apprenticeship, user) or selectors.is_workshop_head(apprenticeship, user)):
        log(apprenticeship, "anxun.regulator_read", user=user, data={"what": "apprenticeship", "id": apprenticeship.pk})
    return apprenticeship


def _roles(apprenticeship, user) -> dict:
    return {
        "is_apprentice": selectors.is_apprentice(apprenticeship, user),
        "is_mentor": selectors.is_mentor(apprenticeship, user),
        "is_head": selectors.is_workshop_head(apprenticeship, user),
        "is_hr": can(user, Capability.CHANGE, apprenticeship.apprentice.enterprise_id),
    }


@require_GET
@never_cache
@login_required
def mine(request):
    """我的师带徒: as apprentice, as mentor, as workshop head."""
    mine = selectors.apprenticeships_of(request.user)
    return render(request, "apprenticeship/mine.html", {
        "as_apprentice": mine.as_apprentice, "as_mentor": mine.as_mentor, "as_head": mine.as_head,
    })


@require_GET
@never_cache
@login_required
def detail(request, pk: int):
    apprenticeship = _get_for_user(request, pk)
    logs = selectors.weekly_logs_of(apprenticeship)
    roles = _roles(apprenticeship, request.user)
    signoffs = {s.role: s for s in apprenticeship.signoffs.all()}
    my_role = SignOff.Role.MENTOR if roles["is_mentor"] else SignOff.Role.WORKSHOP_HEAD if roles["is_head"] else None
    context = {
        "a": apprenticeship,
        "logs": logs,
        "evaluations": selectors.evaluations_of(apprenticeship),
        "assessments": selectors.assessments_of(apprenticeship),
        "sign_rows": [{"label": label, "signoff": signoffs.get(value)} for value, label in SignOff.Role.choices],
        "can_sign": my_role is not None and my_role not in signoffs
        and request.user.pk not in {s.signed_by_id for s in signoffs.values()},
        "my_sign_label": SignOff.Role(my_role).label if my_role else "",
        "ready": selectors.readiness(apprenticeship),
        "sign_form": SignForm(),
        **roles,
    }
    return render(request, "apprenticeship/detail.html", context)


def _form_page(request, apprenticeship, form, title: str, submit: str):
    return render(request, "apprenticeship/form.html", {"a": apprenticeship, "form": form, "title": title, "submit": submit})


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def week(request, pk: int):
    """The apprentice writes one week's entry (or rewrites it before the mentor confirms)."""
    apprenticeship = _get_for_user(request, pk)
    if not selectors.is_apprentice(apprenticeship, request.user):
        raise PermissionDenied(_("只有徒弟本人可以填写周记"))
    initial = {}
    wanted = request.GET.get("week", "")
    existing = None
    if wanted:
        existing = apprenticeship.weekly_logs.filter(week_start=wanted).first() if _is_date(wanted) else None
        initial["week_start"] = wanted
        if existing is not None:
            initial.update(content=existing.content, practice=existing.practice, problems=existing.problems, hours=existing.hours)
    form = WeekForm(request.POST or None, apprenticeship=apprenticeship, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.weekly_log_save(apprenticeship=apprenticeship, week_start=data["week_start"], content=data["content"],
                                     practice=data["practice"], problems=data["problems"], hours=data["hours"],
                                     actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("周记已提交，等待师傅确认"))
            return redirect("apprenticeship:detail", pk=apprenticeship.pk)
    return _form_page(request, apprenticeship, form, _("填写师带徒周记"), _("提交周记"))


def _is_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@require_POST
@login_required
def confirm(request, pk: int, log_pk: int):
    apprenticeship = _get_for_user(request, pk)
    entry = selectors.weekly_log_of(apprenticeship, log_pk)
    if entry is None:
        raise Http404
    entry.apprenticeship = apprenticeship
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("apprenticeship:detail", pk=apprenticeship.pk)
    try:
        services.weekly_log_confirm(entry=entry, comment=form.cleaned_data["comment"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已确认 %(d)s 这一周的周记") % {"d": entry.week_start})
    return redirect("apprenticeship:detail", pk=apprenticeship.pk)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def evaluate(request, pk: int):
    apprenticeship = _get_for_user(request, pk)
    if not selectors.is_mentor(apprenticeship, request.user):
        raise PermissionDenied(_("只有该徒弟的师傅可以填写月度评价"))
    form = EvaluationForm(request.POST or None, apprenticeship=apprenticeship)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_save(apprenticeship=apprenticeship, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("月度评价已保存"))
            return redirect("apprenticeship:detail", pk=apprenticeship.pk)
    return _form_page(request, apprenticeship, form, _("月度评价"), _("保存评价"))


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def assess(request, pk: int):
    apprenticeship = _get_for_user(request, pk)
    roles = _roles(apprenticeship, request.user)
    if not (roles["is_mentor"] or roles["is_head"] or roles["is_hr"]):
        raise PermissionDenied(_("只有师傅、车间负责人或人事可以录入出师考核"))
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.assessment_record(apprenticeship=apprenticeship, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if result.passed:
                messages.success(request, _("出师考核合格（%(s)s 分）") % {"s": result.score})
            else:
                messages.warning(request, _("出师考核不合格（%(s)s 分，合格分 %(p)s），可补考") % {"s": result.score, "p": result.pass_score})
            return redirect("apprenticeship:detail", pk=apprenticeship.pk)
    return _form_page(request, apprenticeship, form, _("出师考核"), _("保存考核结果"))


@require_POST
@login_required
def sign(request, pk: int):
    apprenticeship = _get_for_user(request, pk)
    form = SignForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("apprenticeship:detail", pk=apprenticeship.pk)
    try:
        services.apprenticeship_sign(apprenticeship=apprenticeship, comment=form.cleaned_data["comment"], actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        apprenticeship.refresh_from_db()
        if apprenticeship.status == Apprenticeship.Status.COMPLETED:
            messages.success(request, _("双方已签字，%(n)s 出师，已转为正式上岗并记入培训档案") % {"n": apprenticeship.apprentice.name})
        else:
            messages.success(request, _("已签字，等待另一方签字"))
    return redirect("apprenticeship:detail", pk=apprenticeship.pk)


@require_GET
@never_cache
@login_required
def agreement_pdf(request, pk: int):
    """师徒协议 as an A4 PDF (inline, so a phone opens it)."""
    apprenticeship = _get_for_user(request, pk)
    rules = selectors.mentor_rules(apprenticeship.apprentice.enterprise)
    since = selectors.mentor_on_post_since(apprenticeship.mentor, apprenticeship.post, apprenticeship.start_date)
    title = _("师徒协议")
    pdf = render_pdf("apprenticeship/pdf/agreement.html", {
        "a": apprenticeship, "rules": rules, "mentor_since": since,
        "enterprise_name": apprenticeship.apprentice.enterprise.name, "document_title": title,
        "today": timezone.localdate(),
    })
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{apprenticeship.apprentice.employee_no}-{apprenticeship.apprentice.name}-{title}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response
