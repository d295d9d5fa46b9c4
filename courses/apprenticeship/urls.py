from django.urls import path

from . import views

app_name = "apprenticeship"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/week/", views.week, name="week"),
    path("<int:pk>/week/<int:log_pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("<int:pk>/assess/", views.assess, name="assess"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
]
