from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("安训 · 平台管理（定时任务）")
admin.site.site_title = _("安训平台管理")
admin.site.index_title = _("定时任务与系统设置")


def _superusers_only(request):
    return request.user.is_active and request.user.is_superuser


# Only platform superusers reach Django's admin; everyone else works in Wagtail.
admin.site.has_permission = _superusers_only
