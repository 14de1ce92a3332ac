"""Changes to grading: the examiner's settings, finalising (locking) the final grades, and changing a locked one."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coursesite.audit import audit_record
from coursesite.models import Course, Role, User
from lti import passback as lti_passback
from notifications import events

from . import access, canvas
from .models import CanvasColumn, CanvasStudent, FinalGrade, FinalGradeChange, GradingSettings, RecordsExport
from .policy import GRADES
from .records import records_csv, records_file
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
    final_grade_module: str = "module",
) -> GradingSettings:
    access.require_grade_admin(user=by, course=course)
    with transaction.atomic():
        settings = _settings_for_update(course)
        before = {
            "bonus_threshold": settings.bonus_threshold,
            "assignments_required": settings.assignments_required,
            "require_assignments_for_final": settings.require_assignments_for_final,
            "final_grade_module": settings.final_grade_module,
        }
        settings.bonus_threshold = bonus_threshold
        settings.assignments_required = assignments_required
        settings.require_assignments_for_final = require_assignments_for_final
        settings.final_grade_module = final_grade_module
        settings.full_clean()
        settings.save()
        after = {key: getattr(settings, key) for key in before}
        audit_record(
            actor=by, action="grading_settings.update", course=course, target=settings, before=before, after=after
        )
    return settings


def grades_finalise(*, course: Course, by: User) -> int:
    """Lock the final grade of every student who has no locked grade yet; returns how many were locked.

    Finalising again later locks only students added since (their grades were never reported); a grade that is
    already locked changes only through `final_grade_change`, with a reason.
    """
    access.require_grade_admin(user=by, course=course)
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
                lab_passed=row.outcome.assignments.passed,
                bonus=row.outcome.assignments.bonus,
                explanation=row.outcome.explanation,
                locked_at=now,
                locked_by=by,
            )
            for row in book.rows
            if row.locked is None
        ]
        FinalGrade.objects.bulk_create(new)
        lti_passback.final_grades_queue(course=course, grades=new)
        events.final_grades_published(course=course, students=[g.student for g in new])
        if settings.finalised_at is None:
            settings.finalised_at, settings.finalised_by = now, by
            settings.save(update_fields=["finalised_at", "finalised_by"])
        audit_record(
            actor=by,
            action="final_grade.finalise",
            course=course,
            target=settings,
            locked=len(new),
            grades={g.student.username: g.grade for g in new},
        )
    return len(new)


def final_grade_change(*, final_grade: FinalGrade, grade: str, reason: str, by: User) -> FinalGradeChange:
    """Change a locked final grade: the reason is required, kept in the student's history and audited."""
    access.require_grade_admin(user=by, course=final_grade.course)
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
        lti_passback.final_grades_queue(course=locked.course, grades=[locked])
        audit_record(
            actor=by,
            action="final_grade.change",
            course=locked.course,
            target=locked,
            student=locked.student.username,
            old_grade=change.old_grade,
            new_grade=grade,
            reason=reason,
        )
    final_grade.grade = grade
    return change


def records_export_make(
    *, course: Course, by: User | None, only_new: bool = False, today: dt.date | None = None
) -> tuple[RecordsExport, str, str]:
    """Make the student records (Ladok) file, remember its rows and audit it; returns (record, filename, text).

    `only_new`: only the results that are new or changed since the earlier files.
    """
    if by is not None:  # None: the export_grades management command, run by whoever runs the server
        access.require_records_export(user=by, course=course)
    today = today or timezone.localdate(timezone=course.tz)
    with transaction.atomic():
        _settings_for_update(course)  # one file at a time per course: "new since" stays exact
        records = records_file(gradebook(course=course), today=today)
        rows = records.selected(only_new)
        provisional = records.provisional(rows)
        made = RecordsExport.objects.create(
            course=course, made_by=by, provisional=provisional, rows=[r.as_record() for r in rows]
        )
        audit_record(
            actor=by,
            action="records_export.make",
            course=course,
            target=made,
            rows=len(rows),
            provisional=provisional,
            only_new=only_new,
            errors=len(records.errors),
        )
    return made, records.filename(rows, today), records_csv(records, rows)


def canvas_columns_set(
    *, course: Course, by: User, columns: dict[str, tuple[str, str, Decimal | None]]
) -> list[CanvasColumn]:
    """Set the Canvas column (name, kind, points possible) of gradebook items; a blank name leaves it out."""
    access.require_grade_admin(user=by, course=course)
    errors = {}
    for key, (name, kind, possible) in columns.items():
        family = key.split(":")[0]
        if family not in canvas.KINDS or (family == "assignment" and not key.split(":")[-1].isdigit()):
            errors[key] = f"{key!r} is not an item of the gradebook."
        elif kind not in canvas.KINDS[family]:
            allowed = " or ".join(CanvasColumn.Kind(k).label.lower() for k in canvas.KINDS[family])
            errors[key] = f"{key}: Canvas can take this item as {allowed}."
        elif name and kind == CanvasColumn.Kind.POINTS and family == "assignment" and not possible:
            errors[key] = f"{key}: give the points possible of the Canvas assignment (a pass earns them all)."
        elif len(name) > 255:
            errors[key] = f"{key}: the Canvas name is too long."
    if errors:
        raise ValidationError(errors)
    saved = []
    with transaction.atomic():
        before = {c.item: [c.name, c.kind, str(c.points_possible or "")] for c in course.canvas_columns.all()}
        for key, (name, kind, possible) in columns.items():
            column, _ = CanvasColumn.objects.update_or_create(
                course=course, item=key, defaults={"name": name.strip(), "kind": kind, "points_possible": possible}
            )
            saved.append(column)
        after = {c.item: [c.name, c.kind, str(c.points_possible or "")] for c in saved}
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        audit_record(
            actor=by,
            action="canvas_column.set",
            course=course,
            before={k: before.get(k) for k in changed},
            after=changed,
        )
    return saved


def canvas_roster_import(*, course: Course, by: User, data: bytes) -> canvas.CanvasRoster:
    """Read Canvas's gradebook export: remember each student's Canvas ids; map items whose names match."""
    access.require_grade_admin(user=by, course=course)
    students = [
        m.user for m in course.memberships.filter(role=Role.STUDENT).select_related("user").order_by("user__username")
    ]
    roster = canvas.canvas_roster_read(course=course, data=data, students=students)
    if roster.errors:
        raise ValidationError(roster.errors)
    with transaction.atomic():
        CanvasStudent.objects.filter(course=course).delete()
        CanvasStudent.objects.bulk_create(roster.matched)
        mapped = set(CanvasColumn.objects.filter(course=course).exclude(name="").values_list("item", flat=True))
        book = gradebook(course=course, students=[])
        for item in canvas.canvas_items(book):
            name = canvas.suggested_name(item.label, roster.assignments)
            if item.key not in mapped and name is not None:
                kind = item.kind
                CanvasColumn.objects.update_or_create(
                    course=course,
                    item=item.key,
                    defaults={"name": name, "kind": kind, "points_possible": roster.assignments[name]},
                )
        audit_record(
            actor=by,
            action="canvas_roster.import",
            course=course,
            matched=len(roster.matched),
            unmatched=len(roster.unmatched),
        )
    return roster


def grades_relock(*, course: Course, by: User, reason: str, students: list[int] | None = None) -> int:
    """Re-lock the finalised grades whose results changed since: the policy's grade now, with the reason.

    Each re-locked grade takes the current results as its locked inputs; where the grade itself changes, the
    change is in the student's history with the reason. Returns how many were re-locked.
    """
    access.require_grade_admin(user=by, course=course)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Write why the grades are re-locked; students see it where a grade changes."})
    with transaction.atomic():
        _settings_for_update(course)
        book = gradebook(course=course, students=students)
        rows = [row for row in book.rows if row.inputs_changed]
        changed = {}
        for row in rows:
            assert row.locked is not None  # inputs_changed: a locked grade
            locked = FinalGrade.objects.select_for_update().get(pk=row.locked.pk)
            new_grade = row.outcome.grade or ""
            before = {"grade": locked.grade, "inputs": row.locked_inputs}
            if locked.grade != new_grade:
                FinalGradeChange.objects.create(
                    final_grade=locked, old_grade=locked.grade, new_grade=new_grade, reason=reason, changed_by=by
                )
            locked.grade = new_grade
            locked.module_code = row.outcome.module.code or ""
            locked.module_grade = row.outcome.module.grade or ""
            locked.bonus = row.outcome.assignments.bonus
            locked.lab_passed = row.outcome.assignments.passed
            locked.explanation = row.outcome.explanation
            locked.save()
            if before["grade"] != new_grade:
                lti_passback.final_grades_queue(course=course, grades=[locked])
            changed[row.student.username] = new_grade
            audit_record(
                actor=by,
                action="final_grade.relock",
                course=course,
                target=locked,
                student=row.student.username,
                old_grade=before["grade"],
                new_grade=new_grade,
                old_inputs=before["inputs"],
                new_inputs=row.current_inputs,
                reason=reason,
            )
    return len(changed)
