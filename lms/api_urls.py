from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound

from certificates import api as certificate_views
from courses import api as course_views
from courses.apprenticeship import api as apprenticeship_views
from courses.warning import api as warning_views
from exams import api as exam_views
from lms import jsonbody
from lms.compliance.api import views as compliance_views
from lms.workforce.api import views

from lms.api import schema  # noqa: F401  (registers the token auth scheme with drf-spectacular)

v1 = [
    path("employees/", views.EmployeeListCreateView.as_view(), name="api-v1-employee-list"),
    path("employees/<str:employee_no>/", views.EmployeeDetailView.as_view(), name="api-v1-employee-detail"),
    path("posts/", views.PostListView.as_view(), name="api-v1-post-list"),
    path("org-units/", views.OrgUnitListView.as_view(), name="api-v1-orgunit-list"),
    path("events/", views.EventCreateView.as_view(), name="api-v1-event-create"),
    # Compliance: clearance, the gated door to a post, the person's file.
    path(
        "employees/<str:employee_no>/clearance/",
        compliance_views.ClearanceView.as_view(),
        name="api-v1-employee-clearance",
    ),
    path(
        "employees/<str:employee_no>/records/",
        compliance_views.TrainingRecordListView.as_view(),
        name="api-v1-employee-records",
    ),
    path(
        "employees/<str:employee_no>/obligations/",
        compliance_views.ObligationListView.as_view(),
        name="api-v1-employee-obligations",
    ),
    path("assignments/", compliance_views.AssignmentCreateView.as_view(), name="api-v1-assignment-create"),
    # Exams: scheduled exams, a person's results.
    path("exams/", exam_views.ExamListView.as_view(), name="api-v1-exam-list"),
    path(
        "employees/<str:employee_no>/exam-results/",
        exam_views.EmployeeExamResultListView.as_view(),
        name="api-v1-employee-exam-results",
    ),
    # Online learning: the course catalogue, a person's enrolments.
    path("courses/", course_views.CourseListView.as_view(), name="api-v1-course-list"),
    path(
        "employees/<str:employee_no>/enrolments/",
        course_views.EmployeeEnrolmentListView.as_view(),
        name="api-v1-employee-enrolments",
    ),
    # Certificates: a person's, by 工号, and the public verification of a code.
    path("certificates/", certificate_views.CertificateListView.as_view(), name="api-v1-certificate-list"),
    path(
        "employees/<str:employee_no>/certificates/",
        certificate_views.EmployeeCertificateListView.as_view(),
        name="api-v1-employee-certificates",
    ),
    path("verify/<str:code>/", certificate_views.VerifyView.as_view(), name="api-v1-certificate-verify"),
    # 师带徒 and 警示教育: a person's apprenticeships, the quarterly campaigns.
    path(
        "employees/<str:employee_no>/apprenticeships/",
        apprenticeship_views.EmployeeApprenticeshipListView.as_view(),
        name="api-v1-employee-apprenticeships",
    ),
    path("warning-campaigns/", warning_views.WarningCampaignListView.as_view(), name="api-v1-warning-campaigns"),
]


def not_found(request, *args, **kwargs):
    """Any other address under /api/ (a 工号 with a "/" in it, a typo): the
    API's own JSON 404, not the site's HTML page, as the schema documents."""
    return JsonResponse(jsonbody.error_body(NotFound.default_detail, NotFound.default_code), status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own:
    # the page passes the Content-Security-Policy without inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(v1)),
    # Ends in "/" so that CommonMiddleware still redirects "/api/v1/posts" to "/api/v1/posts/".
    re_path(r"^.*/$", not_found),
]
