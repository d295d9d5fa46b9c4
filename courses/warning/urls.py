from django.urls import path

from . import views

app_name = "warning"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/<int:pk>/", views.study, name="study"),
    path("campaigns/<int:pk>/clock/start/", views.clock_start, name="clock_start"),
    path("campaigns/<int:pk>/clock/beat/", views.heartbeat, name="heartbeat"),
    path("campaigns/<int:pk>/manage/", views.manage, name="manage"),
    path("campaigns/<int:pk>/cases/", views.set_cases, name="set_cases"),
    path("campaigns/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("campaigns/<int:pk>/coverage/", views.coverage, name="coverage"),
    path("meetings/<int:pk>/screen/", views.meeting_screen, name="screen"),
    path("meetings/<int:pk>/screen/code/", views.meeting_screen_code, name="screen_code"),
    path("meetings/<int:pk>/close/", views.meeting_close, name="meeting_close"),
    # The URL inside a meeting's rotating QR code, and the return from the login page.
    path("m/resume/", views.scan_resume, name="scan_resume"),
    path("m/<str:token>/", views.scan, name="scan"),
    path("violations/<int:employee_pk>/", views.violations, name="violations"),
]
