"""Admin views of grading (read mostly: changes to locked grades go through the examiner's page)."""

from django.contrib import admin
from django.contrib.admin import ModelAdmin, TabularInline

from .models import CanvasColumn, CanvasStudent, FinalGrade, FinalGradeChange, GradingSettings, RecordsExport


@admin.register(GradingSettings)
class GradingSettingsAdmin(ModelAdmin[GradingSettings]):
    list_display = [
        "course",
        "bonus_threshold",
        "assignments_required",
        "require_assignments_for_final",
        "final_grade_module",
        "finalised_at",
    ]


class FinalGradeChangeInline(TabularInline[FinalGradeChange, FinalGrade]):
    model = FinalGradeChange
    extra = 0
    can_delete = False
    readonly_fields = ["old_grade", "new_grade", "reason", "changed_by", "changed_at"]


@admin.register(FinalGrade)
class FinalGradeAdmin(ModelAdmin[FinalGrade]):
    list_display = ["course", "student", "grade", "module_code", "module_grade", "bonus", "locked_at"]
    list_filter = ["course", "grade"]
    readonly_fields = [
        "course",
        "student",
        "grade",
        "module_code",
        "module_grade",
        "lab_passed",
        "bonus",
        "explanation",
        "locked_at",
        "locked_by",
    ]
    inlines = [FinalGradeChangeInline]


@admin.register(RecordsExport)
class RecordsExportAdmin(ModelAdmin[RecordsExport]):
    """What was sent to the student records office: a record, not something to edit."""

    list_display = ["course", "made_at", "made_by", "provisional"]
    list_filter = ["course", "provisional"]
    readonly_fields = ["course", "made_at", "made_by", "provisional", "rows"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(CanvasColumn)
class CanvasColumnAdmin(ModelAdmin[CanvasColumn]):
    list_display = ["course", "item", "name", "kind", "points_possible"]
    list_filter = ["course"]


@admin.register(CanvasStudent)
class CanvasStudentAdmin(ModelAdmin[CanvasStudent]):
    list_display = ["course", "student", "canvas_name", "canvas_id", "sis_login_id", "section"]
    list_filter = ["course"]
    raw_id_fields = ["student"]
