"""Autograder pages: the live job fragment (htmx), figures, staff's "grade again", the examiner's suite page."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assignments.models import Assignment, Submission
from coursesite.errors import flash
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, selectors, services
from .models import GradingJob, Suite

# The seconds the results page waits at the least before its next poll (static/workers/poll.js reads it).
POLL_AFTER_HEADER = "X-Poll-After"


def _job_in_course(code: str, job_id: int) -> GradingJob:
    job = selectors.job_with_results(job_id=job_id)
    if job is None or job.suite.assignment.course.code != code:
        raise Http404("No such grading job.")
    return job


@login_required
def job_fragment(request: AuthedHttpRequest, code: str, job_id: int) -> HttpResponse:
    """The fragment the results page polls until the job has ended: a conditional GET, so that an unchanged job
    costs a 304 from one or two small queries (the ETag is the viewer's own, see selectors.job_poll_etag)."""
    offered = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")[:4] if tag.strip()]
    answer = selectors.job_poll(job_id=job_id, code=code, user=request.user, offered=offered)
    etag = answer.etag if answer is not None else None
    if answer is not None and answer.unchanged:
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = answer.etag
        if answer.after_s:
            unchanged[POLL_AFTER_HEADER] = str(answer.after_s)
        return unchanged
    course, _ = course_page(request, code)
    job = _job_in_course(code, job_id)
    staff = access.access_job(user=request.user, job=job)
    view = selectors.job_view(job=job, staff=staff, seen=answer.seen if answer is not None else None)
    response = render(request, "workers/_job.html", {"view": view, "staff": staff, "code": code, "fragment": True})
    if etag is not None:
        response["ETag"] = etag
    if answer is not None and answer.after_s:
        response[POLL_AFTER_HEADER] = str(answer.after_s)
    patch_cache_control(response, private=True, no_cache=True)
    return response


@login_required
def queue_page(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """Staff's view of the autograder's queues, workers and last hour."""
    course, _ = course_page(request, code)
    access.require_grading_staff(user=request.user, course=course)
    overview = selectors.queue_overview(course=course)
    return render(request, "workers/queue.html", {"overview": overview, "code": code})


@login_required
def job_figure(request: AuthedHttpRequest, code: str, job_id: int, index: int) -> FileResponse:
    course_page(request, code)
    job = _job_in_course(code, job_id)
    staff = access.access_job(user=request.user, job=job)
    figures = selectors.job_view(job=job, staff=staff).figures
    if not 0 <= index < len(figures):
        raise Http404("No such figure.")
    name = figures[index]["name"]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse(default_storage.open(name, "rb"), content_type=content_type)


@login_required
@require_POST
def submission_rerun(request: AuthedHttpRequest, code: str, submission_id: int) -> HttpResponse:
    """Staff's "Grade again" button on a submission: a new autograder run, then back to the page it came from."""
    course, _ = course_page(request, code)
    submission = get_object_or_404(
        Submission.objects.select_related("assignment__course"), pk=submission_id, assignment__course=course
    )
    try:
        job = services.job_rerun(submission=submission, by=request.user)
    except ValidationError as error:
        flash(request, error)
    else:
        messages.success(request, f"Grading the submission again (autograder run {job.attempt}, at low priority).")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect(reverse("assignments:review", args=[code, submission.pk]))


def _assignment(request: AuthedHttpRequest, code: str, number: int) -> Assignment:
    """The course's assignment (the services check who may change its suites)."""
    course, _ = course_page(request, code)
    return get_object_or_404(Assignment.objects.select_related("course"), course=course, number=number)


def _staff_assignment(request: AuthedHttpRequest, code: str, number: int) -> Assignment:
    """The assignment, for the examiner's pages that only read (no service to ask)."""
    assignment = _assignment(request, code, number)
    access.require_suite_manager(user=request.user, course=assignment.course)
    return assignment


def _back(code: str, number: int) -> HttpResponse:
    return redirect("workers:autograder", code, number)


@login_required
def autograder_page(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    trials = [selectors.job_view(job=job, staff=True) for job in selectors.trials_of(assignment=assignment)]
    active = selectors.suite_active(assignment=assignment)
    suites = list(selectors.suites_of(assignment=assignment))
    return render(
        request,
        "workers/autograder.html",
        {
            "assignment": assignment,
            "code": code,
            "active": active,
            "suites": suites,
            "trial_default": suites[0].version if suites else None,  # the newest: usually the draft to try
            "rerun_offered": selectors.rerun_offered(assignment=assignment, active=active),
            "runtime": selectors.suite_runtime(suite=active) if active else None,
            "functions": selectors.suite_functions(suite=active) if active else [],
            "progress": selectors.rerun_progress(assignment=assignment),
            "trials": trials,
        },
    )


@login_required
@require_POST
def suite_upload(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _assignment(request, code, number)
    try:
        suite = services.suite_upload(assignment=assignment, upload=request.FILES.get("suite"), by=request.user)
    except ValidationError as error:
        flash(request, error)
    else:
        messages.success(
            request,
            f"Suite version {suite.version} uploaded as a draft ({len(suite.tests)} tests): students are not graded "
            "by it yet. Try it on a sample solution, then make it live.",
        )
    return _back(code, number)


@login_required
@require_POST
def suite_activate(request: AuthedHttpRequest, code: str, number: int, version: int) -> HttpResponse:
    assignment = _assignment(request, code, number)
    suite = get_object_or_404(Suite, assignment=assignment, version=version)
    services.suite_activate(suite=suite, by=request.user)
    messages.success(
        request,
        f"Version {version} is live: it grades students' new submissions. Earlier work keeps its results until "
        "you rerun everyone (below).",
    )
    return redirect(reverse("workers:autograder", args=[code, number]) + "#rerun-everyone")


@login_required
@require_POST
def runs_per_day(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _assignment(request, code, number)
    try:
        value = int(request.POST.get("runs_per_day", ""))
        services.suite_set_runs_per_day(assignment=assignment, runs_per_day=value, by=request.user)
    except ValueError:
        messages.error(request, "Runs per day must be a whole number.")
    except ValidationError as error:
        flash(request, error)
    else:
        messages.success(request, f"Students now get {value} autograder runs per day.")
    return _back(code, number)


@login_required
@require_POST
def rerun_all(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _assignment(request, code, number)
    try:
        rerun = services.grading_rerun_all(assignment=assignment, by=request.user)
    except ValidationError as error:
        flash(request, error)
    else:
        counted = "submission" if rerun.total == 1 else "submissions"
        messages.success(request, f"Rerunning {rerun.total} {counted} (each student's that counts) at low priority.")
    return _back(code, number)


@login_required
def rerun_fragment(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _staff_assignment(request, code, number)
    progress = selectors.rerun_progress(assignment=assignment)
    return render(request, "workers/_rerun.html", {"progress": progress, "code": code, "assignment": assignment})


@login_required
@require_POST
def trial(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    assignment = _assignment(request, code, number)
    upload = request.FILES.get("solution")
    try:
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except ValueError:
        messages.error(request, "Choose one of the suite's versions to try.")
        return _back(code, number)
    try:
        job = services.grading_trial(assignment=assignment, upload=upload, by=request.user, version=version)
    except ValidationError as error:
        flash(request, error)
    else:
        messages.success(
            request, f"{job.trial_name} is being graded with suite version {job.suite.version}; its result is below."
        )
    return _back(code, number)
