"""Django admin for assignments, extensions, submissions, reviews and regrade requests."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin

from .models import Assignment, Extension, RegradeRequest, Review, Submission


@admin.register(Assignment)
class AssignmentAdmin(ModelAdmin[Assignment]):
    list_display = ("course", "number", "title", "released_at", "deadline_at", "bonus_max")
    list_filter = ("course",)


@admin.register(Extension)
class ExtensionAdmin(ModelAdmin[Extension]):
    list_display = ("assignment", "student", "deadline_at", "granted_by")
    list_filter = ("assignment__course",)


@admin.register(Submission)
class SubmissionAdmin(ModelAdmin[Submission]):
    list_display = ("assignment", "student", "submitted_at", "is_late", "is_latest", "claimed_by")
    list_filter = ("assignment__course", "assignment__number", "is_late", "is_latest")
    search_fields = ("student__username",)
    # Changes go through the services (they keep is_latest and the audit log right).
    readonly_fields = [f.name for f in Submission._meta.fields]


@admin.register(Review)
class ReviewAdmin(ModelAdmin[Review]):
    list_display = ("submission", "reviewer", "passed", "bonus", "reviewed_at")
    readonly_fields = ("submission", "reviewer", "passed", "bonus", "feedback", "reviewed_at")


@admin.register(RegradeRequest)
class RegradeRequestAdmin(ModelAdmin[RegradeRequest]):
    list_display = ("review", "requested_at", "answered_by", "answered_at")
