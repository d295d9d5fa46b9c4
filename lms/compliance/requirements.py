"""What putting THIS person on THIS post on THIS date requires (RULES.md
"Placement is a change of post"), worked out from the rules and the person's
history — whatever path does the placement and whether or not anybody
posted a transfer or return event first.

``post_requirements(employee, post, on_date, history, rule_book)`` returns
unsaved obligations with natural keys. The placement gate persists them
(``placement.prepare``) before asking clearance; clearance computes them for
any asked (person, post, date) and uses the stored row of the same key if
there is one, else evaluates the unsaved one against the records in memory.

The placement. If the person has an assignment on the post that covers the
date, the placement is that assignment (its start date ``S``); otherwise a
placement on the date itself (``S = on_date``). The *previous assignment* is
the person's latest assignment (by start date, then id) before it — on any
post, ended or not.

What it requires (令3 §13–§17, 办法 §23):

- **First post** (no previous assignment): workshop and team level induction
  for this post. A hire without a post left its workshop/team induction
  obligations with ``post=None``: they stay (any level record after the hire
  meets them) and the first placement adds the two levels *for the post*, so
  a level record for another post does not clear this one; records with no
  post count for any post (as everywhere in ``services._record_counts``).
- **Transfer**: the previous assignment's post is in another workshop or
  team (``(workshop, team)`` of ``Post.org_unit`` differs) → workshop + team
  level retraining for this post.
- **Return**: the person has been off any post for at least the
  RETURN_RETRAINING months before ``S`` — counted from the earliest of the
  LEAVE events after the previous assignment started and the day after the
  previous assignment ended — → workshop + team level retraining, whether or
  not a RETURN event was posted.
- **Apprenticeship**: the post has apprenticeship months (the APPRENTICESHIP
  rule, as for events) and no apprenticeship completed on it since the hire.

The window (``start_date``: records ending on or after it count). Training
done for the new post *before* the placement counts, so HR can clear a
person before moving them:

- first post: from the hire date;
- transfer: from the start of the previous assignment (training while on
  the old post, after the person's previous change of post);
- return: from the day the person went off post (training during the leave
  counts);
- when several apply, the latest of them (one obligation per level);
- apprenticeship: from the hire date.

Natural key: ``<kind>:<level|->:<post id>:place:<window start>``. The same
facts give the same key whatever the order they were entered in; a history
that changes later gives a new key, and clearance only ever looks at the
keys the current history gives (a stale row of an earlier attempt is never
a reason).

A level (or the apprenticeship) is left out when an event already owes it
for this post with a window at least as strict: an event obligation of the
same level for exactly this post starting between the window start and
``S`` (the hire naming the post, a transfer or return event for it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from lms.workforce.models import EmploymentEvent, OrgUnit, Post, PostAssignment

from .models import Obligation, ObligationKind, RuleCode
from .periods import at_least_months
from .rules import RuleBook, add_months, split_levels

ZERO = Decimal("0")
# How long after the triggering event or placement pre-post training is due (policy).
PREPOST_DUE_DAYS = 30
PLACEMENT_MARK = ":place:"
LEVEL_KINDS = (ObligationKind.INDUCTION, ObligationKind.RETRAINING)
REQUIREMENT_KINDS = (ObligationKind.INDUCTION, ObligationKind.RETRAINING, ObligationKind.APPRENTICESHIP)


def placement_key(kind: str, level: str, post_id: int, since: dt.date) -> str:
    return f"{kind}:{level or '-'}:{post_id}{PLACEMENT_MARK}{since.isoformat()}"


def is_placement_key(key: str) -> bool:
    return PLACEMENT_MARK in key


@dataclass
class History:
    """One person's employment facts as the requirements read them."""

    hire_date: dt.date
    # (start, id, post_id, end) in (start, id) order
    assignments: list[tuple] = field(default_factory=list)
    leaves: list[dt.date] = field(default_factory=list)
    # event obligations that may cover a requirement: (kind, level, post_id, start_date)
    event_obligations: list[tuple] = field(default_factory=list)


@dataclass
class Units:
    """Post id → (workshop id, team id), from the enterprise's org tree."""

    by_post: dict[int, tuple] = field(default_factory=dict)

    @classmethod
    def build(cls, posts, org_units) -> Units:
        units = {u.pk: u for u in org_units}
        out = {}
        for p in posts:
            u = units.get(p.org_unit_id)
            if u is None:
                out[p.pk] = (None, None)
            elif u.kind == OrgUnit.Kind.TEAM:
                out[p.pk] = (u.parent_id, u.pk)
            elif u.kind == OrgUnit.Kind.WORKSHOP:
                out[p.pk] = (u.pk, None)
            else:
                out[p.pk] = (None, None)
        return cls(out)

    def of(self, post_id):
        return self.by_post.get(post_id, (None, None))


# --- loading histories -------------------------------------------------------


def _histories(employees, assignment_rows, event_rows, obligation_rows) -> dict[int, History]:
    out = {e.pk: History(hire_date=e.hire_date) for e in employees}
    for emp_id, ev_type, day in event_rows:
        h = out.get(emp_id)
        if h is None:
            continue
        if ev_type == EmploymentEvent.Type.HIRE:
            h.hire_date = day
        elif ev_type == EmploymentEvent.Type.LEAVE:
            h.leaves.append(day)
    for a_id, emp_id, post_id, start, end in assignment_rows:
        h = out.get(emp_id)
        if h is not None:
            h.assignments.append((start, a_id, post_id, end))
    for emp_id, kind, level, post_id, start, event_id, status in obligation_rows:
        h = out.get(emp_id)
        if h is not None and event_id is not None and status != Obligation.Status.VOID:
            h.event_obligations.append((kind, level, post_id, start))
    for h in out.values():
        h.assignments.sort()
        h.leaves.sort()
    return out


_EVENT_TYPES = (EmploymentEvent.Type.HIRE, EmploymentEvent.Type.LEAVE)


def load_histories(*, employees, enterprise=None) -> dict[int, History]:
    """The histories of ``employees``. With ``enterprise``: three
    whole-enterprise reads (constant queries at any headcount); without:
    three reads by the people's ids (for one or a few people)."""
    employees = list(employees)
    if enterprise is not None:
        scope = {"employee__enterprise": enterprise}
    else:
        scope = {"employee_id__in": [e.pk for e in employees]}
    assignments = PostAssignment.objects.filter(**scope).values_list("pk", "employee_id", "post_id", "start_date", "end_date")
    events = EmploymentEvent.objects.filter(type__in=_EVENT_TYPES, **scope).order_by("date", "id").values_list(
        "employee_id", "type", "date")
    # HIRE events come in date order: the last one set wins only if there
    # are several (there are not: event_record refuses a second hire).
    obligations = Obligation.objects.filter(kind__in=REQUIREMENT_KINDS, post__isnull=False, event__isnull=False, **scope)
    obligations = obligations.values_list("employee_id", "kind", "level", "post_id", "start_date", "event_id", "status")
    return _histories(employees, assignments, _first_hire(events), obligations)


def _first_hire(rows):
    seen = set()
    for emp_id, ev_type, day in rows:
        if ev_type == EmploymentEvent.Type.HIRE:
            if emp_id in seen:
                continue
            seen.add(emp_id)
        yield emp_id, ev_type, day


def load_units(enterprise) -> Units:
    return Units.build(Post.objects.filter(enterprise=enterprise).only("pk", "org_unit_id"),
                       OrgUnit.objects.filter(enterprise=enterprise).only("pk", "kind", "parent_id"))


# --- the requirements ----------------------------------------------------------


def _placement(history: History, post_id: int, on_date: dt.date):
    """(S, previous assignment or None) of the placement asked about."""
    own = [a for a in history.assignments
           if a[2] == post_id and a[0] <= on_date and (a[3] is None or a[3] >= on_date)]
    if own:
        mine = own[-1]
        before = [a for a in history.assignments if a[:2] < mine[:2]]
        return mine[0], (before[-1] if before else None)
    before = [a for a in history.assignments if a[0] <= on_date]
    return on_date, (before[-1] if before else None)


def _off_post_since(history: History, previous, start: dt.date) -> dt.date | None:
    """The day the person went off any post before ``start``, if they did."""
    lower = previous[0] if previous else history.hire_date
    candidates = [day for day in history.leaves if lower <= day <= start]
    if previous is not None and previous[3] is not None and previous[3] < start:
        candidates.append(previous[3] + dt.timedelta(days=1))
    return min(candidates) if candidates else None


def _covered(history: History, kinds, level: str, post_id: int, since: dt.date, start: dt.date) -> bool:
    return any(k in kinds and lv == level and p == post_id and since <= s <= start
               for k, lv, p, s in history.event_obligations)


def away_long_enough(off_since: dt.date, start: dt.date, months: int) -> bool:
    """Off post at least ``months`` (the one place the threshold is compared)."""
    return at_least_months(off_since, start, months)  # 以上: exactly N months counts (民法典 §1259, §202)


def post_requirements(employee, post, on_date: dt.date, history: History, rule_book: RuleBook,
                      units: Units) -> list[Obligation]:
    """What placing ``employee`` on ``post`` on ``on_date`` requires (unsaved
    obligations with natural keys; see the module docstring)."""
    enterprise = employee.enterprise
    start, previous = _placement(history, post.pk, on_date)
    out: list[Obligation] = []
    # Which triggers hold, and the window: rules are looked up only for what
    # an event does not already owe (most placements are the hire's post).
    windows = []
    transfer = previous is not None and units.of(previous[2]) != units.of(post.pk)
    if previous is None:
        windows.append(history.hire_date)
    elif transfer:
        windows.append(previous[0])
    back = None
    off_since = _off_post_since(history, previous, start)
    if off_since is not None:
        back = rule_book.get(RuleCode.RETURN_RETRAINING, enterprise, start)
        if back and away_long_enough(off_since, start, back.months or 0):
            windows.append(off_since)
        else:
            back = None
    since = max(windows) if windows else None
    levels = [level for level in ("workshop", "team")
              if since is not None and not _covered(history, LEVEL_KINDS, level, post.pk, since, start)]
    if levels:
        if back is not None:
            rule = back
        elif transfer:
            rule = rule_book.get(RuleCode.TRANSFER_RETRAINING, enterprise, start)
        else:
            rule = rule_book.get(RuleCode.INDUCTION, enterprise, start)
        kind = ObligationKind.RETRAINING if (previous is not None or back is not None) else ObligationKind.INDUCTION
        if rule is not None:
            induction = rule if rule.code == RuleCode.INDUCTION else rule_book.get(RuleCode.INDUCTION, enterprise, start)
            hours = split_levels(induction.min_hours if induction else ZERO)
            for level in levels:
                out.append(Obligation(
                    employee=employee, post=post, rule=rule, event=None, kind=kind, level=level, cycle="",
                    key=placement_key(kind, level, post.pk, since), min_hours=hours[level],
                    exam_required=rule.exam_required, start_date=since, end_date=None,
                    due_date=start + dt.timedelta(days=PREPOST_DUE_DAYS), blocks_post=True,
                ))
    if post.required_apprenticeship_months > 0 or rule_book.max_months(RuleCode.APPRENTICESHIP) > 0:
        since = history.hire_date
        if not _covered(history, (ObligationKind.APPRENTICESHIP,), "", post.pk, since, start):
            rule = rule_book.get(RuleCode.APPRENTICESHIP, enterprise, start)
            months = max(post.required_apprenticeship_months, (rule.months or 0) if rule else 0)
            if rule is not None and months > 0:
                kind = ObligationKind.APPRENTICESHIP
                out.append(Obligation(
                    employee=employee, post=post, rule=rule, event=None, kind=kind, level="", cycle="",
                    key=placement_key(kind, "", post.pk, since), min_hours=ZERO, exam_required=True,
                    start_date=since, end_date=None, due_date=add_months(start, months), blocks_post=True,
                ))
    return out
