from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("", views.my_exams, name="my_exams"),
    path("<int:pk>/", views.exam_detail, name="exam_detail"),
    path("<int:pk>/start/", views.exam_start, name="exam_start"),
    path("attempts/<int:pk>/", views.attempt_page, name="attempt"),
    path("attempts/<int:pk>/answer/", views.attempt_answer, name="attempt_answer"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="attempt_result"),
    path("attempts/<int:pk>/review/", views.attempt_review, name="attempt_review"),
]
