from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("mine/", views.my_certificates, name="mine"),
    path("mine/<int:pk>/pdf/", views.download, name="download"),
]
