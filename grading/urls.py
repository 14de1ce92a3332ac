"""URL routes of grading: pages under /c/<code>/grades/ and the API under /api/courses/<code>/grading/."""

from django.urls import path

from . import api, views

app_name = "grading"
urlpatterns = [
    path("c/<slug:code>/grades/", views.grades_home, name="home"),
    path("c/<slug:code>/grades/settings/", views.settings_update, name="settings"),
    path("c/<slug:code>/grades/finalise/", views.finalise, name="finalise"),
    path("c/<slug:code>/grades/export/<str:fmt>/", views.export_download, name="export"),
    path("c/<slug:code>/grades/records/", views.records_page, name="records"),
    path("c/<slug:code>/grades/canvas/", views.canvas_page, name="canvas"),
    path("c/<slug:code>/grades/review/", views.relock_review, name="review"),
    path("c/<slug:code>/grades/students/<str:username>/", views.student_grade, name="student"),
    path("c/<slug:code>/grades/students/<str:username>/change/", views.final_grade_change, name="change"),
    path("api/courses/<slug:code>/grading/gradebook/", api.GradebookApi.as_view(), name="api_gradebook"),
    path("api/courses/<slug:code>/grading/me/", api.OwnGradeApi.as_view(), name="api_own"),
    path("api/courses/<slug:code>/grading/finalise/", api.FinaliseApi.as_view(), name="api_finalise"),
]
