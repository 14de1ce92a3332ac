"""Assignment pages: students' assignment and submission pages, the review queue and page, progress, editing."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from coursesite.access import require_instructor, require_staff
from coursesite.errors import Forbidden, NotFound, Refused, flash
from coursesite.hooks import registry
from coursesite.models import Membership, User
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, selectors, services
from .codeview import code_files as _code_files
from .codeview import default_file as _default_file
from .codeview import highlighted as _highlighted
from .codeview import pygments_css
from .forms import AssignmentForm, ExtensionForm, RegradeAnswerForm, RegradeRequestForm, ReviewForm
from .models import Assignment, Extension, Submission


@login_required
def assignment_list(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    if membership.is_student:
        rows = selectors.student_overview(course=course, membership=membership)
        return render(request, "assignments/list.html", {"rows": rows, "now": timezone.now()})
    assignments = selectors.assignments_visible(course=course, membership=membership)
    counts = selectors.queue_counts(course=course, user=request.user)
    return render(
        request, "assignments/list.html", {"assignments": assignments, "counts": counts, "now": timezone.now()}
    )


@login_required
def assignment_detail(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    course, membership = course_page(request, code)
    assignment = access.access_assignment(user=request.user, course=course, number=number)
    context: dict[str, Any] = {"assignment": assignment, "now": timezone.now()}
    if membership.is_student:
        status = 200
        if request.method == "POST":
            try:
                submission = services.submission_create(
                    assignment=assignment,
                    student=request.user,
                    code=request.FILES.getlist("code"),
                    report=request.FILES.get("report"),
                )
            except ValidationError as exc:
                messages.error(request, "Nothing was submitted:")
                flash(request, exc)
                status = 400
            else:
                messages.success(request, "Your submission was received.")
                if submission.is_late:
                    messages.warning(request, services.LATE_NOTICE)
                return redirect("assignments:submission", code, number, submission.pk)
        return _student_detail(request, assignment, context, status)
    if request.method == "POST":
        raise Forbidden("Only students submit.")
    context |= {
        "queue_size": selectors.review_queue(course=course, assignment=assignment).count(),
        "extensions": Extension.objects.filter(assignment=assignment).select_related("student", "granted_by"),
        "extension_form": ExtensionForm(),
        "panels": mark_safe(registry.render_panels("assignment_staff", request, assignment)),  # noqa: S308
    }
    return render(request, "assignments/detail_staff.html", context)


def _student_detail(
    request: AuthedHttpRequest, assignment: Assignment, context: dict[str, Any], status: int
) -> HttpResponse:
    history = selectors.submission_history(assignment=assignment, student=request.user)
    deadline = selectors.deadline_for(assignment=assignment, student=request.user)
    counting = next((s for s in history if s.counts_now), None)  # type: ignore[attr-defined]
    context |= {
        "history": history,
        "deadline": deadline,
        "state": selectors.state_of(assignment=assignment, latest=counting, now=timezone.now(), deadline=deadline),
        "choice_closed": selectors.choice_closed_reason(history=history, current=counting),
        "panels": mark_safe(registry.render_panels("assignment_student", request, assignment)),  # noqa: S308
    }
    return render(request, "assignments/detail_student.html", context, status=status)


@login_required
@require_POST
def submission_choose(request: AuthedHttpRequest, code: str, number: int, pk: int) -> HttpResponse:
    """The student makes one of their submissions the one that counts, before its review starts."""
    course, _ = course_page(request, code)
    assignment = access.access_assignment(user=request.user, course=course, number=number)
    submission = get_object_or_404(Submission, pk=pk, assignment=assignment)
    try:
        chosen = services.submission_choose(submission=submission, by=request.user)
    except Refused as exc:
        messages.error(request, "Nothing was changed:")
        flash(request, exc)
        return _student_detail(request, assignment, {"assignment": assignment, "now": timezone.now()}, exc.status)
    messages.success(
        request,
        f"Your submission of {date_format(timezone.localtime(chosen.submitted_at), 'D j M Y, H:i')} now counts: "
        "it is the one reviewed.",
    )
    return redirect("assignments:detail", code, number)


@login_required
def assignment_edit(request: AuthedHttpRequest, code: str, number: int | None = None) -> HttpResponse:
    course, _ = course_page(request, code)
    require_instructor(user=request.user, course=course)  # the form itself is the examiner's to see
    assignment = get_object_or_404(course.assignments, number=number) if number is not None else None
    form = AssignmentForm(request.POST or None, request.FILES or None, instance=assignment)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ASSIGNMENT_FIELDS}
        handout = form.cleaned_data.get("handout")
        try:
            if assignment is None:
                assignment = services.assignment_create(course=course, by=request.user, handout=handout, **fields)
            else:
                assignment.refresh_from_db()
                assignment = services.assignment_update(
                    assignment=assignment, by=request.user, handout=handout, **fields
                )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, f"Assignment {assignment.number} saved.")
            return redirect("assignments:detail", code, assignment.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "assignments/edit.html", {"form": form, "assignment": assignment}, status=status)


@login_required
def handout(request: AuthedHttpRequest, code: str, number: int) -> FileResponse:
    course, _ = course_page(request, code)
    assignment = access.access_assignment(user=request.user, course=course, number=number)
    if not assignment.handout:
        raise NotFound("This assignment has no handout.")
    return FileResponse(
        assignment.handout.open("rb"), as_attachment=True, filename=assignment.handout_name or "handout"
    )


@login_required
@require_POST
def extension_grant(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    course, _ = course_page(request, code)
    assignment = access.access_assignment(user=request.user, course=course, number=number)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the student's username and a new deadline.")
        return redirect("assignments:detail", code, number)
    try:
        extension = services.extension_grant(
            assignment=assignment,
            student=form.cleaned_data["student"],
            deadline_at=form.cleaned_data["deadline_at"],
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(
            request,
            f"{extension.student.display_name} now has until {form.cleaned_data['deadline_at']:%d %b %H:%M}.",
        )
    return redirect("assignments:detail", code, number)


@login_required
@require_POST
def extension_revoke(request: AuthedHttpRequest, code: str, number: int, student: str) -> HttpResponse:
    course, _ = course_page(request, code)
    assignment = access.access_assignment(user=request.user, course=course, number=number)
    extension = get_object_or_404(
        Extension.objects.select_related("student"), assignment=assignment, student__username=student
    )
    name = extension.student.display_name
    services.extension_revoke(extension=extension, by=request.user)
    messages.success(request, f"{name}'s extension was revoked; the assignment's deadline applies again.")
    return redirect("assignments:detail", code, number)


# Submissions -----------------------------------------------------------------------------------------------------


def _submission(request: AuthedHttpRequest, code: str, number: int, pk: int) -> tuple[Membership, Submission]:
    course, membership = course_page(request, code)
    return membership, access.access_submission(user=request.user, course=course, pk=pk, number=number)


@login_required
def submission_detail(request: AuthedHttpRequest, code: str, number: int, pk: int) -> HttpResponse:
    membership, submission = _submission(request, code, number, pk)
    if membership.is_staff_role:
        return redirect("assignments:review", code, submission.pk)
    review = selectors.review_of(submission)
    regrade = selectors.regrade_of(review)
    form = RegradeRequestForm(request.POST or None)
    if request.method == "POST":
        if review is None:
            raise Refused("This submission has not been reviewed yet.")  # as the API says
        if form.is_valid():
            try:
                services.regrade_request(review=review, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                flash(request, exc)
            else:
                messages.success(request, "Your regrade request was sent; a teacher will answer it.")
                return redirect("assignments:submission", code, number, pk)
    files = _code_files(submission)
    return render(
        request,
        "assignments/submission.html",
        {
            "submission": submission,
            "assignment": submission.assignment,
            "review": review,
            "regrade": regrade,
            "regrade_form": form,
            "regrade_open": review is not None
            and regrade is None
            and timezone.now() <= services.regrade_deadline(review),
            "regrade_until": services.regrade_deadline(review) if review is not None else None,
            "files": files,
            "late_notice": services.LATE_NOTICE,
            "counts": submission.counts,
            "panels": mark_safe(registry.render_panels("submission", request, submission)),  # noqa: S308
        },
    )


@login_required
def submission_report(request: AuthedHttpRequest, code: str, number: int, pk: int) -> FileResponse:
    """The stored PDF, streamed inline (for the review page's viewer); the owner and staff only."""
    _, submission = _submission(request, code, number, pk)
    response = FileResponse(
        submission.report.open("rb"), content_type="application/pdf", filename=submission.report_name or "report.pdf"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
def submission_code(request: AuthedHttpRequest, code: str, number: int, pk: int) -> FileResponse:
    _, submission = _submission(request, code, number, pk)
    filename = f"{submission.student.username}-a{number}-{submission.pk}.zip"
    return FileResponse(
        submission.code.open("rb"), as_attachment=True, filename=filename, content_type="application/zip"
    )


# Reviewing -------------------------------------------------------------------------------------------------------


@login_required
def review_queue(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    require_staff(user=request.user, course=course)
    number = request.GET.get("assignment")
    assignment = course.assignments.filter(number=number).first() if number and number.isdigit() else None
    return render(
        request,
        "assignments/queue.html",
        {
            "queue": selectors.review_queue(course=course, assignment=assignment),
            "assignments": course.assignments.order_by("number"),
            "selected": assignment,
            "staff": list(selectors.course_staff(course=course)) if membership.is_instructor else [],
            "regrades": selectors.open_regrades(course=course),
        },
    )


@login_required
def review_page(request: AuthedHttpRequest, code: str, pk: int) -> HttpResponse:
    course, membership = course_page(request, code)
    require_staff(user=request.user, course=course)
    submission = selectors.submission_get(pk=pk, course=course)
    review = selectors.review_of(submission)
    regrade = selectors.regrade_of(review)
    files = _code_files(submission)
    shown = request.GET.get("file") or _default_file(files)
    status = 200
    review_form = ReviewForm(initial={"bonus": 0})
    answer_form = RegradeAnswerForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "claim":
                services.submission_claim(submission=submission, by=request.user)
                messages.success(request, "You claimed this submission.")
            elif action == "unclaim":
                services.submission_unclaim(submission=submission, by=request.user)
                messages.success(request, "The submission is back in the queue.")
            elif action == "assign":
                reviewer = get_object_or_404(User, pk=request.POST.get("reviewer") or 0)
                services.submission_assign_reviewer(submission=submission, reviewer=reviewer, by=request.user)
                messages.success(request, f"Assigned to {reviewer.display_name}.")
            elif action == "review":
                review_form = ReviewForm(request.POST)
                if not review_form.is_valid():
                    raise Refused("Choose Pass or Fail and give the bonus points as a number.")
                services.review_record(submission=submission, by=request.user, **review_form.cleaned_data)
                messages.success(request, "Review saved; the student has been emailed.")
            elif action == "answer" and regrade is not None:
                answer_form = RegradeAnswerForm(request.POST)
                if not answer_form.is_valid():
                    raise Refused("Write an answer; bonus points must be a number.")
                services.regrade_answer(regrade=regrade, by=request.user, **answer_form.cleaned_data)
                messages.success(request, "Regrade answered; the student has been emailed.")
            else:
                raise Refused("Unknown action.")
        except ValidationError as exc:
            flash(request, exc)
            status = 400
        else:
            return redirect("assignments:review", code, pk)
    history = selectors.submission_history(assignment=submission.assignment, student=submission.student)
    return render(
        request,
        "assignments/review.html",
        {
            "submission": submission,
            "assignment": submission.assignment,
            "review": review,
            "regrade": regrade,
            "history": history,
            "files": files,
            "shown": shown,
            "code_html": mark_safe(_highlighted(submission, shown)) if shown else "",  # noqa: S308
            "pygments_css": mark_safe(pygments_css()),  # noqa: S308
            "review_form": review_form,
            "answer_form": answer_form,
            "staff": list(selectors.course_staff(course=course)) if membership.is_instructor else [],
            "counts": submission.counts,
            "can_review": review is None
            and submission.counts
            and access.holds_review_right(membership=membership, submission=submission),
            "panels": mark_safe(registry.render_panels("submission", request, submission)),  # noqa: S308
            # Other apps may replace the report/code views and the review form (rubrics: inline comments, marking).
            "workspace": mark_safe(registry.render_panels("review_workspace", request, submission)),  # noqa: S308
            "review_form_panel": mark_safe(registry.render_panels("review_form", request, submission)),  # noqa: S308
            "nav": selectors.queue_neighbours(submission=submission, user=request.user),
        },
        status=status,
    )


@login_required
@require_POST
def claim_next(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """Claim the first submission in the queue that nobody else holds (of one assignment, if chosen) and open it."""
    course, _ = course_page(request, code)
    require_staff(user=request.user, course=course)
    number = request.POST.get("assignment", "")
    assignment = course.assignments.filter(number=number).first() if number.isdigit() else None
    submission = selectors.queue_first_free(course=course, assignment=assignment, user=request.user)
    if submission is None:
        messages.info(request, "Nothing waits for review that you can take.")
        return redirect(reverse("assignments:queue", args=[code]) + (f"?assignment={number}" if assignment else ""))
    try:
        services.submission_claim(submission=submission, by=request.user)
    except ValidationError as exc:
        flash(request, exc)
        return redirect("assignments:queue", code)
    return redirect("assignments:review", code, submission.pk)


@login_required
def progress(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    require_staff(user=request.user, course=course)
    assignments, rows = selectors.progress_table(course=course)
    return render(request, "assignments/progress.html", {"assignments": assignments, "rows": rows})
