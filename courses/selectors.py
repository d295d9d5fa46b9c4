"""Reads for the learner's pages: what I owe, my courses, my hours, my records.
Constant query counts whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum
from django.utils import timezone

from lms.accounts.scoping import scope
from lms.archive.models import TrainingRecord
from lms.compliance.models import Obligation
from lms.compliance.selectors import year_cycle_obligations
from lms.compliance.clearance import obligation_labels
from lms.workforce.models import Employee

from .models import CoursePage, Enrolment, LessonPage, LessonProgress, credit_hour_seconds

ZERO = Decimal("0")


def _fmt(hours: Decimal) -> str:
    hours = Decimal(hours)
    return f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:.1f}"


def _percent(part, whole) -> int:
    if not whole:
        return 100 if part else 0
    return max(0, min(100, int(Decimal(part) * 100 / Decimal(whole))))


def _own(qs, user):
    """The user's own rows (as the person, not as HR of the enterprise)."""
    return scope(qs, user).filter(**{qs.model.owner_path: user})


def lessons_by_course(course_ids) -> dict[int, list[LessonPage]]:
    """The live lessons of each course, in tree order, in two queries
    whatever the number of courses (a course's lessons are its children)."""
    lessons = defaultdict(list)
    course_ids = set(course_ids)
    if not course_ids:
        return lessons
    course_paths = {c.pk: c.path for c in CoursePage.objects.filter(pk__in=course_ids).only("path")}
    q = Q()
    for path in course_paths.values():
        q |= Q(path__startswith=path, depth=len(path) // 4 + 1)
    by_path = {path: pk for pk, path in course_paths.items()}
    for lesson in LessonPage.objects.live().filter(q).only("pk", "title", "path", "url_path", "min_minutes").order_by("path"):
        course_id = by_path.get(lesson.path[: -4])
        if course_id:
            lessons[course_id].append(lesson)
    return lessons


def with_progress(enrolments: list[Enrolment]) -> list[Enrolment]:
    """Annotate enrolments (their ``progress`` prefetched) with lessons done /
    total, seconds studied, a percentage, the next lesson and hours studied."""
    lessons = lessons_by_course(e.course_id for e in enrolments)
    for e in enrolments:
        done = {p.lesson_id for p in e.progress.all() if p.completed_at}
        e.lessons = lessons[e.course_id]
        e.lessons_done = sum(1 for lesson in e.lessons if lesson.pk in done)
        e.lessons_total = len(e.lessons)
        e.seconds = sum(p.seconds for p in e.progress.all())
        e.percent = _percent(e.lessons_done, e.lessons_total)
        e.next_lesson = next((lesson for lesson in e.lessons if lesson.pk not in done), None)
        e.hours_studied = _fmt(min(e.course.credit_hours, Decimal(e.seconds) / Decimal(credit_hour_seconds())).quantize(Decimal("0.1")))
    return enrolments


def my_enrolments(user, *, status=Enrolment.Status.ACTIVE) -> list[Enrolment]:
    """Open enrolments with their course and lesson progress: lessons done /
    total, seconds studied, next lesson."""
    return with_progress(list(
        _own(Enrolment.objects.all(), user).filter(status=status)
        .select_related("course", "obligation", "employee__enterprise")
        .prefetch_related(Prefetch("progress", queryset=LessonProgress.objects.all()))
        .order_by("due_date", "pk")
    ))


def my_obligations(user, enrolments=None) -> list[Obligation]:
    """Open obligations, with missing hours, a percentage and the courses
    the person is enrolled in for them."""
    obligations = list(
        _own(Obligation.objects.open(), user).select_related("post", "employee__enterprise").order_by("due_date", "pk")
    )
    enrolments = enrolments if enrolments is not None else my_enrolments(user)
    by_obligation = defaultdict(list)
    for e in enrolments:
        if e.obligation_id:
            by_obligation[e.obligation_id].append(e)
    for o in obligations:
        o.display_label = obligation_labels(o)[0]
        o.missing_display = _fmt(o.missing_hours)
        o.required_display = _fmt(o.min_hours)
        o.completed_display = _fmt(o.completed_hours)
        o.percent = _percent(o.completed_hours, o.min_hours) if o.min_hours else (0 if not o.exam_passed else 100)
        o.course_enrolments = by_obligation.get(o.pk, [])
    return obligations


def my_year_hours(user, year: int | None = None) -> dict:
    """Hours in the archive this year against the hours the obligations of
    this year require: those due this year or started this year (a December
    hire's induction is due in January, but is this year's training)."""
    year = year or timezone.localdate().year
    done = _own(TrainingRecord.objects.all(), user).filter(end_at__year=year).aggregate(h=Sum("hours"))["h"] or ZERO
    required = (
        _own(Obligation.objects.exclude(status=Obligation.Status.VOID), user)
        .filter(Q(due_date__year=year) | Q(start_date__year=year)).aggregate(h=Sum("min_hours"))["h"] or ZERO
    )
    if year == timezone.localdate().year:
        # Before the daily scan has made this year's cycles, what the rules
        # WILL ask (the same answer the person file and the principal page read).
        mine = list(_own(Employee.objects.all(), user).select_related("enterprise"))
        required += sum((o.min_hours for o in year_cycle_obligations(mine) if o.pk is None), ZERO)
    return {"year": year, "done": _fmt(done), "required": _fmt(required), "percent": _percent(done, required),
            "missing": _fmt(max(ZERO, required - done))}


def my_records(user, limit: int = 10) -> list[TrainingRecord]:
    return list(_own(TrainingRecord.objects.all(), user).select_related("employee").order_by("-end_at", "-pk")[:limit])


def portal_summary(user) -> dict:
    """Everything the learner's summary shows (portal and 我的学习)."""
    from .models import CourseIndexPage

    enrolments = my_enrolments(user)
    index = CourseIndexPage.objects.live().first()
    return {
        "today": timezone.localdate(),
        "course_index_url": index.url if index else "",
        "learning_obligations": my_obligations(user, enrolments),
        "learning_enrolments": enrolments,
        "learning_hours": my_year_hours(user),
        "learning_records": my_records(user, limit=5),
    }


def course_context(*, course: CoursePage, user) -> dict:
    """The course page: lessons with my progress, my enrolment."""
    lessons = list(course.get_lessons().only("pk", "title", "path", "url_path", "min_minutes", "depth"))
    enrolment = None
    if user.is_authenticated:
        enrolment = (
            _own(Enrolment.objects.filter(course=course), user)
            .filter(status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED])
            .select_related("record").order_by("status", "-pk").first()
        )
    progress = {}
    if enrolment is not None:
        progress = {p.lesson_id: p for p in LessonProgress.objects.filter(enrolment=enrolment)}
    for lesson in lessons:
        p = progress.get(lesson.pk)
        lesson.my_progress = p
        lesson.my_percent = 100 if p and p.completed_at else _percent(p.seconds if p else 0, lesson.required_seconds)
    return {"lessons": lessons, "enrolment": enrolment, "total_minutes": sum(lesson.min_minutes for lesson in lessons)}
