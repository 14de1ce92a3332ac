"""Who may edit a rubric, mark it, comment inline, and read the marks and comments."""

from django.core.exceptions import PermissionDenied

from assignments.access import require_reviewer, require_submission_viewer
from assignments.models import Review, Submission
from coursesite.models import Membership, User


def is_released(submission: Submission) -> bool:
    """A review is released to the student when it is saved (the student is e-mailed then)."""
    return Review.objects.filter(submission=submission).exists()


def require_marks_reader(*, user: User, submission: Submission) -> Membership:
    """Staff of the course always; the student who submitted only after the review is released; others: 404."""
    membership = require_submission_viewer(user=user, submission=submission)
    if not membership.is_staff_role and not is_released(submission):
        raise PermissionDenied("Your review is not released yet; the marks and comments appear with it.")
    return membership


def require_marker(*, user: User, submission: Submission) -> Membership:
    """The reviewer who holds the claim (or the examiner), while the review is not released."""
    require_submission_viewer(user=user, submission=submission)
    membership = require_reviewer(user=user, submission=submission)
    if not submission.counts:
        raise PermissionDenied(
            "This is not the submission that counts (the student's latest, or the one they chose); only that one is "
            "reviewed."
        )
    if is_released(submission):
        raise PermissionDenied("The review is released; marks and comments are kept as they were sent.")
    return membership
