"""Back office for online learning: the 在线学习 menu (course assignments,
enrolments) and the tenancy of course pages in the page explorer.

Wagtail's page permissions come from groups on the page tree; on top of
them, CoursePage/LessonPage.permissions_for_user drops every permission on a
private course of another enterprise, and the explorer and page chooser
hide those courses (and their lessons) altogether."""

from django.db.models import Q
from wagtail import hooks

from .models import CoursePage, course_visibility_q


def _hidden_course_paths(user) -> list[str]:
    if user.is_superuser:
        return []
    return list(CoursePage.objects.exclude(course_visibility_q(user)).values_list("path", flat=True))


def hide_other_enterprises_courses(pages, user):
    paths = _hidden_course_paths(user)
    if not paths:
        return pages
    hidden = Q()
    for path in paths:
        hidden |= Q(path__startswith=path)
    return pages.exclude(hidden)


@hooks.register("construct_explorer_page_queryset")
def explorer_hides_private_courses(parent_page, pages, request):
    return hide_other_enterprises_courses(pages, request.user)


@hooks.register("construct_page_chooser_queryset")
def chooser_hides_private_courses(pages, request):
    return hide_other_enterprises_courses(pages, request.user)


@hooks.register("register_admin_viewset")
def register_learning_viewsets():
    from . import admin_views

    return admin_views.learning_viewset_group


@hooks.register("register_log_actions")
def register_learning_log_actions(actions):
    actions.register_action("anxun.course_assign", "指派课程", "指派课程")
