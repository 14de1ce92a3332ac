"""Who may see or do what with the autograder: the student their own jobs, staff everything, instructors suites."""

from django.core.exceptions import PermissionDenied

from assignments.models import Submission
from coursesite.access import course_membership, require_instructor, require_staff
from coursesite.models import Course, User

from .models import GradingJob


def access_submission_grading(*, user: User, submission: Submission) -> bool:
    """May `user` see this submission's grading? Returns True for staff (who see every test), False for its owner."""
    membership = course_membership(user=user, course=submission.assignment.course)
    if membership is not None and membership.is_staff_role:
        return True
    if membership is not None and submission.student_id == user.pk:
        return False
    raise PermissionDenied("This is not your submission.")


def access_job(*, user: User, job: GradingJob) -> bool:
    """Like access_submission_grading; a staff trial is for staff only."""
    if job.submission is not None:
        return access_submission_grading(user=user, submission=job.submission)
    membership = course_membership(user=user, course=job.suite.assignment.course)
    if membership is not None and membership.is_staff_role:
        return True
    raise PermissionDenied("Only the course's teachers can see suite trials.")


def require_suite_manager(*, user: User, course: Course) -> None:
    """Suites, reruns and trials are the examiner's."""
    require_instructor(user=user, course=course)


def require_grading_staff(*, user: User, course: Course) -> None:
    """Grading one submission again is for any of the course's teachers (TA or examiner)."""
    require_staff(user=user, course=course)
