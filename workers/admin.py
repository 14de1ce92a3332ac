"""Admin views of the autograder's records (read-mostly; changes go through the services)."""

from django.contrib import admin

from .models import GradingJob, Rerun, Suite, TestResult, WorkerHeartbeat


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin[Suite]):
    list_display = ["assignment", "version", "is_active", "queue", "max_score", "runs_per_day", "uploaded_at"]
    list_filter = ["is_active", "queue"]


class TestResultInline(admin.TabularInline[TestResult, GradingJob]):
    model = TestResult
    extra = 0
    fields = readonly_fields = ("name", "status", "reason", "points", "max_points", "visibility", "seconds")


@admin.register(GradingJob)
class GradingJobAdmin(admin.ModelAdmin[GradingJob]):
    list_display = ["pk", "submission", "attempt", "trigger", "queue", "state", "outcome", "score", "worker"]
    list_filter = ["state", "queue", "trigger", "outcome"]
    inlines = [TestResultInline]


admin.site.register(Rerun)
admin.site.register(WorkerHeartbeat)
