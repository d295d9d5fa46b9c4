"""监管端 pages (phone first).

- regulators: draw a sample (双随机), their samples, one sample with a link to
  each person's file (the archive's own page, which logs every read), record
  findings, close or reopen them;
- enterprise staff: the findings against their enterprise (HR answers with
  evidence) and 监管查阅记录, every regulator read of their people's files.

Thin views: 403 for a role that has no business here, 404 for rows of
another region or enterprise, one service call, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, enterprise_ids, scope
from lms.kernel.jobs import job_progress
from lms.kernel.admin import apply_service_errors
from lms.media.serving import fieldfile_response
from lms.workforce.models import Employee, Enterprise

from . import bundle as bundles
from . import selectors, services
from .forms import AnswerForm, FindingForm, ReviewForm, SampleForm
from .models import Finding, FindingEntry, Sample, SampleBundle


def _require_regulator(request) -> None:
    if not selectors.is_regulator(request.user):
        raise PermissionDenied(_("该页面仅向监管人员开放"))


def _is_staff(user) -> bool:
    return enterprise_ids(user, Capability.VIEW) != frozenset()


def _require_staff_or_regulator(request) -> None:
    if not (selectors.is_regulator(request.user) or _is_staff(request.user)):
        raise PermissionDenied(_("该页面仅向监管人员和企业管理人员开放"))


def _get_sample_for_user(request, pk: int) -> Sample:
    _require_regulator(request)
    return get_object_or_404(Sample.objects.select_related("regulator"), pk=pk, regulator=request.user)


def _get_finding_for_user(request, pk: int) -> Finding:
    _require_staff_or_regulator(request)
    return get_object_or_404(selectors.findings_for(request.user), pk=pk)


@require_GET
@login_required
def index(request):
    if selectors.is_regulator(request.user):
        return redirect("supervision:samples")
    _require_staff_or_regulator(request)
    return redirect("supervision:findings")


# --- samples (regulators) ----------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def samples(request):
    """我的抽查样本."""
    _require_regulator(request)
    page = Paginator(selectors.samples_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "supervision/samples.html", {"page": page})


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def sample_new(request):
    """Draw a sample: the rules, an optional seed."""
    _require_regulator(request)
    codes = sorted(request.user.regulator_memberships.filter(is_active=True).values_list("region_code", flat=True))
    form = SampleForm(request.POST or None, default_region=codes[0] if codes else "")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                sample = services.sample_draw(
                    regulator=request.user, region_code=data["region_code"], n=data["n"], m=data["m"],
                    filters={k: data[k] for k in ("industry", "risk_class", "weight_high_hazard")}, seed=data["seed"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已抽取样本，随机种子 %(seed)s 已记录") % {"seed": sample.seed})
                return redirect("supervision:sample", pk=sample.pk)
        status = 400
    return render(request, "supervision/sample_form.html", {"form": form, "regions": codes}, status=status)


@require_GET
@never_cache
@login_required
def sample_detail(request, pk: int):
    """One sample: its rules and seed, the enterprises and people drawn, with links to each file."""
    sample = _get_sample_for_user(request, pk)
    return render(request, "supervision/sample_detail.html", {
        "sample": sample,
        "groups": selectors.sample_rows(sample, with_obligations=True),
        "findings": sample.findings.select_related("enterprise", "employee"),
        "bundle": sample.bundles.order_by("-created_at", "-id").first(),
        # An auditor's check: the seed recomputes this very sample on today's data.
        "reproduces": services.sample_reproduce(sample) == selectors.sample_items(sample),
    })


def _bundle_json(bundle: SampleBundle) -> dict:
    return job_progress(
        bundle,
        progress_url=reverse("supervision:bundle_progress", args=[bundle.sample_id, bundle.pk]),
        zip_url=reverse("supervision:bundle_zip", args=[bundle.sample_id, bundle.pk]) if bundle.archive else None,
    )


@require_POST
@login_required
def bundle_start(request, pk: int):
    """Queue the sample's bundle (or show the one in progress)."""
    sample = _get_sample_for_user(request, pk)
    bundle = bundles.bundle_request(actor=request.user, sample=sample)
    bundle.refresh_from_db()  # an eager task has already run on commit
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse(_bundle_json(bundle), status=202)
    if bundle.status == SampleBundle.Status.SUCCEEDED:
        messages.success(request, _("打包完成，可下载压缩包"))
    elif bundle.status == SampleBundle.Status.FAILED:
        messages.error(request, _("打包失败：%(error)s") % {"error": bundle.error})
    else:
        messages.info(request, _("正在打包，完成后可在本页下载"))
    return redirect("supervision:sample", pk=sample.pk)


def _get_bundle_for_user(request, pk: int, bundle_pk: int) -> SampleBundle:
    sample = _get_sample_for_user(request, pk)
    return get_object_or_404(SampleBundle, pk=bundle_pk, sample=sample)


@require_GET
@never_cache
@login_required
def bundle_progress(request, pk: int, bundle_pk: int):
    """Progress of a bundle, as JSON for the progress bar."""
    return JsonResponse(_bundle_json(_get_bundle_for_user(request, pk, bundle_pk)))


@require_GET
@never_cache
@login_required
def bundle_zip(request, pk: int, bundle_pk: int):
    """The finished bundle (zip)."""
    bundle = _get_bundle_for_user(request, pk, bundle_pk)
    if not bundle.archive:
        raise Http404
    return fieldfile_response(request, bundle.archive,
                              filename=_("抽查样本%(pk)s-档案包") % {"pk": bundle.sample_id} + ".zip")


# --- findings ---------------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def findings(request):
    """检查问题: a regulator's region, or the user's enterprises."""
    _require_staff_or_regulator(request)
    qs = selectors.findings_for(request.user)
    status = request.GET.get("status")
    if status in Finding.Status.values:
        qs = qs.filter(status=status)
    elif status == "overdue":
        qs = qs.filter(status__in=Finding.AWAITING_ANSWER, deadline__lt=timezone.localdate())
    else:
        status = ""
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "supervision/findings.html", {
        "page": page, "statuses": [*Finding.Status.choices, ("overdue", _("已逾期"))], "current": status,
        "is_regulator": selectors.is_regulator(request.user),
    })


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def finding_new(request):
    """Record a finding against ``?enterprise=`` (optionally ``&sample=`` and ``&employee=``)."""
    _require_regulator(request)
    try:
        ent_pk = int(request.GET.get("enterprise", ""))
        sample_pk = int(request.GET["sample"]) if request.GET.get("sample") else None
        emp_pk = int(request.GET["employee"]) if request.GET.get("employee") else None
    except ValueError as exc:
        raise Http404 from exc
    enterprise = get_object_or_404(scope(Enterprise.objects.all(), request.user), pk=ent_pk)
    sample = get_object_or_404(Sample, pk=sample_pk, regulator=request.user) if sample_pk else None
    if sample is not None:
        people = [row for g in selectors.sample_rows(sample) if g["enterprise"].pk == enterprise.pk for row in g["people"]]
    else:
        people = list(Employee.objects.filter(enterprise=enterprise).order_by("employee_no")[:500])
    initial = {"employee": emp_pk} if emp_pk else None
    form = FindingForm(request.POST or None, people=people, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            employee = next((p for p in people if p.pk == data["employee"]), None)
            try:
                finding = services.finding_create(
                    actor=request.user, enterprise=enterprise, sample=sample, employee=employee, kind=data["kind"],
                    description=data["description"], deadline=data["deadline"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已记录检查问题，企业将在其检查问题页面看到并答复"))
                return redirect("supervision:finding", pk=finding.pk)
        status = 400
    return render(request, "supervision/finding_form.html",
                  {"form": form, "enterprise": enterprise, "sample": sample}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def finding_detail(request, pk: int):
    """The finding and its thread; HR answers here, the regulator who recorded it closes or reopens it."""
    finding = _get_finding_for_user(request, pk)
    user = request.user
    may_answer = finding.is_awaiting_answer() and can(user, Capability.CHANGE, finding.enterprise_id)
    may_review = (selectors.is_regulator(user) and finding.created_by_id == user.pk
                  and finding.status in (Finding.Status.ANSWERED, Finding.Status.CLOSED))
    answer_form = AnswerForm()
    review_form = ReviewForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answer":
                if not can(user, Capability.CHANGE, finding.enterprise_id):
                    raise PermissionDenied(_("只有本企业的人力资源或企业管理员可以答复"))
                answer_form = AnswerForm(request.POST, request.FILES)
                if answer_form.is_valid():
                    services.finding_answer(actor=user, finding=finding, text=answer_form.cleaned_data["text"],
                                            evidence=answer_form.cleaned_data["evidence"])
                    messages.success(request, _("答复已提交，等待监管部门审核"))
                    return redirect("supervision:finding", pk=finding.pk)
            elif action == "review":
                review_form = ReviewForm(request.POST)
                if review_form.is_valid():
                    data = review_form.cleaned_data
                    if data["decision"] == "close":
                        services.finding_close(actor=user, finding=finding, text=data["text"])
                        messages.success(request, _("已销号"))
                    else:
                        services.finding_reopen(actor=user, finding=finding, text=data["text"])
                        messages.success(request, _("已退回企业重新整改"))
                    return redirect("supervision:finding", pk=finding.pk)
            else:
                raise PermissionDenied(_("未知的操作"))
        except ValidationError as exc:
            apply_service_errors(answer_form if action == "answer" else review_form, exc)
        status = 400
    return render(request, "supervision/finding_detail.html", {
        "finding": finding,
        "entries": finding.entries.select_related("author"),
        "authority": selectors.authorities_for([finding.created_by_id]).get(finding.created_by_id, ""),
        "may_answer": may_answer, "may_review": may_review,
        "answer_form": answer_form, "review_form": review_form,
        "is_regulator": selectors.is_regulator(user),
    }, status=status)


@require_GET
@never_cache
@login_required
def evidence(request, pk: int, entry_pk: int):
    """Download one answer's evidence (whoever may read the finding)."""
    finding = _get_finding_for_user(request, pk)
    entry = get_object_or_404(FindingEntry, pk=entry_pk, finding=finding)
    if not entry.evidence:
        raise Http404
    return fieldfile_response(request, entry.evidence, filename=entry.evidence_name or None)


# --- 监管查阅记录 (enterprise staff) -------------------------------------------------------------


@require_GET
@never_cache
@login_required
def reads(request):
    """Every regulator read of the files of the user's enterprises, newest first."""
    if not _is_staff(request.user):
        raise PermissionDenied(_("该页面仅向企业管理人员开放"))
    page = Paginator(selectors.regulator_reads_for(request.user), 50).get_page(request.GET.get("page"))
    authorities = selectors.authorities_for(e.user_id for e in page if e.user_id)
    for entry in page:
        entry.authority = authorities.get(entry.user_id, "")
    return render(request, "supervision/reads.html", {"page": page})
