from django.conf import settings
from django.contrib import admin
from allauth.account.decorators import secure_admin_login
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from certificates import views as certificate_views
from lms.accounts import views as account_views
from lms.media import views as media_views
from lms.ops import views as ops_views

# One login door (lms.accounts.views): both admin login forms would take a
# password alone, Wagtail's password reset and Django admin's password change
# are second flows beside allauth's — all are sent to allauth.
admin.site.login = secure_admin_login(admin.site.login)

# A locked or slow database answers 503 "系统繁忙，请稍后重试", not 500.
handler500 = "lms.kernel.dbtimeouts.server_error"

urlpatterns = [
    # Probes and the scrape: answered by lms.ops.middleware.OpsMiddleware ahead
    # of the stack; named here for reverse() and the URL enumerations.
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    # First: the study heartbeat (courses) is the busiest request, and URL
    # resolution tries the patterns in order.
    path("learn/", include("courses.urls")),
    path("admin/login/", account_views.admin_login_redirect, name="admin_login_redirect"),
    re_path(r"^admin/password_reset/(?P<rest>.*)$", account_views.password_reset_redirect),
    path("admin/", include(wagtailadmin_urls)),
    # Django's own admin, for platform superusers only: Celery beat schedules
    # (django-celery-beat ships its admin there). Workforce models are not
    # registered in it, so no write path bypasses the services.
    re_path(r"^django-admin/password_change/(?P<rest>.*)$", account_views.password_change_redirect),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("lms.api_urls")),
    path("archive/", include("lms.archive.urls")),
    path("supervision/", include("lms.supervision.urls")),
    path("reports/", include("lms.reports.urls")),
    path("exams/", include("exams.urls")),
    path("certificates/", include("certificates.urls")),
    # Public certificate verification (the QR code on every certificate points here).
    path("verify/<str:code>/", certificate_views.verify, name="certificate-verify"),
    path("offline/", include("courses.offline.urls")),
    path("apprenticeship/", include("courses.apprenticeship.urls")),
    path("warning/", include("courses.warning.urls")),
]

# Uploaded and generated files: never a static route, in any settings. One
# view checks who may read each file (lms/media) and lets Django, nginx
# (X-Accel-Redirect), X-Sendfile or a signed object-storage URL send it.
urlpatterns += [
    path(settings.MEDIA_URL.lstrip("/") + "<path:path>", media_views.serve, name="media"),
    path("", include("content.urls")),
    # Ahead of wagtail_urls, whose /_util/login/ takes a password alone.
    path("_util/login/", account_views.frontend_login_redirect, name="frontend_login_redirect"),
    path("", include(wagtail_urls)),
]
