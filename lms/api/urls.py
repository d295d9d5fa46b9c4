from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import (
    schema,  # noqa: F401  (registers the token auth scheme with drf-spectacular)
    views,
)

v1 = [
    path("employees/", views.EmployeeListCreateView.as_view(), name="api-v1-employee-list"),
    path("employees/<str:employee_no>/", views.EmployeeDetailView.as_view(), name="api-v1-employee-detail"),
    path("posts/", views.PostListView.as_view(), name="api-v1-post-list"),
    path("org-units/", views.OrgUnitListView.as_view(), name="api-v1-orgunit-list"),
    path("events/", views.EventCreateView.as_view(), name="api-v1-event-create"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(v1)),
]
