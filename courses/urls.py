from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("", views.my_learning, name="my_learning"),
    path("courses/<int:pk>/enrol/", views.course_enrol, name="course_enrol"),
    path("lessons/<int:pk>/start/", views.study_start, name="study_start"),
    path("lessons/<int:pk>/answer/", views.lesson_answer, name="lesson_answer"),
    path("heartbeat/", views.heartbeat, name="heartbeat"),
]
