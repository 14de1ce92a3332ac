"""Who may edit a rubric, mark it, comment inline, and read the marks and comments."""

from assignments.access import require_reviewer, require_submission_viewer
from assignments.models import Assignment, Review, Submission
from coursesite.access import require_instructor
from coursesite.errors import Forbidden
from coursesite.models import Membership, User


def is_released(submission: Submission) -> bool:
    """A review is released to the student when it is saved (the student is e-mailed then)."""
    return Review.objects.filter(submission=submission).exists()


def require_marks_reader(*, user: User, submission: Submission) -> Membership:
    """Staff of the course always; the student who submitted only after the review is released; others: 404."""
    membership = require_submission_viewer(user=user, submission=submission)
    if not membership.is_staff_role and not is_released(submission):
        raise Forbidden("Your review is not released yet; the marks and comments appear with it.")
    return membership


def require_marker(*, user: User, submission: Submission) -> Membership:
    """The reviewer who holds the claim (or the examiner), while the review is not released."""
    require_submission_viewer(user=user, submission=submission)
    membership = require_reviewer(user=user, submission=submission)
    if not submission.counts:
        raise Forbidden(
            "This is not the submission that counts (the student's latest, or the one they chose); only that one is "
            "reviewed."
        )
    if is_released(submission):
        raise Forbidden("The review is released; marks and comments are kept as they were sent.")
    return membership


def require_rubric_editor(*, user: User, assignment: Assignment) -> Membership:
    """The examiner sets an assignment's rubric (rule and criteria); teachers read it."""
    return require_instructor(user=user, course=assignment.course)
