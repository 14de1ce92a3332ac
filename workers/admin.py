"""Admin views of the autograder's records (read-mostly; changes go through the services)."""

from django.contrib import admin

from .models import GradingJob, Rerun, Suite, TestResult, WorkerHeartbeat


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin):
    list_display = ["assignment", "version", "is_active", "queue", "max_score", "runs_per_day", "uploaded_at"]
    list_filter = ["is_active", "queue"]


class TestResultInline(admin.TabularInline):
    model = TestResult
    extra = 0
    fields = ["name", "status", "reason", "points", "max_points", "visibility", "seconds"]
    readonly_fields = fields


@admin.register(GradingJob)
class GradingJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "submission", "attempt", "trigger", "queue", "state", "outcome", "score", "worker"]
    list_filter = ["state", "queue", "trigger", "outcome"]
    inlines = [TestResultInline]


admin.site.register(Rerun)
admin.site.register(WorkerHeartbeat)
