from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("samples/", views.samples, name="samples"),
    path("samples/new/", views.sample_new, name="sample_new"),
    path("samples/<int:pk>/", views.sample_detail, name="sample"),
    path("samples/<int:pk>/bundle/", views.bundle_start, name="bundle_start"),
    path("samples/<int:pk>/bundle/<int:bundle_pk>/", views.bundle_progress, name="bundle_progress"),
    path("samples/<int:pk>/bundle/<int:bundle_pk>/zip/", views.bundle_zip, name="bundle_zip"),
    path("findings/", views.findings, name="findings"),
    path("findings/new/", views.finding_new, name="finding_new"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/evidence/<int:entry_pk>/", views.evidence, name="evidence"),
    path("reads/", views.reads, name="reads"),
]
