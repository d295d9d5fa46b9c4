"""Online learning's front door: enrolment (from obligations, from HR's
assignments, by choice), study sessions and heartbeats, check questions,
lesson and course completion (one training record per completed enrolment).

The time rules themselves live in :mod:`courses.timing`; this module loads
and stores their state with a few cheap, conditional queries."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.accounts.roles import Capability
from lms.accounts.scoping import can, log_user
from lms.compliance.models import Obligation, ObligationKind
from lms.compliance.services import COUNTS_TOWARDS
from lms.workforce.models import Employee, OrgUnit, PostAssignment

from . import session_rows, timing
from .models import (
    AudienceRole,
    CourseAssignment,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
    StudySession,
    credit_hour_seconds,
)

# Obligations online learning can satisfy (an apprenticeship cannot be studied).
ONLINE_KINDS = frozenset(ObligationKind) - {ObligationKind.APPRENTICESHIP}
WRONG_ANSWER_WAIT_SECONDS = 10
ENROL_CHUNK = 2000


class StudyError(ValidationError):
    """A study action that cannot be done; the message is for the learner."""


class SessionGone(StudyError):
    """The study session is no longer live (superseded or logged out)."""


# --- audience --------------------------------------------------------------------


class _Person:
    """What the audience rules look at, loaded in bulk."""

    def __init__(self, employee: Employee, posts: list, units: set[int]):
        self.employee = employee
        self.posts = posts
        self.units = units


def _people(employee_ids) -> dict[int, _Person]:
    employees = list(Employee.objects.filter(pk__in=employee_ids).select_related("enterprise"))
    today = timezone.localdate()
    posts = defaultdict(list)
    for a in (
        PostAssignment.objects.filter(employee_id__in=employee_ids, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("post")
    ):
        posts[a.employee_id].append(a.post)
    parents = {}
    for ent in {e.enterprise_id for e in employees}:
        parents.update(dict(OrgUnit.objects.filter(enterprise_id=ent).values_list("pk", "parent_id")))
    people = {}
    for e in employees:
        chain, node = set(), e.org_unit_id
        for p in posts[e.pk]:
            chain.add(p.org_unit_id)
        nodes = list(chain) + ([node] if node else [])
        units = set()
        for n in nodes:
            while n is not None and n not in units:
                units.add(n)
                n = parents.get(n)
        people[e.pk] = _Person(e, posts[e.pk], units)
    return people


def _audience_matches(course: CoursePage, person: _Person, unit_ids: set[int], post_ids: set[int]) -> bool:
    e = person.employee
    if course.enterprise_id not in (None, e.enterprise_id):
        return False
    if course.audience_risk_class and course.audience_risk_class != e.enterprise.risk_class:
        return False
    if course.audience_role == AudienceRole.PRINCIPAL and not (e.is_principal or e.is_safety_manager):
        return False
    if course.audience_role == AudienceRole.SPECIAL_OPERATOR and not any(p.special_operation for p in person.posts):
        return False
    if course.audience_role == AudienceRole.STAFF and (e.is_principal or e.is_safety_manager):
        return False
    if course.audience_special_operation and not any(
        p.special_operation == course.audience_special_operation for p in person.posts
    ):
        return False
    if course.audience_hazard and not any(course.audience_hazard in (p.hazards or "") for p in person.posts):
        return False
    if unit_ids and not (unit_ids & person.units):
        return False
    if post_ids and not (post_ids & {p.pk for p in person.posts}):
        return False
    return True


def _live_courses():
    courses = list(CoursePage.objects.live().prefetch_related("audience_units", "audience_posts"))
    return [(c, {u.pk for u in c.audience_units.all()}, {p.pk for p in c.audience_posts.all()}) for c in courses]


def _course_satisfies(course: CoursePage, obligation: Obligation) -> bool:
    if course.record_kind not in COUNTS_TOWARDS[obligation.kind]:
        return False
    return not obligation.level or course.record_level == obligation.level


# --- enrolment -------------------------------------------------------------------


def enrolments_from_obligations(*, employee_ids=None) -> int:
    """Enrol people in the live courses that can satisfy their open
    obligations (kind, level, audience, the course's owner). Idempotent: a
    person is enrolled once per obligation and never twice at once in a
    course (database constraints). Returns how many enrolments are new."""
    obligations = Obligation.objects.open().filter(kind__in=ONLINE_KINDS).order_by("employee_id", "pk")
    if employee_ids is not None:
        employee_ids = list(employee_ids)
        created = 0
        for i in range(0, len(employee_ids), ENROL_CHUNK):
            created += _enrol_chunk(obligations.filter(employee_id__in=employee_ids[i:i + ENROL_CHUNK]))
        return created
    created, last = 0, 0
    while True:
        ids = list(
            obligations.filter(employee_id__gt=last).order_by("employee_id").values_list("employee_id", flat=True)
            .distinct()[:ENROL_CHUNK]
        )
        if not ids:
            return created
        created += _enrol_chunk(obligations.filter(employee_id__in=ids))
        last = ids[-1]


def _enrol_chunk(obligations) -> int:
    obligations = list(obligations)
    if not obligations:
        return 0
    courses = _live_courses()
    if not courses:
        return 0
    employee_ids = {o.employee_id for o in obligations}
    people = _people(employee_ids)
    active = set(
        Enrolment.objects.filter(employee_id__in=employee_ids, status=Enrolment.Status.ACTIVE).values_list(
            "employee_id", "course_id"
        )
    )
    done = set(
        Enrolment.objects.filter(employee_id__in=employee_ids, obligation__isnull=False).values_list(
            "employee_id", "course_id", "obligation_id"
        )
    )
    new = []
    for o in obligations:
        person = people.get(o.employee_id)
        if person is None or person.employee.status != Employee.Status.ACTIVE:
            continue
        for course, units, posts in courses:
            if not _course_satisfies(course, o) or not _audience_matches(course, person, units, posts):
                continue
            if (o.employee_id, course.pk) in active or (o.employee_id, course.pk, o.pk) in done:
                continue
            active.add((o.employee_id, course.pk))
            new.append(Enrolment(employee_id=o.employee_id, course=course, source=Enrolment.Source.OBLIGATION,
                                 obligation=o, due_date=o.due_date))
    return _bulk_enrol(new, employee_ids)


def _bulk_enrol(new: list[Enrolment], employee_ids) -> int:
    if not new:
        return 0
    before = Enrolment.objects.filter(employee_id__in=employee_ids).count()
    Enrolment.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return Enrolment.objects.filter(employee_id__in=employee_ids).count() - before


def enrolments_schedule(*, employee_ids) -> None:
    """Enrol from obligations once the caller's transaction has committed
    (called where obligations are created; a Celery task when a broker is
    configured, in-process otherwise)."""
    ids = sorted(set(employee_ids))
    if not ids:
        return
    from .tasks import enrol_from_obligations_task

    def enqueue():
        for i in range(0, len(ids), ENROL_CHUNK):
            enrol_from_obligations_task.delay(ids[i:i + ENROL_CHUNK])

    transaction.on_commit(enqueue)


@transaction.atomic
def course_assign(*, actor, course: CoursePage, org_unit=None, post=None, due_date: dt.date, note: str = "") -> CourseAssignment:
    """HR assigns a course to a unit (with its sub-units) or a post; the
    people there are enrolled at once."""
    target = org_unit or post
    if target is None or (org_unit is not None and post is not None):
        raise ValidationError(_("请选择一个单位或一个岗位"))
    enterprise_id = target.enterprise_id
    if not can(actor, Capability.CHANGE, enterprise_id):
        raise PermissionDenied(_("您无权为该企业指派课程"))
    if course.enterprise_id not in (None, enterprise_id):
        raise ValidationError({"course": _("只能指派平台共享课程或本企业的课程")})
    assignment = CourseAssignment(
        enterprise_id=enterprise_id, course=course, org_unit=org_unit, post=post, due_date=due_date, note=note,
        created_by=log_user(actor),
    )
    assignment.full_clean()
    assignment.save()
    log(assignment, "anxun.course_assign", user=assignment.created_by, data={"course": course.pk})
    assignments_apply(assignments=[assignment])
    return assignment


def _assignment_targets(assignment: CourseAssignment) -> set[int]:
    today = timezone.localdate()
    if assignment.post_id:
        return set(
            PostAssignment.objects.filter(post_id=assignment.post_id, start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("employee_id", flat=True)
        )
    tree = dict(OrgUnit.objects.filter(enterprise_id=assignment.enterprise_id).values_list("pk", "parent_id"))
    units = {assignment.org_unit_id}
    changed = True
    while changed:
        more = {pk for pk, parent in tree.items() if parent in units and pk not in units}
        units |= more
        changed = bool(more)
    return set(
        Employee.objects.filter(enterprise_id=assignment.enterprise_id, status=Employee.Status.ACTIVE)
        .filter(Q(org_unit_id__in=units) | Q(assignments__post__org_unit_id__in=units,
                                               assignments__end_date__isnull=True))
        .values_list("pk", flat=True)
    )


def assignments_apply(*, assignments=None) -> int:
    """Enrol the people an assignment covers (now: new members of the unit
    or post are picked up by the daily backfill). Idempotent."""
    if assignments is None:
        today = timezone.localdate()
        assignments = CourseAssignment.objects.filter(due_date__gte=today).select_related("course")
    created = 0
    for assignment in assignments:
        ids = _assignment_targets(assignment)
        if not ids:
            continue
        have = set(
            Enrolment.objects.filter(employee_id__in=ids, course_id=assignment.course_id)
            .filter(Q(status=Enrolment.Status.ACTIVE) | Q(assignment=assignment))
            .values_list("employee_id", flat=True)
        )
        new = [
            Enrolment(employee_id=pk, course_id=assignment.course_id, source=Enrolment.Source.ASSIGNMENT,
                      assignment=assignment, due_date=assignment.due_date)
            for pk in sorted(ids - have)
        ]
        created += _bulk_enrol(new, ids)
    return created


def _employee_for(user, course: CoursePage) -> Employee:
    employees = list(
        Employee.objects.filter(user=user, status=Employee.Status.ACTIVE).select_related("enterprise").order_by("pk")
    )
    if course.enterprise_id is not None:
        employees = [e for e in employees if e.enterprise_id == course.enterprise_id]
    if not employees:
        raise PermissionDenied(_("您没有可以学习该课程的员工身份"))
    return employees[0]


def enrolment_for(*, user, course: CoursePage, create: bool = True) -> Enrolment:
    """The user's open enrolment in ``course``; with ``create``, a new
    self-chosen one (自主选学) if there is none and the course is open to them."""
    if not course.is_visible_to(user):
        raise PermissionDenied(_("您无权学习该课程"))
    found = (
        Enrolment.objects.filter(employee__user=user, course=course, status=Enrolment.Status.ACTIVE)
        .select_related("employee").first()
    )
    if found is not None or not create:
        if found is None:
            raise PermissionDenied(_("您尚未报名该课程"))
        return found
    employee = _employee_for(user, course)
    try:
        with transaction.atomic():
            return Enrolment.objects.create(employee=employee, course=course, source=Enrolment.Source.SELF)
    except IntegrityError:
        return Enrolment.objects.get(employee=employee, course=course, status=Enrolment.Status.ACTIVE)


# --- study sessions ----------------------------------------------------------


def study_end_for_user(*, user, status) -> int:
    """End the user's live study session (logged in elsewhere, logged out)."""
    return StudySession.objects.filter(user=user, status=StudySession.Status.LIVE).update(
        status=status, ended_at=timezone.now()
    )


def _progress_for(enrolment: Enrolment, lesson: LessonPage) -> LessonProgress:
    progress, _created = LessonProgress.objects.get_or_create(enrolment=enrolment, lesson=lesson)
    return progress


def study_start(*, user, lesson: LessonPage, login_key: str, now: dt.datetime | None = None,
                rng: random.Random | None = None) -> StudySession:
    """Open a study session for ``lesson``; any other live session of the
    person (another tab, another device) is superseded and earns no more."""
    now = now or timezone.now()
    rng = rng or timing.system_rng()
    course = lesson.get_course()
    enrolment = enrolment_for(user=user, course=course)
    progress = _progress_for(enrolment, lesson)
    rules = timing.Rules.from_settings()
    media = lesson.media_duration()
    for attempt in range(3):
        try:
            with transaction.atomic():
                StudySession.objects.filter(user=user, status=StudySession.Status.LIVE).update(
                    status=StudySession.Status.SUPERSEDED, ended_at=now
                )
                today = timezone.localtime(now).date()
                day_base = StudySession.objects.filter(user=user, day=today).aggregate(s=Sum("day_credit"))["s"] or 0
                state = timing.start(now=now, day_base=day_base, max_position=progress.max_position,
                                     media_seconds=media, rules=rules, rng=rng)
                session = StudySession.objects.create(
                    user=user, progress=progress, login_key=login_key or "", revision_id=lesson.live_revision_id,
                    required_seconds=lesson.required_seconds,
                    question_count=len(lesson.questions()), started_at=now, **state.as_dict(),
                )
                Enrolment.objects.filter(pk=enrolment.pk, started_at__isnull=True).update(started_at=now)
                return session
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def study_heartbeat(*, user, token, beat: timing.Beat, login_key: str, now: dt.datetime | None = None,
                    rng: random.Random | None = None) -> dict:
    """Apply one heartbeat and return what the player shows. Two statements
    in the steady state (courses.session_rows): read the session with its
    lesson progress, then one conditional write keyed on the session's
    sequence number that also adds the earned seconds to the progress."""
    now = now or timezone.now()
    session = session_rows.load(token=token, user_id=user.pk)
    if session is None:
        raise StudyError(_("学习会话不存在"), code="not_found")
    return apply_heartbeat(session, beat=beat, login_key=login_key, now=now, rng=rng)


def apply_heartbeat(session: StudySession, *, beat: timing.Beat, login_key: str, now: dt.datetime,
                    rng: random.Random | None = None) -> dict:
    """:func:`study_heartbeat` on a study session already read (with its
    progress) for the logged-in user — by courses.speed, which reads it
    together with the login in one statement."""
    if session.status != StudySession.Status.LIVE:
        raise SessionGone(str(StudySession.Status(session.status).label), code=session.status)
    if session.login_key and session.login_key != login_key:
        raise SessionGone(str(StudySession.Status.LOGGED_OUT.label), code=StudySession.Status.LOGGED_OUT)
    progress = session.progress
    state = timing.State.of(session)
    outcome = timing.beat(state, beat, now=now, rules=timing.Rules.from_settings(),
                          has_media=session.media_seconds > 0 or beat.position is not None,
                          rng=rng or timing.system_rng())
    if not outcome.accepted:
        return _beat_reply(session, progress, outcome, accepted=False)
    new = outcome.state
    if not session_rows.save_beat(session, old_seq=state.seq, new=new, credit=outcome.credit):
        # Another request with the same sequence number won the race, or
        # the session was superseded meanwhile: this one earns nothing.
        outcome = timing.Outcome(False, 0, timing.Reason.REPLAY, state)
        return _beat_reply(session, progress, outcome, accepted=False)
    for name, value in new.as_dict().items():
        setattr(session, name, value)
    completed = progress.completed_at is not None
    if not completed and _lesson_done(session, progress):
        completed = lesson_complete(progress=progress, revision_id=session.revision_id, now=now)
    return _beat_reply(session, progress, outcome, accepted=True, completed=completed)


def _lesson_done(session: StudySession, progress: LessonProgress) -> bool:
    if progress.seconds < session.required_seconds:
        return False
    if session.media_seconds > 0 and progress.max_position < session.media_seconds - 2.0:
        return False
    return len(progress.answers) >= session.question_count


def _beat_reply(session, progress, outcome: timing.Outcome, *, accepted: bool, completed: bool = False) -> dict:
    prompt = None
    if outcome.prompt:
        nonce, deadline = outcome.prompt
        prompt = {"nonce": nonce, "deadline": deadline.isoformat()}
    return {
        "accepted": accepted,
        "credited": outcome.credit,
        "reason": outcome.reason,
        "message": outcome.message,
        "seq": outcome.state.seq,
        "seconds": progress.seconds,
        "required_seconds": session.required_seconds,
        "max_position": progress.max_position,
        "seek_back_to": outcome.seek_back_to,
        "presence": prompt,
        "completed": completed or progress.completed_at is not None,
    }


# --- check questions and completion -----------------------------------------


def _progress_for_user(user, lesson: LessonPage) -> LessonProgress:
    enrolment = enrolment_for(user=user, course=lesson.get_course(), create=False)
    return _progress_for(enrolment, lesson)


def lesson_answer(*, user, lesson: LessonPage, block_id: str, choices, now: dt.datetime | None = None) -> dict:
    """Check one answer to a check question. The explanation is sent only
    after a correct answer; a wrong one may be retried after a short wait."""
    question = dict(lesson.questions()).get(block_id)
    if question is None:
        raise StudyError({"question": _("题目不存在或已更新，请刷新页面")})
    try:
        picked = {int(c) for c in choices}
    except (TypeError, ValueError):
        raise StudyError({"choices": _("请选择答案")}) from None
    options = list(question["choices"])
    if not picked or any(c < 0 or c >= len(options) for c in picked):
        raise StudyError({"choices": _("请选择答案")})
    progress = _progress_for_user(user, lesson)
    wait_key = f"courses:wrong:{progress.pk}:{block_id}"
    if block_id not in progress.answers and cache.get(wait_key):
        raise StudyError({"choices": _("请认真学习后再作答（%(s)s 秒后可重试）") % {"s": WRONG_ANSWER_WAIT_SECONDS}})
    correct = picked == {i for i, option in enumerate(options) if option["correct"]}
    if not correct:
        cache.set(wait_key, 1, WRONG_ANSWER_WAIT_SECONDS)
        return {"correct": False, "message": _("回答错误，请重新学习本课时内容后再答")}
    with transaction.atomic():
        progress = LessonProgress.objects.select_for_update().get(pk=progress.pk)
        if block_id not in progress.answers:
            progress.answers = {**progress.answers, block_id: True}
            progress.save(update_fields=["answers"])
    completed = progress.completed_at is not None
    if not completed:
        session = progress.sessions.filter(status=StudySession.Status.LIVE).first()
        required = lesson.required_seconds
        media = session.media_seconds if session else lesson.media_duration()
        if (progress.seconds >= required and (media <= 0 or progress.max_position >= media - 2.0)
                and set(dict(lesson.questions())) <= set(progress.answers)):
            completed = lesson_complete(progress=progress, revision_id=session.revision_id if session else
                                        lesson.live_revision_id, now=now)
    return {"correct": True, "message": _("回答正确"), "explanation": question["explanation"], "completed": completed}


def lesson_complete(*, progress: LessonProgress, revision_id, now: dt.datetime | None = None) -> bool:
    """Mark the lesson studied (once) and, if it was the course's last,
    complete the enrolment. Checks the live lesson's questions against the
    answers (the heartbeat only counts them)."""
    now = now or timezone.now()
    lesson = LessonPage.objects.get(pk=progress.lesson_id)
    if not set(dict(lesson.questions())) <= set(progress.answers):
        return False
    claimed = LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
        completed_at=now, revision_id=revision_id
    )
    if claimed:
        progress.completed_at, progress.revision_id = now, revision_id
        enrolment_complete(enrolment=Enrolment.objects.get(pk=progress.enrolment_id), now=now)
    return True


def _hours_for(seconds: int, course: CoursePage) -> Decimal:
    studied = (Decimal(seconds) / Decimal(credit_hour_seconds())).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return min(course.credit_hours, studied)


def enrolment_complete(*, enrolment: Enrolment, now: dt.datetime | None = None):
    """If every live lesson of the course is studied, complete the enrolment
    and append exactly one training record (source: online) naming the page
    revisions studied. Safe against double submits and two tabs: the
    enrolment is claimed by a conditional UPDATE, and the record is a
    one-to-one. Returns the record, or None if the course is not finished."""
    now = now or timezone.now()
    course = CoursePage.objects.get(pk=enrolment.course_id)
    lessons = list(course.get_lessons())
    progress = {p.lesson_id: p for p in LessonProgress.objects.filter(enrolment=enrolment).select_related("revision")}
    if not lessons or any(progress.get(lesson.pk) is None or progress[lesson.pk].completed_at is None
                          for lesson in lessons):
        return None
    from lms.archive.models import AssessmentResult, RecordSource
    from lms.archive.services import record_append

    with transaction.atomic():
        claimed = Enrolment.objects.filter(pk=enrolment.pk, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.COMPLETED, completed_at=now
        )
        if claimed != 1:
            return Enrolment.objects.get(pk=enrolment.pk).record
        employee = Employee.objects.select_related("enterprise").get(pk=enrolment.employee_id)
        seconds = sum(progress[lesson.pk].seconds for lesson in lessons)
        lines = [course.summary] if course.summary else []
        refs = []
        for n, lesson in enumerate(lessons, 1):
            p = progress[lesson.pk]
            lines.append(_("%(n)s. %(title)s（页面 #%(page)s 版本 #%(rev)s，有效学习 %(min)s 分钟）") % {
                "n": n, "title": lesson.title, "page": lesson.pk, "rev": p.revision_id or "-", "min": p.seconds // 60})
            refs.append(f"{lesson.pk}@{p.revision_id or '-'}")
        has_questions = any(lesson.questions() for lesson in lessons)
        assessed = course.counts_as_assessment and has_questions
        source_ref = f"course:{course.pk}@{course.live_revision_id or '-'} lessons:" + ",".join(refs)
        if len(source_ref) > 200:
            source_ref = source_ref[:197] + "..."
        obligation = enrolment.obligation
        record = record_append(
            employee=employee,
            actor=None,
            kind=course.record_kind,
            level=course.record_level,
            post=obligation.post if obligation is not None else None,
            title=course.title,
            content="\n".join(lines),
            start_at=enrolment.started_at or now,
            end_at=now,
            place=_("在线学习（安训平台）"),
            hours=_hours_for(seconds, course),
            trainer=course.organiser or (employee.enterprise.name if course.enterprise_id else _("安训平台")),
            participants=employee.name,
            assessment_method=_("在线随堂测验") if has_questions else "",
            assessment_result=AssessmentResult.PASSED if assessed else AssessmentResult.NOT_ASSESSED,
            source=RecordSource.ONLINE,
            source_ref=source_ref,
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(record=record)
    StudySession.objects.filter(progress__enrolment=enrolment, status=StudySession.Status.LIVE).update(
        status=StudySession.Status.ENDED, ended_at=now
    )
    return record
