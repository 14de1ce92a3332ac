"""Who may see or do what in a course: helpers that return the membership or raise."""

from .errors import Forbidden, NotFound
from .models import Course, Membership, Role, User


def course_membership(*, user: User, course: Course) -> Membership | None:
    if not user.is_authenticated:
        return None
    cached: dict[int, Membership | None] = getattr(user, "_membership_cache", {})
    if course.pk not in cached:
        cached[course.pk] = Membership.objects.filter(user=user, course=course).select_related("course").first()
        user._membership_cache = cached  # type: ignore[attr-defined]
    return cached[course.pk]


def access_course(*, user: User, code: str) -> tuple[Course, Membership]:
    """The course and the user's membership; a course you are not in does not exist for you (404)."""
    course = Course.objects.filter(code=code).first()
    membership = course_membership(user=user, course=course) if course else None
    if course is None or membership is None:
        raise NotFound("No such course, or you are not registered in it.")
    return course, membership


def require_member(*, user: User, course: Course) -> Membership:
    membership = course_membership(user=user, course=course)
    if membership is None:
        raise Forbidden("You are not registered in this course.")
    return membership


def check_staff(membership: Membership) -> Membership:
    """The membership, if it is a TA's or the examiner's."""
    if not membership.is_staff_role:
        raise Forbidden("Only the course's teachers can do this.")
    return membership


def check_instructor(membership: Membership) -> Membership:
    if membership.role != Role.INSTRUCTOR:
        raise Forbidden("Only the examiner can do this.")
    return membership


def check_student(membership: Membership) -> Membership:
    if membership.role != Role.STUDENT:
        raise Forbidden("Only students of this course can do this.")
    return membership


def require_staff(*, user: User, course: Course) -> Membership:
    return check_staff(require_member(user=user, course=course))


def require_instructor(*, user: User, course: Course) -> Membership:
    return check_instructor(require_member(user=user, course=course))


def require_student(*, user: User, course: Course) -> Membership:
    return check_student(require_member(user=user, course=course))
