"""Admin views of grading (read mostly: changes to locked grades go through the examiner's page)."""

from django.contrib import admin

from .models import FinalGrade, FinalGradeChange, GradingSettings


@admin.register(GradingSettings)
class GradingSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "course",
        "bonus_threshold",
        "assignments_required",
        "require_assignments_for_final",
        "finalised_at",
    ]


class FinalGradeChangeInline(admin.TabularInline):
    model = FinalGradeChange
    extra = 0
    can_delete = False
    readonly_fields = ["old_grade", "new_grade", "reason", "changed_by", "changed_at"]


@admin.register(FinalGrade)
class FinalGradeAdmin(admin.ModelAdmin):
    list_display = ["course", "student", "grade", "module_code", "module_grade", "bonus", "locked_at"]
    list_filter = ["course", "grade"]
    readonly_fields = ["course", "student", "grade", "module_code", "module_grade", "bonus", "explanation", "locked_at"]
    inlines = [FinalGradeChangeInline]
