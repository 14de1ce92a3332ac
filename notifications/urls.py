"""URL routes of notifications: a person's list and preferences, and each course's announcements."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("c/<slug:code>/announcements/", views.announcements, name="announcements"),
]
