from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("principal/", views.principal, name="principal"),
    path("<slug:key>/", views.report, name="report"),
    path("<slug:key>/export.xlsx", views.export, name="export"),
]
