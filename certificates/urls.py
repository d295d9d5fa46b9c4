from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("mine/", views.my_certificates, name="mine"),
    path("mine/<int:pk>/pdf/", views.download, name="download"),
    path("batches/<int:pk>/", views.batch_progress, name="batch-progress"),
    path("batches/<int:pk>/zip/", views.batch_zip, name="batch-zip"),
]
