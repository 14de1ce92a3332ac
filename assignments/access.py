"""Who may see or act on submissions and reviews."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from coursesite.access import course_membership, require_staff
from coursesite.models import Membership, User

from .models import Submission


def require_submission_viewer(*, user: User, submission: Submission) -> Membership:
    """The student who submitted and the course's teachers; to anyone else the submission does not exist."""
    membership = course_membership(user=user, course=submission.assignment.course)
    if membership is None or not (membership.is_staff_role or submission.student_id == user.pk):
        raise Http404("No such submission.")
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
        raise PermissionDenied(f"{submission.claimed_by} has claimed this submission; only they can review it.")
    return membership
