"""Who may see or act on assignments, submissions and reviews: helpers that return the object or raise.

A course you are not in, an assignment a student cannot see yet, another student's submission: NotFound (404).
A member without the needed role (a teacher choosing for a student, a TA reviewing what another holds): Forbidden (403).
"""

from coursesite.access import course_membership, require_member, require_staff
from coursesite.errors import Forbidden, NotFound
from coursesite.models import Course, Membership, User

from . import selectors
from .models import Assignment, Submission


def access_assignment(*, user: User, course: Course, number: int) -> Assignment:
    """The assignment of a course the user is in (`coursesite.access.access_course`); before its release a student
    gets a 404."""
    return selectors.assignment_visible_get(
        course=course, membership=require_member(user=user, course=course), number=number
    )


def access_submission(*, user: User, course: Course, pk: int, number: int | None = None) -> Submission:
    """The submission, for the student who made it (once its assignment is released) and the course's teachers."""
    submission = selectors.submission_get(pk=pk, course=course)
    if number is not None and submission.assignment.number != number:
        raise NotFound("No such submission.")
    membership = require_submission_viewer(user=user, submission=submission)
    if membership.is_student:
        # A student's view of an unreleased assignment is a 404, like the assignment itself.
        selectors.assignment_visible_get(course=course, membership=membership, number=submission.assignment.number)
    return submission


def require_submission_viewer(*, user: User, submission: Submission) -> Membership:
    """The student who submitted and the course's teachers; to anyone else the submission does not exist."""
    membership = course_membership(user=user, course=submission.assignment.course)
    if membership is None or not (membership.is_staff_role or submission.student_id == user.pk):
        raise NotFound("No such submission.")
    return membership


def require_submission_owner(*, user: User, submission: Submission, doing: str) -> Membership:
    """The student who submitted (choosing it, asking for a regrade); a teacher may see it but not do this."""
    membership = require_submission_viewer(user=user, submission=submission)
    if submission.student_id != user.pk or not membership.is_student:
        raise Forbidden(f"Only the student who submitted can {doing}.")
    return membership


def holds_review_right(*, membership: Membership, submission: Submission) -> bool:
    """A teacher who holds the claim (or nobody does); the instructor may always review."""
    if not membership.is_staff_role:
        return False
    claimed_by = submission.claimed_by_id
    return claimed_by is None or claimed_by == membership.user_id or membership.is_instructor


def require_reviewer(*, user: User, submission: Submission) -> Membership:
    membership = require_staff(user=user, course=submission.assignment.course)
    if not holds_review_right(membership=membership, submission=submission):
        raise Forbidden(f"{submission.claimed_by} has claimed this submission; only they can review it.")
    return membership
