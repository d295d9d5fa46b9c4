"""Back office: the 后台任务 page (job_views.py) for platform operators and
enterprise admins, and its audit-log action."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .jobs import RETRY_ACTION, can_see_jobs


class JobsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_see_jobs(request.user)


@hooks.register("register_admin_urls")
def register_job_urls():
    from . import job_views

    return [path("jobs/", include((job_views.urlpatterns, "ops_jobs"), namespace="ops_jobs"))]


@hooks.register("register_admin_menu_item")
def register_jobs_menu_item():
    return JobsMenuItem(_("后台任务"), reverse("ops_jobs:list"), name="ops-jobs", icon_name="cogs", order=900)


@hooks.register("register_log_actions")
def register_ops_log_actions(actions):
    actions.register_action(RETRY_ACTION, "重试后台任务", "重试后台任务")
