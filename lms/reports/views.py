"""统计报表 pages: the dashboard (headline figures and two charts), one page
per report (chart + table + Excel), and the principal's annual duties.

Read-only: GET only, for enterprise staff with a view role (their
enterprises), regulators (their regions; every read logged for the
enterprises concerned) and platform superusers. Bad filters answer 400 with
the form's errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation, ObligationKind
from lms.kernel.rates import percent_int
from lms.supervision.selectors import is_regulator
from lms.workforce.models import Employee

from . import frames
from .access import log_regulator_read, report_enterprises
from .exports import table_xlsx
from .forms import ReportForm
from .registry import REPORTS, dimension_choices


def _enterprises_or_403(request) -> list:
    enterprises = list(report_enterprises(request.user))
    if not enterprises:
        raise PermissionDenied(_("统计报表仅向企业管理人员和监管人员开放"))
    return enterprises


def _bound(request, report, enterprises) -> ReportForm:
    """The filter form, always bound: an empty query string means the defaults."""
    return ReportForm(
        request.GET, enterprises=enterprises,
        dimensions=dimension_choices(report, several_enterprises=len(enterprises) > 1), default_by=report.default_by,
    )


def _scope(form: ReportForm, by: str | None = None) -> tuple[frames.ReportScope, list]:
    chosen, year, as_of, default_by = form.scope_values()
    return frames.ReportScope(tuple(e.pk for e in chosen), year, as_of, by or default_by), chosen


def _about(scope: frames.ReportScope, chosen: list, request) -> list[tuple[str, str]]:
    names = "、".join(e.name for e in chosen[:20]) + (_(" 等 %(n)s 家") % {"n": len(chosen)} if len(chosen) > 20 else "")
    return [
        (_("企业"), names), (_("年度"), str(scope.year)), (_("统计截至"), scope.as_of.isoformat()),
        (_("统计口径"), frames._dimension_label(scope.by)),
        (_("导出人"), request.user.get_full_name() or request.user.get_username()),
    ]


@require_GET
@never_cache
@login_required
def dashboard(request):
    """统计概览: the headline figures of every report and two charts."""
    enterprises = _enterprises_or_403(request)
    form = _bound(request, REPORTS["coverage"], enterprises)
    if not form.is_valid():
        return render(request, "reports/dashboard.html", {"form": form, "reports": REPORTS.values()}, status=400)
    several = len(form.scope_values()[0]) > 1
    scope, chosen = _scope(form, "enterprise" if several else "unit")
    cov = frames.coverage(scope)
    obl = frames.obligations(frames.ReportScope(scope.enterprise_ids, scope.year, scope.as_of, "kind"))
    lapsed = frames.lapsed(scope)
    exam = frames.exams(frames.ReportScope(scope.enterprise_ids, scope.year, scope.as_of, "quarter"))
    certs = frames.certificates(frames.ReportScope(scope.enterprise_ids, scope.year, scope.as_of, "month"))
    warn = frames.warning(frames.ReportScope(scope.enterprise_ids, scope.year, scope.as_of, "quarter"))
    soon = certs.frame[certs.frame["key"] <= 3]
    tiles = [
        {"label": _("培训覆盖率"), "value": cov.total["coverage"], "kind": "pct", "report": "coverage"},
        {"label": _("学时完成率"), "value": cov.total["completion"], "kind": "pct", "report": "coverage"},
        {"label": _("达标率"), "value": cov.total["compliant"], "kind": "pct", "report": "coverage"},
        {"label": _("在岗未达标人次"), "value": lapsed.total["lapsed"], "kind": "int", "report": "lapsed", "alert": True},
        {"label": _("已逾期培训义务"), "value": obl.total["overdue"], "kind": "int", "report": "obligations", "alert": True},
        {"label": _("30 天内到期义务"), "value": obl.total["due_soon"], "kind": "int", "report": "obligations"},
        {"label": _("考试合格率"), "value": exam.total["pass_rate"], "kind": "pct", "report": "exams"},
        {"label": _("警示教育覆盖率"), "value": warn.total["coverage"], "kind": "pct", "report": "warning"},
        {"label": _("3 个月内到期/复审证书（含已过期）"),
         "value": int(soon["expiring"].sum() + soon["review_due"].sum()), "kind": "int", "report": "certificates", "alert": True},
    ]
    log_regulator_read(request.user, chosen, "report", report="dashboard", year=scope.year)
    return render(request, "reports/dashboard.html", {
        "form": form, "scope": scope, "tiles": tiles, "reports": REPORTS.values(),
        "charts": [
            {"id": "chart-coverage", "title": _("培训覆盖率、学时完成率与达标率（按%(by)s）") % {"by": frames._dimension_label(scope.by)},
             "data": cov.chart, "report": "coverage", "by": scope.by},
            {"id": "chart-obligations", "title": _("培训义务完成情况（按类别）"), "data": obl.chart,
             "report": "obligations", "by": "kind"},
        ],
        "query": request.GET.urlencode(),
    })


def _report_or_404(key: str):
    report = REPORTS.get(key)
    if report is None:
        raise Http404(_("没有这张报表"))
    return report


def _table(request, key: str, what: str):
    """The report ``key`` for the request's filters: (report, form, scope, enterprises, table),
    the table None when the filters are bad. A regulator's read is logged as ``what``."""
    report = _report_or_404(key)
    enterprises = _enterprises_or_403(request)
    form = _bound(request, report, enterprises)
    if not form.is_valid():
        return report, form, None, [], None
    scope, chosen = _scope(form)
    table = report.build(scope)
    log_regulator_read(request.user, chosen, what, report=key, year=scope.year, by=scope.by)
    return report, form, scope, chosen, table


def _bad_filters(request, report, form):
    return render(request, "reports/report.html", {"report": report, "form": form, "reports": REPORTS.values()},
                  status=400)


@require_GET
@never_cache
@login_required
def report(request, key: str):
    report, form, scope, _chosen, table = _table(request, key, "report")
    if table is None:
        return _bad_filters(request, report, form)
    return render(request, "reports/report.html", {
        "report": report, "form": form, "scope": scope, "table": table, "reports": REPORTS.values(),
        "rows": table.rows(), "total": table.total_row(), "query": request.GET.urlencode(),
    })


@require_GET
@never_cache
@login_required
def export(request, key: str):
    report, form, scope, chosen, table = _table(request, key, "report_xlsx")
    if table is None:
        return _bad_filters(request, report, form)
    body = table_xlsx(table, title=str(report.title), about=_about(scope, chosen, request))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = f"{report.title}-{scope.year}-{scope.by}.xlsx"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- the principal's annual duties -------------------------------------------------------------

PRINCIPAL_KINDS = (ObligationKind.PRINCIPAL_INITIAL, ObligationKind.PRINCIPAL_ANNUAL)


@require_GET
@never_cache
@login_required
def principal(request):
    """主要负责人/安全管理人员: my own initial and annual training against the
    rules (hours, exam), and the enterprise figures I answer for."""
    today = timezone.localdate()
    mine = list(
        Employee.objects.filter(user=request.user, status=Employee.Status.ACTIVE)
        .filter(Q(is_principal=True) | Q(is_safety_manager=True)).select_related("enterprise")
    )
    if not mine:
        raise PermissionDenied(_("该页面仅向主要负责人和安全管理人员开放"))
    ids = [e.pk for e in mine]
    year_lo = dt.date(today.year, 1, 1)
    duties: dict[int, list] = {pk: [] for pk in ids}
    for o in (Obligation.objects.filter(employee_id__in=ids, kind__in=PRINCIPAL_KINDS)
              .exclude(status=Obligation.Status.VOID)
              .filter(due_date__gte=year_lo).select_related("rule").order_by("due_date")):
        duties[o.employee_id].append(o)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(year_lo, dt.time.min, tzinfo=tz)
    hours = dict(
        TrainingRecord.objects.filter(employee_id__in=ids, start_at__gte=lo).values("employee_id")
        .annotate(h=Sum("hours")).values_list("employee_id", "h")
    )
    from exams.models import Attempt

    exams: dict[int, list] = {pk: [] for pk in ids}
    for a in (Attempt.objects.filter(employee_id__in=ids, status=Attempt.Status.GRADED, graded_at__gte=lo)
              .select_related("exam").order_by("-graded_at")):
        exams[a.employee_id].append(a)
    from lms.compliance.models import RuleCode
    from lms.compliance.rules import RuleBook

    book = RuleBook.load()
    cards = []
    for e in sorted(mine, key=lambda e: e.enterprise_id):
        # What the rules ask of this person this year, shown even before the
        # year's obligation exists (the daily scan creates it).
        annual_rule = book.get(RuleCode.PRINCIPAL_ANNUAL, e.enterprise, year_lo)
        scope = frames.ReportScope((e.enterprise_id,), today.year, today, "unit")
        cov = frames.coverage(scope)
        obl = frames.obligations(frames.ReportScope(scope.enterprise_ids, scope.year, today, "kind"))
        lapsed = frames.lapsed(scope)
        warn = frames.warning(frames.ReportScope(scope.enterprise_ids, scope.year, today, "quarter"))
        cards.append({
            "employee": e, "enterprise": e.enterprise,
            "role": _("主要负责人") if e.is_principal else _("安全管理人员"),
            "duties": [
                {"obligation": o, "kind": o.get_kind_display(), "required": o.min_hours,
                 "done": min(o.completed_hours, o.min_hours) if o.min_hours else o.completed_hours,
                 # No hours owed (an exam-only duty): no percentage, not 100 %.
                 "percent": None if not o.min_hours else min(100, percent_int(o.completed_hours, o.min_hours)),
                 "source": o.rule.source, "overdue": o.status == Obligation.Status.OPEN and o.due_date < today}
                for o in duties[e.pk]
            ],
            "hours": hours.get(e.pk) or Decimal("0"),
            "annual_rule": annual_rule,
            "has_annual": any(o.kind == ObligationKind.PRINCIPAL_ANNUAL for o in duties[e.pk]),
            "exams": exams[e.pk][:5],
            "figures": [
                (_("培训覆盖率"), cov.total["coverage"], "pct"),
                (_("学时完成率"), cov.total["completion"], "pct"),
                (_("达标率"), cov.total["compliant"], "pct"),
                (_("在岗未达标人次"), lapsed.total["lapsed"], "int"),
                (_("已逾期培训义务"), obl.total["overdue"], "int"),
                (_("警示教育覆盖率"), warn.total["coverage"], "pct"),
            ],
            "chart": {"id": f"chart-principal-{e.pk}", "data": cov.chart},
        })
    may_see_all = bool(report_enterprises(request.user).filter(pk__in=[e.enterprise_id for e in mine]).exists())
    return render(request, "reports/principal.html", {
        "cards": cards, "year": today.year, "may_see_reports": may_see_all, "is_regulator": is_regulator(request.user),
    })
