"""Compliance's sections of the person file (lms.archive.registry):
obligations (open first, overdue flagged; the 培训义务 sheet) and the
clearance gate's answer for each current post (a 基本信息 fact)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from lms.archive.exports import fmt_hours, scoped
from lms.archive.registry import PersonFileSection
from lms.workforce.models import PostAssignment

from .models import Obligation
from .selectors import year_cycle_obligations
from .clearance import Clearance, clearance


@dataclass
class PostClearance:
    assignment: PostAssignment
    result: Clearance

    @property
    def post(self):
        return self.assignment.post


def _obligations(pf, user) -> dict:
    obligations = list(scoped(Obligation.objects.all(), user).filter(employee=pf.employee).select_related("post"))
    # This year's cycles before the daily scan has made them: what they WILL
    # ask (unsaved, evaluated against the archive) — the portal's answer too.
    obligations += [o for o in year_cycle_obligations([pf.employee], pf.today) if o.pk is None]
    order = {Obligation.Status.OPEN: 0, Obligation.Status.MET: 1, Obligation.Status.VOID: 2}
    obligations.sort(key=lambda o: (order.get(o.status, 3), o.due_date, o.pk or 0))
    for o in obligations:
        o.is_overdue = o.status == Obligation.Status.OPEN and o.due_date < pf.today
        o.min_hours_display = fmt_hours(o.min_hours)
        o.completed_hours_display = fmt_hours(o.completed_hours)
    return {
        "obligations": obligations,
        "open_obligations": [o for o in obligations if o.status == Obligation.Status.OPEN],
        "overdue_count": sum(1 for o in obligations if o.is_overdue),
    }


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def _obligations_sheet(pf):
    return (
        _("培训义务"),
        [(_("培训义务"), 26), (_("岗位"), 12), (_("状态"), 9), (_("是否逾期"), 9), (_("已完成学时"), 11),
         (_("要求学时"), 10), (_("须考核合格"), 10), (_("已考核合格"), 10), (_("起算日期"), 12), (_("截止日期"), 12),
         (_("周期"), 9), (_("完成时间"), 17)],
        (
            [o.label, o.post.name if o.post_id else "", o.get_status_display(), _("已逾期") if o.is_overdue else "",
             o.completed_hours, o.min_hours, _yes_no(o.exam_required), _yes_no(o.exam_passed),
             o.start_date, o.due_date, o.cycle, o.met_at]
            for o in pf.obligations
        ),
    )


def _clearances(pf, user) -> dict:
    # The clearance gate itself answers, once per current post (people hold
    # one or two posts; the cost does not grow with the archive).
    out, seen = [], set()
    for a in pf.assignments:
        if a.post_id in seen:
            continue
        seen.add(a.post_id)
        out.append(PostClearance(a, clearance(pf.employee, a.post, pf.today)))
    return {"clearances": out}


def _clearance_text(result: Clearance) -> str:
    if result.cleared:
        return _("准予上岗")
    return _("不准上岗") + "（" + "；".join(r.message for r in result.reasons) + "）"


def _clearance_facts(pf) -> list[tuple]:
    return [(_("上岗资格"), "；".join(f"{c.post.name}：{_clearance_text(c.result)}" for c in pf.clearances))]


OBLIGATIONS = PersonFileSection(load=_obligations, sheet=_obligations_sheet)
CLEARANCES = PersonFileSection(load=_clearances, facts=_clearance_facts)
