"""Changes to grading: the examiner's settings, finalising (locking) the final grades, and changing a locked one."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coursesite.audit import audit_record
from coursesite.models import Course, User

from .models import FinalGrade, FinalGradeChange, GradingSettings
from .policy import GRADES
from .selectors import gradebook


def _settings_for_update(course: Course) -> GradingSettings:
    GradingSettings.objects.get_or_create(course=course)
    return GradingSettings.objects.select_for_update().get(course=course)


def grading_settings_update(
    *,
    course: Course,
    by: User,
    bonus_threshold: int,
    assignments_required: int,
    require_assignments_for_final: bool,
) -> GradingSettings:
    with transaction.atomic():
        settings = _settings_for_update(course)
        before = {
            "bonus_threshold": settings.bonus_threshold,
            "assignments_required": settings.assignments_required,
            "require_assignments_for_final": settings.require_assignments_for_final,
        }
        settings.bonus_threshold = bonus_threshold
        settings.assignments_required = assignments_required
        settings.require_assignments_for_final = require_assignments_for_final
        settings.full_clean()
        settings.save()
        after = {key: getattr(settings, key) for key in before}
        audit_record(
            actor=by, action="grading.settings_update", course=course, target=settings, before=before, after=after
        )
    return settings


def grades_finalise(*, course: Course, by: User) -> int:
    """Lock the final grade of every student who has no locked grade yet; returns how many were locked.

    Finalising again later locks only students added since (their grades were never reported); a grade that is
    already locked changes only through `final_grade_change`, with a reason.
    """
    with transaction.atomic():
        settings = _settings_for_update(course)  # serialises parallel finalising of one course
        book = gradebook(course=course)
        now = timezone.now()
        new = [
            FinalGrade(
                course=course,
                student=row.student,
                grade=row.outcome.grade or "",
                module_code=row.outcome.module.code or "",
                module_grade=row.outcome.module.grade or "",
                bonus=row.outcome.assignments.bonus,
                explanation=row.outcome.explanation,
                locked_at=now,
                locked_by=by,
            )
            for row in book.rows
            if row.locked is None
        ]
        FinalGrade.objects.bulk_create(new)
        if settings.finalised_at is None:
            settings.finalised_at, settings.finalised_by = now, by
            settings.save(update_fields=["finalised_at", "finalised_by"])
        audit_record(
            actor=by,
            action="grading.finalise",
            course=course,
            target=settings,
            locked=len(new),
            grades={g.student.username: g.grade for g in new},
        )
    return len(new)


def final_grade_change(*, final_grade: FinalGrade, grade: str, reason: str, by: User) -> FinalGradeChange:
    """Change a locked final grade: the reason is required, kept in the student's history and audited."""
    grade = (grade or "").strip()
    reason = (reason or "").strip()
    errors = {}
    if grade and grade not in GRADES:
        errors["grade"] = f"{grade!r} is not a grade; choose one of {', '.join(GRADES)} or no grade."
    if not reason:
        errors["reason"] = "Write why the locked grade changes; the student sees it in their history."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = FinalGrade.objects.select_for_update().get(pk=final_grade.pk)
        if locked.grade == grade:
            raise ValidationError({"grade": f"The final grade is already {grade or 'no grade'}."})
        change = FinalGradeChange.objects.create(
            final_grade=locked, old_grade=locked.grade, new_grade=grade, reason=reason, changed_by=by
        )
        locked.grade = grade
        locked.save(update_fields=["grade"])
        audit_record(
            actor=by,
            action="grading.final_grade_change",
            course=locked.course,
            target=locked,
            student=locked.student.username,
            old_grade=change.old_grade,
            new_grade=grade,
            reason=reason,
        )
    final_grade.grade = grade
    return change
