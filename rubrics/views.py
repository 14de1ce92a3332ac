"""Rubric pages: the examiner's rubric editor, the reviewer's marking form and inline comments (plain form posts)."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assignments import access as assignment_access
from assignments import selectors as assignment_selectors
from assignments import services as assignment_services
from assignments.models import Submission
from coursesite.access import require_staff
from coursesite.errors import Refused, flash
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import selectors, services
from .models import InlineComment, Rubric, Rule


def _int(value: str | None, default: int | None = None) -> int | None:
    value = (value or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise Refused(f"“{value[:20]}” is not a whole number.") from exc


@login_required
def rubric_edit(request: AuthedHttpRequest, code: str, number: int) -> HttpResponse:
    course, membership = course_page(request, code)
    require_staff(user=request.user, course=course)  # teachers read the rubric; the service checks who edits it
    assignment = get_object_or_404(course.assignments, number=number)
    rubric = selectors.rubric_of(assignment)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rule":
                services.rubric_save(
                    assignment=assignment,
                    by=request.user,
                    rule=request.POST.get("rule", ""),
                    pass_points=_int(request.POST.get("pass_points"), 0) or 0,
                    bonus_from=_int(request.POST.get("bonus_from"), 0) or 0,
                    bonus_step=_int(request.POST.get("bonus_step"), 1) or 0,
                )
                messages.success(request, "The rule was saved.")
            elif action in ("criterion", "delete") and rubric is not None:
                criterion = None
                if request.POST.get("criterion"):
                    criterion = get_object_or_404(rubric.criteria, pk=_int(request.POST.get("criterion")))
                if action == "delete" and criterion is not None:
                    services.criterion_delete(criterion=criterion, by=request.user)
                    messages.success(request, "The criterion was removed.")
                else:
                    services.criterion_save(
                        rubric=rubric,
                        by=request.user,
                        criterion=criterion,
                        title=request.POST.get("title", ""),
                        kind=request.POST.get("kind", ""),
                        max_points=_int(request.POST.get("max_points"), 0) or 0,
                        position=_int(request.POST.get("position")),
                        canned=request.POST.get("canned", "").splitlines(),
                    )
                    messages.success(request, "The criterion was saved.")
            else:
                raise Refused("Save the rule first, then add criteria.")
        except ValidationError as exc:
            flash(request, exc)
            status = 400
        else:
            return redirect("rubrics:edit", code, number)
    return render(
        request,
        "rubrics/edit.html",
        {
            "assignment": assignment,
            "code": code,
            "rubric": selectors.rubric_of(assignment),
            "rules": Rule.choices,
            "can_edit": membership.is_instructor,
        },
        status=status,
    )


def _marks_from_post(request: AuthedHttpRequest, rubric: Rubric) -> list[dict[str, Any]]:
    marks: list[dict[str, Any]] = []
    for criterion in rubric.criteria.all():
        raw = request.POST.get(f"c{criterion.pk}", "").strip()
        comment = request.POST.get(f"comment{criterion.pk}", "").strip()
        chosen = set(request.POST.getlist(f"canned{criterion.pk}"))
        extra = [c.text for c in criterion.canned.all() if str(c.pk) in chosen and c.text not in comment]
        comment = "\n".join([comment, *extra]).strip() if extra else comment
        if criterion.is_pass_fail:
            value = {"1": True, "0": False}.get(raw)
            if raw and value is None:
                raise Refused(f"Mark “{criterion.title}” as pass or fail.")
            marks.append({"criterion": criterion.pk, "passed": value, "comment": comment})
        else:
            marks.append({"criterion": criterion.pk, "points": _int(raw), "comment": comment})
    return marks


@login_required
@require_POST
def review_save(request: AuthedHttpRequest, code: str, pk: int) -> HttpResponse:
    """The marking form: save the marks as a draft, or record the review (and open the next in the queue)."""
    course, _ = course_page(request, code)
    submission = assignment_access.access_submission(user=request.user, course=course, pk=pk)
    rubric = selectors.rubric_of(submission.assignment)
    action = request.POST.get("action", "save")
    try:
        marks = _marks_from_post(request, rubric) if rubric else []
        passed = {"1": True, "0": False}.get(request.POST.get("passed", ""))
        bonus = _int(request.POST.get("bonus"), 0)
        feedback = request.POST.get("feedback", "")
        if action == "draft" and rubric is not None:
            services.marks_save(submission=submission, by=request.user, marks=marks)
            messages.success(request, "The marks were saved as a draft; the student sees nothing yet.")
            return redirect("assignments:review", code, pk)
        if rubric is not None:
            services.rubric_review_record(
                submission=submission, by=request.user, marks=marks, feedback=feedback, passed=passed, bonus=bonus
            )
        else:
            if passed is None:
                raise Refused("Choose Pass or Fail.")
            assignment_services.review_record(
                submission=submission, by=request.user, passed=passed, bonus=bonus or 0, feedback=feedback
            )
    except ValidationError as exc:
        flash(request, exc)
        return redirect("assignments:review", code, pk)
    messages.success(request, "Review saved; the student has been emailed.")
    if action == "save_next":
        nav = assignment_selectors.queue_neighbours(submission=submission, user=request.user)
        if nav.next_free is None:
            messages.info(request, "That was the last one in the queue that you can take.")
            return redirect(reverse("assignments:queue", args=[code]) + f"?assignment={submission.assignment.number}")
        try:
            assignment_services.submission_claim(submission=nav.next_free, by=request.user)
        except ValidationError as exc:
            flash(request, exc)
        return redirect("assignments:review", code, nav.next_free.pk)
    return redirect("assignments:review", code, pk)


def _back(code: str, submission: Submission, anchor: str = "") -> HttpResponse:
    return redirect(reverse("assignments:review", args=[code, submission.pk]) + anchor)


@login_required
@require_POST
def comment_add(request: AuthedHttpRequest, code: str, pk: int) -> HttpResponse:
    """An inline comment from the plain form (the page's script uses the API instead)."""
    course, _ = course_page(request, code)
    submission = assignment_access.access_submission(user=request.user, course=course, pk=pk)
    file = request.POST.get("file", "")
    try:
        comment = services.comment_add(
            submission=submission,
            by=request.user,
            text=request.POST.get("text", ""),
            file=file,
            line=_int(request.POST.get("line")) if file else None,
            page=None if file else _int(request.POST.get("page")),
        )
    except ValidationError as exc:
        messages.error(request, "The comment was not added:")
        flash(request, exc)
        return _back(code, submission)
    messages.success(request, f"Comment added on {comment.where}.")
    query = "?" + urlencode({"file": file}) if file else ""
    return redirect(reverse("assignments:review", args=[code, pk]) + query + f"#comment-{comment.pk}")


@login_required
@require_POST
def comment_delete(request: AuthedHttpRequest, code: str, comment_id: int) -> HttpResponse:
    course, _ = course_page(request, code)
    comment = get_object_or_404(
        InlineComment.objects.select_related("submission__assignment__course"),
        pk=comment_id,
        submission__assignment__course=course,
    )
    try:
        services.comment_delete(comment=comment, by=request.user)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, "The comment was removed.")
    return _back(code, comment.submission)
