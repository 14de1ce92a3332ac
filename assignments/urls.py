"""URL routes of assignments: pages under /c/<code>/assignments/."""

from django.urls import path

from . import views

app_name = "assignments"
urlpatterns = [
    path("c/<slug:code>/assignments/", views.assignment_list, name="list"),
    path("c/<slug:code>/assignments/<int:number>/", views.assignment_detail, name="detail"),
]
