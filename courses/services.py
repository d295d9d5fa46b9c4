"""Online learning's front door (filled in below)."""

from django.utils import timezone


def study_end_for_user(*, user, status) -> int:
    from .models import StudySession

    return StudySession.objects.filter(user=user, status=StudySession.Status.LIVE).update(
        status=status, ended_at=timezone.now()
    )
