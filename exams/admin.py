"""Admin views of the exam, read-only: every change goes through the audited services (pages and API)."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.db.models import Model
from django.http import HttpRequest

from .models import Answer, CandidateDate, Exam, ExamSession, Mark, ModuleChoice, PollVote, Sitting


class ReadOnlyAdmin(ModelAdmin[Model]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ExamSession)
class ExamSessionAdmin(ReadOnlyAdmin):
    list_display = ["exam", "day", "deadline_at"]
    exclude = ["questions_name"]  # the storage name stays secret; only the questions view serves the file


for model in (Exam, ModuleChoice, CandidateDate, PollVote, Sitting, Answer, Mark):
    admin.site.register(model, ReadOnlyAdmin)
