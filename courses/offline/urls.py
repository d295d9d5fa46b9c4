from django.urls import path

from . import views

app_name = "offline"

urlpatterns = [
    # The worker's side: the URL inside the QR code, and the return from the login page.
    path("c/resume/", views.scan_resume, name="scan_resume"),
    path("c/<str:token>/", views.scan, name="scan"),
    # The trainer's side.
    path("sessions/<int:pk>/", views.session_attendance, name="attendance"),
    path("sessions/<int:pk>/screen/", views.session_screen, name="screen"),
    path("sessions/<int:pk>/screen/code/", views.session_screen_code, name="screen_code"),
    path("sessions/<int:pk>/attendances/<int:attendance_pk>/assess/", views.attendance_assess, name="assess"),
    path("sessions/<int:pk>/attendances/<int:attendance_pk>/mark/", views.attendance_mark, name="mark"),
    path("sessions/<int:pk>/close/", views.session_close, name="close"),
    path("sessions/<int:pk>/sign-in-sheet.pdf", views.sign_in_sheet, name="sign_in_sheet"),
]
