"""The daily scan: cycles, due-soon and overdue stages, lapsed clearance.

Safe to run twice at once, and to kill at any point and run again:
obligations are created by natural key (ignore_conflicts); each stage
change is claimed with a conditional UPDATE and its notices are written in
the same transaction (a transactional outbox, per chunk of whole people),
and notices are unique per user and key. Each person gets one notice per
stage and run listing the items claimed for them (HR one digest per
enterprise and chunk), so an item is told once per stage. The scan
decides and records (obligations, stages, in-app notices); the e-mails go
out afterwards from Celery tasks, one per chunk of notices
(lms/compliance/notices.py)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from lms.accounts.models import Membership
from lms.accounts.roles import Role
from lms.archive.models import TrainingRecord
from lms.speed.bulk import insert_ignoring_conflicts
from lms.workforce.models import Employee, Enterprise

from .models import Notice, Obligation
from .notices import notice_row, notice_subject, notices_create
from .registry import scan_steps
from .rules import RuleBook
from .clearance import kind_labels, lapsed_on_post
from .services import cycle_obligations, kinds_counting_towards, live_records, obligations_evaluate_batch

logger = logging.getLogger(__name__)

DUE_SOON_DAYS = 30
HR_ROLES = (Role.HR, Role.ENTERPRISE_ADMIN, Role.SAFETY_MANAGER)


@dataclass
class ScanResult:
    created: int = 0
    due_soon: int = 0
    overdue: int = 0
    lapsed: int = 0
    notices: int = 0
    emails: int = 0  # handed to Celery (send_notice_emails), not yet sent
    # Counts of the registered scan steps (registry.scan_steps), by step name:
    campaigns: int = 0  # quarterly warning-education campaigns made (courses.warning)
    certificate_reminders: int = 0  # review/expiry stages reached by certificates (90/30/7 days, lapsed)


def _quarter(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def _create_cycles(today: dt.date, batch: int, result: ScanResult) -> None:
    book = RuleBook.load()
    year, quarter = today.year, _quarter(today)
    cycles = (str(year), f"{year}Q{quarter}")
    for enterprise in Enterprise.objects.all():
        # What cycle_obligations reads, nothing more.
        qs = (Employee.objects.filter(enterprise=enterprise, status=Employee.Status.ACTIVE).order_by("pk")
              .only("pk", "enterprise_id", "status", "hire_date", "is_principal", "is_safety_manager"))
        last = 0
        while True:
            chunk = list(qs.filter(pk__gt=last)[:batch])
            if not chunk:
                break
            for e in chunk:
                e.enterprise = enterprise
            # Leave out what an earlier run made (one query per chunk), so a
            # daily run does not send every row again; a concurrent run's rows
            # are skipped by the natural key.
            have = set(
                Obligation.objects.filter(employee_id__in=[e.pk for e in chunk], cycle__in=cycles)
                .values_list("employee_id", "key")
            )
            rows = cycle_obligations(chunk, year, quarter, book, have=have, rows=True)
            created = insert_ignoring_conflicts(Obligation, rows)
            result.created += created
            if created:
                _evaluate_new_cycles(chunk, cycles, {(r["employee_id"], r["key"]) for r in rows})
            last = chunk[-1].pk


def _evaluate_new_cycles(chunk, cycles, wanted) -> None:
    """The cycle obligations just made for ``chunk`` take into account the
    training already on file (a refresher imported before the scan made the
    year's obligation): two reads per chunk (the new obligations, the
    chunk's records of the counting kinds since the cycles began), evaluated
    in memory, written in bulk."""
    ids = [e.pk for e in chunk]
    fresh = [o for o in Obligation.objects.filter(employee_id__in=ids, cycle__in=cycles, status=Obligation.Status.OPEN)
             .order_by() if (o.employee_id, o.key) in wanted]
    if not fresh:
        return
    since = min(o.start_date for o in fresh)
    records = live_records(
        TrainingRecord.objects.filter(employee_id__in=ids, end_at__gte=timezone.make_aware(dt.datetime.combine(since - dt.timedelta(days=1), dt.time.min))),
        kinds_counting_towards({o.kind for o in fresh}),
    )
    if records:
        obligations_evaluate_batch(fresh, records)


def _claim_chunk(stage: str, chunk: list[int], previous: list[str]) -> list[int]:
    """Move the obligations ``chunk`` (ids, ascending) still in a previous
    stage to ``stage``, in the caller's transaction; return those this run
    claimed. One conditional UPDATE … RETURNING: a row another run claimed
    first no longer matches. On PostgreSQL the rows are locked in id order
    and a row another run holds is waited for (its transaction is one chunk),
    then seen claimed: a person's items are never split between two runs,
    and ordered locks cannot deadlock."""
    qn = connection.ops.quote_name
    table, pk = qn(Obligation._meta.db_table), qn(Obligation._meta.pk.column)
    column = qn(Obligation._meta.get_field("notified_stage").column)
    where = f"{pk} IN ({', '.join(['%s'] * len(chunk))}) AND {column} IN ({', '.join(['%s'] * len(previous))})"
    if connection.features.has_select_for_update:
        where = f"{pk} IN (SELECT {pk} FROM {table} WHERE {where} ORDER BY {pk} FOR UPDATE)"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {where} RETURNING {pk}", [stage, *chunk, *previous])
        return sorted(row[0] for row in cursor.fetchall())


def _claim_and_notify(stage: str, candidates_q: Q, batch: int, result: ScanResult) -> int:
    """Claim the obligations reaching ``stage`` and tell about them (a
    transactional outbox): per chunk, ONE transaction claims the rows and
    writes their notices, whose e-mails go out after commit
    (lms/compliance/notices.py). A run killed at any point leaves each
    chunk either claimed and told or neither, so a rerun tells everyone
    exactly once per stage. Chunks hold whole people (ordered by enterprise
    and employee), so each person gets one notice per stage and run, and HR
    one digest per enterprise and chunk. Returns how many this run claimed;
    queries per chunk do not grow with its size."""
    previous = {Obligation.Stage.DUE_SOON: [""], Obligation.Stage.OVERDUE: ["", Obligation.Stage.DUE_SOON]}[stage]
    # The candidates once (ids only), not a fresh search of the remaining
    # ones before every chunk.
    candidates = list(
        Obligation.objects.filter(candidates_q, status=Obligation.Status.OPEN, notified_stage__in=previous)
        .order_by("employee__enterprise_id", "employee_id", "pk")
        .values_list("pk", "employee_id")
    )
    if not candidates:
        return 0
    hr_users = hr_by_enterprise()
    claimed = start = 0
    while start < len(candidates):
        end = min(start + batch, len(candidates))
        while end < len(candidates) and candidates[end][1] == candidates[end - 1][1]:
            end += 1  # the rest of this person's items
        chunk = sorted(pk for pk, _employee in candidates[start:end])
        start = end
        with transaction.atomic():
            mine = _claim_chunk(stage, chunk, previous)
            _notify(mine, stage, result, hr_users=hr_users)
        claimed += len(mine)
    return claimed


# What a notice says about one obligation (its facts, see notices.py), read
# as plain rows: no model instances for ~200,000 obligations.
_ITEM_FIELDS = (
    "pk", "employee_id", "kind", "level", "post__name", "min_hours", "completed_hours", "exam_required", "due_date",
    "employee__name", "employee__employee_no", "employee__enterprise_id", "employee__user_id", "employee__user__email",
)


@functools.lru_cache(maxsize=256)
def _subject(template: str, stage: str, labels: tuple[str, ...]) -> str:
    """A notice's subject, rendered once per stage and labels (subject
    templates see nothing else)."""
    return notice_subject(template, {"stage": stage, "items": [{"label": label} for label in labels]})


def hr_by_enterprise() -> dict[int, list]:
    """The active HR users of each enterprise (by enterprise id): who gets digests and reminders."""
    hr: dict[int, list] = {}
    for m in Membership.objects.filter(role__in=HR_ROLES, is_active=True, user__is_active=True).select_related("user"):
        if m.user not in hr.setdefault(m.enterprise_id, []):
            hr[m.enterprise_id].append(m.user)
    return hr


def notices_record(notices: list[dict], result: ScanResult) -> None:
    """Write ``notices`` (rows from notice_row; one already there stays as it
    was) through the notification service; their e-mails go to Celery after
    commit (lms/compliance/notices.py)."""
    notified = notices_create(notices)
    result.notices += notified.notices
    result.emails += notified.emails


def _notify(obligation_ids: list[int], stage: str, result: ScanResult, *, hr_users: dict | None = None) -> None:
    """Tell each person, in one notice, about their obligations just claimed
    for ``stage``, and each HR user of the enterprise in one digest; called
    in the claim's transaction (``_claim_and_notify``). Each obligation is in
    one notice per person and stage: the claim (its ``notified_stage``) is
    this run's alone. The notices keep the facts; their texts are rendered
    when e-mailed or shown (notices.py)."""
    if not obligation_ids:
        return
    if hr_users is None:
        hr_users = hr_by_enterprise()
    per_enterprise: dict[int, list[dict]] = {}
    people: dict[int, tuple] = {}  # employee id → (user id, e-mail, enterprise id, items)
    labels: dict[tuple, str] = {}  # (kind, level) → label, in this run's language
    for start in range(0, len(obligation_ids), 2000):
        chunk = obligation_ids[start:start + 2000]
        rows = Obligation.objects.filter(pk__in=chunk).order_by("due_date", "pk").values_list(*_ITEM_FIELDS)
        for pk, employee_id, kind, level, post, min_hours, done, exam, due, name, no, enterprise_id, user_id, email in rows:
            label = labels.get((kind, level))
            if label is None:
                label = labels[kind, level] = kind_labels(kind, level)[0]
            item = {"id": pk, "label": label, "post": post or "", "due_date": due.isoformat(),
                    "min_hours": str(min_hours), "completed_hours": str(done), "exam_required": exam,
                    "employee": {"name": name, "employee_no": no}}
            per_enterprise.setdefault(enterprise_id, []).append(item)
            if user_id is not None:
                person = people.get(employee_id)
                if person is None:
                    person = people[employee_id] = (user_id, email, enterprise_id, [])
                person[3].append(item)
    notices = []
    for user_id, email, enterprise_id, items in people.values():
        items.sort(key=lambda i: (i["due_date"], i["id"]))
        ids = [i["id"] for i in items]
        # One item: the key of a notice per obligation, as before digests.
        key = f"obligation:{ids[0]}:{stage}" if len(ids) == 1 else f"obligations:{stage}:{min(ids)}-{max(ids)}:{len(ids)}"
        title = _subject("obligation", stage, tuple(i["label"] for i in items))
        notices.append(notice_row(user_id=user_id, email=email, enterprise_id=enterprise_id, key=key, title=title,
                                  link="/portal/", template="obligation",
                                  context={"stage": stage, "employee": items[0]["employee"], "items": items}))
        if len(notices) == 2000:
            notices_record(notices, result)
            notices = []
    notices_record(notices, result)
    notices = []
    for enterprise_id, items in per_enterprise.items():
        ids = [item["id"] for item in items]
        key = f"digest:{stage}:{min(ids)}-{max(ids)}:{len(ids)}"
        title = notice_subject("obligation-digest", {"stage": stage, "items": [{"label": i["label"]} for i in items]})
        for hr in hr_users.get(enterprise_id, []):
            notices.append(notice_row(user_id=hr.pk, email=hr.email, enterprise_id=enterprise_id, key=key,
                                      title=title, link="/admin/", template="obligation-digest",
                                      context={"stage": stage, "items": items}))
    notices_record(notices, result)


def _lapsed(today: dt.date, result: ScanResult) -> None:
    """Tell HR about each person whose clearance for their post has lapsed,
    once per assignment and set of reasons (a lapse reported with the same
    reasons yesterday is not written again)."""
    hr_users = hr_by_enterprise()
    for enterprise in Enterprise.objects.all():
        lapsed = lapsed_on_post(enterprise=enterprise, on_date=today)
        result.lapsed += len(lapsed)
        hr = hr_users.get(enterprise.pk, [])
        if not hr:
            continue
        for start in range(0, len(lapsed), 2000):
            chunk = [(f"lapsed:{a.pk}:{','.join(sorted(c.codes))}", a, c) for a, c in lapsed[start:start + 2000]]
            # What earlier days reported (one query per chunk): the daily run
            # does not offer ~30,000 unchanged lapses again.
            have = set(
                Notice.objects.filter(user_id__in=[u.pk for u in hr], key__in=[key for key, _a, _c in chunk])
                .values_list("user_id", "key")
            )
            # In-app only (no e-mail); a concurrent run's rows are skipped by the (user, key) unique key.
            notices_create([
                notice_row(user_id=u.pk, email="", enterprise_id=enterprise.pk, key=key,
                           title=f"在岗未达标：{a.employee.name}（{a.post.name}）",
                           body="；".join(r.message for r in c.reasons), link="/admin/compliance/lapsed/")
                for key, a, c in chunk for u in hr if (u.pk, key) not in have
            ])


def scan_obligations(*, today: dt.date | None = None, batch: int = 2000) -> ScanResult:
    """Create due cycles, mark due-soon and overdue (telling each person and
    their HR once per item and stage), and report lapsed clearance. The
    e-mails are enqueued (after commit), not sent here."""
    today = today or timezone.localdate()
    result = ScanResult()
    _create_cycles(today, batch, result)
    # The registered steps (quarterly warning campaigns, certificate review
    # reminders), before the claims: the refresher obligations a review
    # reminder creates are claimed in this same run, so a second scan the
    # same day is a no-op.
    for name, step in scan_steps.items():
        setattr(result, name, getattr(result, name) + step(today=today, result=result))
    result.overdue = _claim_and_notify(Obligation.Stage.OVERDUE, Q(due_date__lt=today), batch, result)
    result.due_soon = _claim_and_notify(
        Obligation.Stage.DUE_SOON, Q(due_date__gte=today, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS)),
        batch, result,
    )
    _lapsed(today, result)
    logger.info("scan_obligations %s: %s", today, result)
    return result
