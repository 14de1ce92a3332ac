"""URL routes of grading: pages under /c/<code>/ and the API under /api/courses/<code>/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
