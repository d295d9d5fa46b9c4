"""Exams' section of the person file (lms.archive.registry): graded
attempts, newest first."""

from __future__ import annotations

from lms.archive.exports import local_time, scoped
from lms.archive.registry import PersonFileSection

from .models import Attempt


def _exam_results(pf, user) -> dict:
    attempts = list(
        scoped(Attempt.objects.all(), user).filter(employee=pf.employee, status=Attempt.Status.GRADED)
        .select_related("exam").order_by("-submitted_at", "-pk")
    )
    for a in attempts:
        a.submitted_local = local_time(a.submitted_at)
    return {"exam_results": attempts}


SECTION = PersonFileSection(load=_exam_results)
