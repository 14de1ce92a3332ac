"""Who may see or do what with grades: staff see the gradebook, the examiner sets, locks and changes."""

from coursesite.access import require_instructor, require_member, require_staff
from coursesite.errors import Forbidden
from coursesite.models import Course, Membership, Role, User

__all__ = ["require_gradebook", "require_grade_admin", "require_own_grades", "require_records_export"]


def require_gradebook(*, user: User, course: Course) -> Membership:
    """Teachers (examiner and TAs) see every student's grades."""
    return require_staff(user=user, course=course)


def require_grade_admin(*, user: User, course: Course) -> Membership:
    """Only the examiner changes the grading settings, finalises and changes locked grades."""
    return require_instructor(user=user, course=course)


def require_records_export(*, user: User, course: Course) -> Membership:
    """The student records export (personal identity numbers) is the examiner's: TAs grade, they do not report."""
    membership = require_member(user=user, course=course)
    if membership.role != Role.INSTRUCTOR:
        raise Forbidden(
            "Only the examiner can download the student records export: it holds personal identity numbers."
        )
    return membership


def require_own_grades(*, user: User, course: Course) -> Membership:
    membership = require_member(user=user, course=course)
    if not membership.is_student:
        raise Forbidden("Only students have their own grades here; teachers use the gradebook.")
    return membership
