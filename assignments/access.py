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


def require_reviewer(*, user: User, submission: Submission) -> Membership:
    """A teacher who holds the claim (or nobody does); the instructor may always review."""
    membership = require_staff(user=user, course=submission.assignment.course)
    if submission.claimed_by_id is not None and submission.claimed_by_id != user.pk and not membership.is_instructor:
        raise PermissionDenied(f"{submission.claimed_by} has claimed this submission; only they can review it.")
    return membership
