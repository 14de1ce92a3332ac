"""The rule the other apps follow once grades are finalised: a change to a result behind a locked final grade
needs a reason (projects and exams call this from their services, inside their transaction)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from coursesite.models import Course

from .models import FinalGrade

__all__ = ["require_reason_if_locked"]


def require_reason_if_locked(*, course: Course, student_ids: Iterable[int], reason: str, what: str) -> str:
    """The reason, stripped; a ValidationError in words when a student's final grade is locked and it is blank.

    `what` names the change, e.g. "the project grade of Group 2".
    """
    reason = (reason or "").strip()
    if reason:
        return reason
    locked = list(
        FinalGrade.objects.filter(course=course, student_id__in=list(student_ids))
        .select_related("student")
        .order_by("student__username")
    )
    if locked:
        names = ", ".join(f.student.display_name for f in locked)
        raise ValidationError(
            {
                "reason": f"The final grade{'s' if len(locked) > 1 else ''} of {names} "
                f"{'are' if len(locked) > 1 else 'is'} finalised: write a reason for changing {what}. "
                "It is kept in the audit trail."
            }
        )
    return reason
