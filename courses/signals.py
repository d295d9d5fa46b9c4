"""Signal receivers of online learning.

- Logging in anywhere ends the person's live study session (防多点登录): the
  other tab or device gets "已在其他设备登录" at its next heartbeat.
- Every course index requires a login (a Wagtail view restriction), so
  courses, including private ones, never appear to anonymous visitors or in
  the public site search.
- New obligations (lms.compliance, after commit): the people are enrolled in
  the online courses that can satisfy them.
"""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import PageViewRestriction

from lms.compliance.signals import obligations_created

from .models import CourseIndexPage, StudySession


@receiver(user_logged_in, dispatch_uid="courses_end_study_on_login")
def end_study_sessions_on_login(sender, request, user, **kwargs):
    from .services import study_end_for_user

    study_end_for_user(user=user, status=StudySession.Status.LOGGED_OUT)


@receiver(post_save, sender=CourseIndexPage, dispatch_uid="courses_index_requires_login")
def course_index_requires_login(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    PageViewRestriction.objects.get_or_create(page=instance, restriction_type=PageViewRestriction.LOGIN)


@receiver(obligations_created, dispatch_uid="courses_enrol_on_obligations_created")
def enrol_on_obligations_created(sender, employee_ids, **kwargs):
    from .services import enrolments_schedule

    enrolments_schedule(employee_ids=employee_ids)
