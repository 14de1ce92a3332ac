"""What rubrics adds to assignments' pages: the review workspace and form, the student's marked rubric, a staff link."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from assignments import access as assignment_access
from assignments.codeview import code_files, default_file, pygments_css
from assignments.models import Assignment, Submission
from coursesite.access import course_membership
from coursesite.requests import AuthedHttpRequest

from . import selectors
from .access import is_released, require_marker
from .codeview import code_file
from .models import InlineComment


def _can_mark(request: AuthedHttpRequest, submission: Submission) -> bool:
    try:
        require_marker(user=request.user, submission=submission)
    except PermissionDenied:
        return False
    return True  # require_marker: the submission that counts, not released


def _comment_data(comments: list[InlineComment]) -> list[dict[str, Any]]:
    """What the page's script needs to place the comments (rendered with json_script, so it is escaped)."""
    return [
        {
            "id": c.pk,
            "text": c.text,
            "author": c.author.display_name if c.author else "",
            "file": c.file,
            "line": c.line,
            "page": c.page,
            "x": c.x,
            "y": c.y,
        }
        for c in comments
    ]


def _viewer_context(request: AuthedHttpRequest, submission: Submission, *, can_comment: bool) -> dict[str, Any]:
    course = submission.assignment.course
    comments = selectors.comments_of(submission)
    return {
        "submission": submission,
        "assignment": submission.assignment,
        "code": course.code,
        "comments": comments,
        "report_comments": [c for c in comments if not c.on_code],
        "comment_data": _comment_data(comments),
        "can_comment": can_comment,
        "report_url": reverse(
            "assignments:submission_report", args=[course.code, submission.assignment.number, submission.pk]
        ),
        "comments_api": reverse("rubrics:api_comments", args=[course.code, submission.pk]),
        "pygments_css": mark_safe(pygments_css()),  # noqa: S308
    }


def review_workspace(request: AuthedHttpRequest, submission: Submission) -> str:
    """The report (PDF.js, comment pins) and the code (numbered lines, comments in place) on the review page."""
    files = code_files(submission)
    shown = request.GET.get("file") or default_file(files)
    can_comment = _can_mark(request, submission)
    context = _viewer_context(request, submission, can_comment=can_comment)
    line = request.GET.get("line", "")
    context |= {
        "files": files,
        "shown": shown,
        "code_file": code_file(submission, shown, context["comments"]) if shown else None,
        "comment_line": int(line) if line.isdigit() else None,
        "staff_view": True,
    }
    return render_to_string("rubrics/_workspace.html", context, request=request)


def review_form(request: AuthedHttpRequest, submission: Submission) -> str:
    """The marking form (the rubric's criteria, or Pass/Fail and bonus), with "save and open the next"."""
    if not _can_mark(request, submission):
        return ""
    rubric = selectors.rubric_of(submission.assignment)
    marks = selectors.marks_of(submission) if rubric else {}
    return render_to_string(
        "rubrics/_form.html",
        {
            "submission": submission,
            "assignment": submission.assignment,
            "code": submission.assignment.course.code,
            "rubric": rubric,
            "rows": selectors.marked_rows(rubric, marks) if rubric else [],
            "outcome": selectors.outcome_of(rubric, marks) if rubric else None,
        },
        request=request,
    )


def submission_panel(request: AuthedHttpRequest, submission: Submission) -> str:
    """After the review is released: the marked rubric; for the student also the comments in place."""
    if not is_released(submission):
        return ""
    membership = assignment_access.require_submission_viewer(user=request.user, submission=submission)
    rubric = selectors.rubric_of(submission.assignment)
    marks = selectors.marks_of(submission) if rubric else {}
    context: dict[str, Any] = {
        "rubric": rubric,
        "rows": selectors.marked_rows(rubric, marks) if rubric else [],
        "outcome": selectors.outcome_of(rubric, marks) if rubric else None,
    }
    if not membership.is_staff_role:
        context |= _viewer_context(request, submission, can_comment=False)
        commented = sorted({c.file for c in context["comments"] if c.on_code})
        context["code_files"] = [code_file(submission, path, context["comments"]) for path in commented]
    if not rubric and not context.get("comments"):
        return ""
    return render_to_string("rubrics/_marked.html", context, request=request)


def assignment_staff_panel(request: AuthedHttpRequest, assignment: Assignment) -> str:
    membership = course_membership(user=request.user, course=assignment.course)
    if membership is None or not membership.is_staff_role:
        return ""
    return render_to_string(
        "rubrics/_panel_staff.html",
        {"assignment": assignment, "code": assignment.course.code, "rubric": selectors.rubric_of(assignment)},
        request=request,
    )
