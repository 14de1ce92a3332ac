"""What other apps call (one line each) to tell people about a change: the wording lives here, not in those apps."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from coursesite.models import Membership, Role, User

from .models import Kind
from .services import notify


def _local(course, moment: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    return timezone.localtime(moment, course.tz).strftime("%a %-d %b %Y %H:%M %Z")


def _assignment_url(assignment) -> str:  # type: ignore[no-untyped-def]
    return reverse("assignments:detail", args=[assignment.course.code, assignment.number])


def extension_changed(*, assignment, student: User, deadline_at: dt.datetime | None) -> None:  # type: ignore[no-untyped-def]
    """An extension granted or changed (deadline_at), or revoked (None): the student is told."""
    course = assignment.course
    what = f"assignment {assignment.number} ({assignment.title})"
    if deadline_at is None:
        subject = f"{course.code}: your extension for assignment {assignment.number} was revoked"
        own = _local(course, assignment.deadline_at)
        body = f"Your extension for {what} was revoked; the deadline is the assignment's own, {own}."
    else:
        subject = f"{course.code}: extension for assignment {assignment.number} until {_local(course, deadline_at)}"
        body = f"You have an extension for {what}: your deadline is now {_local(course, deadline_at)}."
    notify(
        users=[student], kind=Kind.EXTENSION, course=course, subject=subject, body=body, url=_assignment_url(assignment)
    )


def deadline_changed(*, assignment) -> None:  # type: ignore[no-untyped-def]
    """The assignment's deadline moved: every (not withdrawn) student of the course is told."""
    course = assignment.course
    students = Membership.objects.filter(course=course, role=Role.STUDENT, withdrawn_at__isnull=True)
    notify(
        users=[m.user for m in students.select_related("user")],
        kind=Kind.DEADLINE_CHANGE,
        course=course,
        subject=f"{course.code}: assignment {assignment.number} is now due {_local(course, assignment.deadline_at)}",
        body=f"The deadline of assignment {assignment.number} ({assignment.title}) changed: it is now "
        f"{_local(course, assignment.deadline_at)}. An individual extension you have still applies.",
        url=_assignment_url(assignment),
    )


def review_released(*, review) -> None:  # type: ignore[no-untyped-def]
    """A TA's review of a submission is recorded (and so shown to the student)."""
    submission = review.submission
    assignment = submission.assignment
    outcome = "Pass" if review.passed else "Fail"
    bonus = f", {review.bonus} bonus point{'s' if review.bonus != 1 else ''}" if review.bonus else ""
    notify(
        users=[submission.student],
        kind=Kind.REVIEW_RELEASED,
        course=assignment.course,
        subject=f"{assignment.course.code} assignment {assignment.number} reviewed: {outcome}",
        body=f"Your submission for assignment {assignment.number} ({assignment.title}) was reviewed: {outcome}{bonus}."
        f"\n\nFeedback:\n{review.feedback or '(none)'}",
        url=reverse("assignments:submission", args=[assignment.course.code, assignment.number, submission.pk]),
    )


def final_grades_published(*, course, students: list[User]) -> None:  # type: ignore[no-untyped-def]
    """The examiner finalised: each student whose grade was locked now is told where to read it (not in the e-mail)."""
    notify(
        users=students,
        kind=Kind.FINAL_GRADES,
        course=course,
        subject=f"{course.code}: your final grade is published",
        body=f"Your final grade in {course.code} {course.name} is published, with how it was reached. "
        "It is reported to the student records office from here.",
        url=reverse("grading:home", args=[course.code]),
    )
