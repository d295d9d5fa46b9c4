from django.urls import path

from . import views

app_name = "archive"

urlpatterns = [
    path("public-key/", views.public_key, name="public_key"),
    path("employees/<int:pk>/", views.person_file, name="person_file"),
    path("employees/<int:pk>/file.pdf", views.person_file_pdf, name="person_file_pdf"),
    path("employees/<int:pk>/file.xlsx", views.person_file_xlsx_view, name="person_file_xlsx"),
    path("employees/<int:pk>/induction-card.pdf", views.induction_card_pdf, name="induction_card_pdf"),
]
