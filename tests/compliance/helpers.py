"""Small builders for compliance tests: events, records, certificates."""

import datetime as dt
import time
from decimal import Decimal

from django.db import OperationalError
from django.utils import timezone

from certificates.models import Certificate, CertificateKind
from lms.archive.services import record_append
from lms.workforce import services

D = dt.date


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def patiently(work):
    """``work()``, run again while the database says "locked": SQLite's
    shared-cache test database fails a second writer at once where the
    project's file database waits. For idempotent work only (a scan, a
    notice): the loser simply runs again, as a later run would. PostgreSQL
    queues the writers (row locks), no retry needed."""
    for _attempt in range(400):
        try:
            return work()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
    return work()


def hire(employee, post=None, day=None):
    return services.event_record(employee=employee, type="hire", date=day or employee.hire_date, post=post, actor=None)


def event(employee, type, day, post=None):
    return services.event_record(employee=employee, type=type, date=day, post=post, actor=None)


def train(employee, kind, hours, day, *, level="", post=None, passed=True, corrects=None):
    return record_append(
        employee=employee,
        actor=None,
        kind=kind,
        level=level,
        post=post,
        title=f"{kind} {level}",
        content="培训内容",
        start_at=at(day, 8),
        end_at=at(day, 17),
        place="培训教室",
        hours=Decimal(str(hours)),
        trainer="王老师",
        assessment_method="笔试" if passed is not None else "",
        assessment_result="passed" if passed else ("failed" if passed is False else "none"),
        source="offline",
        corrects=corrects,
    )


def induct(employee, post, day, hours_each):
    for level in ("company", "workshop", "team"):
        train(employee, "induction", hours_each, day, level=level, post=None if level == "company" else post)


def certificate(employee, category, issued, valid_until, review=None, status="valid", number="T-1"):
    return Certificate.objects.create(
        employee=employee, kind=CertificateKind.SPECIAL_OPERATION, category=category, number=number,
        authority="苏州市应急管理局", issued_on=issued, valid_until=valid_until, next_review_due=review, status=status,
    )
