"""Who may see or do what with the autograder: the student their own jobs, staff everything, instructors suites.

Every public service of workers.services asks here first. A course you are not in is NotFound (404); a member
without the needed role, or another student's grading, is Forbidden (403)."""

from collections.abc import Callable

from assignments.models import Submission
from coursesite.access import course_membership
from coursesite.errors import Forbidden, NotFound
from coursesite.models import Course, Membership, User

from .models import GradingJob


def _require(*, user: User, course: Course, role: Callable[[Membership], bool], words: str) -> Membership:
    """The user's membership of the course, which must have `role`: else NotFound (not in it) or Forbidden."""
    membership = course_membership(user=user, course=course)
    if membership is None:
        raise NotFound("No such course, or you are not registered in it.")
    if not role(membership):
        raise Forbidden(words)
    return membership


def access_submission_grading(*, user: User, submission: Submission) -> bool:
    """May `user` see this submission's grading? Returns True for staff (who see every test), False for its owner."""
    membership = course_membership(user=user, course=submission.assignment.course)
    if membership is not None and membership.is_staff_role:
        return True
    if membership is not None and submission.student_id == user.pk:
        return False
    raise Forbidden("This is not your submission.")


def access_job(*, user: User, job: GradingJob) -> bool:
    """Like access_submission_grading; a staff trial is for staff only."""
    if job.submission is not None:
        return access_submission_grading(user=user, submission=job.submission)
    membership = course_membership(user=user, course=job.suite.assignment.course)
    if membership is not None and membership.is_staff_role:
        return True
    raise Forbidden("Only the course's teachers can see suite trials.")


def require_suite_manager(*, user: User, course: Course) -> Membership:
    """Suites, reruns and trials are the examiner's."""
    return _require(user=user, course=course, role=lambda m: m.is_instructor, words="Only the examiner can do this.")


def require_grading_staff(*, user: User, course: Course) -> Membership:
    """Grading one submission again, and the queue's page, are for any of the course's teachers (TA or examiner)."""
    words = "Only the course's teachers can do this."
    return _require(user=user, course=course, role=lambda m: m.is_staff_role, words=words)
