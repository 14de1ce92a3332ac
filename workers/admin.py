"""Admin views of the autograder's records (read-mostly; changes go through the services)."""

from typing import TYPE_CHECKING

from django.contrib import admin

from .models import GradingJob, Rerun, Suite, TestResult, WorkerHeartbeat

if TYPE_CHECKING:  # the admin classes are generic to the type checker only
    SuiteAdminBase = admin.ModelAdmin[Suite]
    JobAdminBase = admin.ModelAdmin[GradingJob]
    ResultInlineBase = admin.TabularInline[TestResult, GradingJob]
else:
    SuiteAdminBase = JobAdminBase = admin.ModelAdmin
    ResultInlineBase = admin.TabularInline


@admin.register(Suite)
class SuiteAdmin(SuiteAdminBase):
    list_display = ["assignment", "version", "is_active", "queue", "max_score", "runs_per_day", "uploaded_at"]
    list_filter = ["is_active", "queue"]


class TestResultInline(ResultInlineBase):
    model = TestResult
    extra = 0
    fields = readonly_fields = ("name", "status", "reason", "points", "max_points", "visibility", "seconds")


@admin.register(GradingJob)
class GradingJobAdmin(JobAdminBase):
    list_display = ["pk", "submission", "attempt", "trigger", "queue", "state", "outcome", "score", "worker"]
    list_filter = ["state", "queue", "trigger", "outcome"]
    inlines = [TestResultInline]


admin.site.register(Rerun)
admin.site.register(WorkerHeartbeat)
