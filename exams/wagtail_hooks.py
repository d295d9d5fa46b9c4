"""Back office for exams, registered with Wagtail here.

Each part registers itself in its own clearly separated functions below, so
parts can be added without touching the others."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

# --- question import (导入题库): /admin/exams/import/, namespace "exams_import" ---------------


@hooks.register("register_admin_urls")
def register_question_import_urls():
    from . import import_views

    return [path("exams/import/", include((import_views.urlpatterns, "exams_import"), namespace="exams_import"))]


class QuestionImportMenuItem(MenuItem):
    def is_shown(self, request):
        from .import_views import IMPORT_PERMISSION

        return request.user.has_perm(IMPORT_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_question_import_menu_item():
    return QuestionImportMenuItem(
        _("导入题库"), reverse("exams_import:upload"), name="exams-question-import", icon_name="upload", order=320
    )


@hooks.register("register_log_actions")
def register_question_log_actions(actions):
    actions.register_action("anxun.question_import", "导入题目", "导入题目")
    actions.register_action("anxun.question_new_version", "新建题目版本", "新建题目版本")


# --- back office viewsets (题库, 题目, 试卷, 考试, 答卷, 成绩与分析) and the dashboard panel ----------
# Menu group "考试"; other entries may join it with the "register_exams_menu_item" hook.


@hooks.register("register_admin_viewset")
def register_exams_viewsets():
    from .admin.viewsets import exams_viewset_group

    return exams_viewset_group


@hooks.register("construct_homepage_panels")
def add_exams_panel(request, panels):
    # 近期考试 (open and upcoming) with 应考/已考/合格/未参加; nothing without an enterprise.
    from .admin.dashboard import ExamsPanel

    panel = ExamsPanel.for_request(request)
    if panel is not None:
        panels.append(panel)
