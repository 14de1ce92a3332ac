"""What the autograder shows on the assignments app's pages (registered as panels in WorkersConfig.ready)."""

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string

from assignments.models import Assignment, Submission
from coursesite.access import course_membership
from coursesite.requests import AuthedHttpRequest

from . import access, selectors
from .models import Visibility


def submission_panel(request: AuthedHttpRequest, submission: Submission) -> str:
    """The live result of the submission's latest autograder run (polls until it has ended)."""
    try:
        staff = access.access_submission_grading(user=request.user, submission=submission)
    except PermissionDenied:
        return ""
    job = selectors.job_latest(submission=submission)
    code = submission.assignment.course.code
    # Before the view is read: an ETag older than the content only costs one full poll, a newer one would hide it.
    answer = selectors.job_poll(job_id=job.pk, code=code, user=request.user) if job and not job.is_final else None
    context = {
        "code": submission.assignment.course.code,
        "submission": submission,
        "staff": staff,
        "view": selectors.job_view(job=job, staff=staff) if job else None,
        "etag": answer.etag if answer else "",
        "poll_after": answer.after_s if answer else 0,
        "suite": selectors.suite_active(assignment=submission.assignment),
    }
    return render_to_string("workers/_panel_submission.html", context, request=request)


def assignment_student_panel(request: AuthedHttpRequest, assignment: Assignment) -> str:
    """Runs left today and what the tests cover, shown above the submit form."""
    membership = course_membership(user=request.user, course=assignment.course)
    suite = selectors.suite_active(assignment=assignment)
    if membership is None or not membership.is_student or suite is None:
        return ""
    visibilities = [spec.get("visibility", Visibility.VISIBLE) for spec in suite.tests.values()]
    context = {
        "runs": selectors.runs_today(assignment=assignment, student=request.user),
        "suite": suite,
        "functions": selectors.suite_functions(suite=suite),
        "tzname": assignment.course.timezone,
        "visible": visibilities.count(Visibility.VISIBLE),
        "hidden": visibilities.count(Visibility.HIDDEN),
        "secret": visibilities.count(Visibility.SECRET),
    }
    return render_to_string("workers/_panel_student.html", context, request=request)


def assignment_staff_panel(request: AuthedHttpRequest, assignment: Assignment) -> str:
    membership = course_membership(user=request.user, course=assignment.course)
    if membership is None or not membership.is_staff_role:
        return ""
    context = {
        "assignment": assignment,
        "code": assignment.course.code,
        "suite": selectors.suite_active(assignment=assignment),
        "progress": selectors.rerun_progress(assignment=assignment),
        "manages": membership.is_instructor,  # suites, reruns and trials are the examiner's (access.py)
    }
    return render_to_string("workers/_panel_staff.html", context, request=request)
