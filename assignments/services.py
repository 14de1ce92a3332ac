"""State changes of assignments: submissions, claims, reviews, regrades, extensions. Each writes an audit row."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from coursesite.access import require_instructor, require_staff, require_student
from coursesite.audit import audit_record
from coursesite.errors import Forbidden, NotFound, Refused
from coursesite.models import Course, Membership, Role, User
from coursesite.uploads import check_pdf, check_size, store_by_hash
from lti import passback as lti_passback
from notifications import events

from .access import require_reviewer, require_submission_owner
from .archives import CODE_MAX_BYTES, pack_code
from .models import Assignment, Extension, RegradeRequest, Review, Submission
from .selectors import choice_closed_reason, deadline_for, may_count, regrade_of, review_of
from .signals import submission_received

LATE_NOTICE = (
    "This submission is after your deadline. It is accepted and can still pass, "
    "but the review of late work may not be timely."
)
ASSIGNMENT_FIELDS = ("number", "title", "description", "released_at", "deadline_at", "bonus_max", "regrade_window_days")


# Assignments -----------------------------------------------------------------------------------------------------


def _store_handout(assignment: Assignment, handout: UploadedFile[Any]) -> None:
    check_size(handout, max_bytes=CODE_MAX_BYTES, what="handout")
    extension = os.path.splitext(handout.name or "")[1].lower()[:10]
    stored = store_by_hash(handout, folder="handouts", extension=extension if extension.isascii() else "")
    assignment.handout = stored.name
    assignment.handout_name = stored.original_name[:200]


@transaction.atomic
def assignment_create(
    *, course: Course, by: User, handout: UploadedFile[Any] | None = None, **fields: Any
) -> Assignment:
    require_instructor(user=by, course=course)
    assignment = Assignment(course=course, **{k: v for k, v in fields.items() if k in ASSIGNMENT_FIELDS})
    assignment.full_clean(exclude=["handout"])
    if handout is not None:
        _store_handout(assignment, handout)
    assignment.save()
    audit_record(actor=by, action="assignment.create", course=course, target=assignment, number=assignment.number)
    return assignment


@transaction.atomic
def assignment_update(
    *, assignment: Assignment, by: User, handout: UploadedFile[Any] | None = None, **fields: Any
) -> Assignment:
    require_instructor(user=by, course=assignment.course)
    changed = {}
    for name in ASSIGNMENT_FIELDS:
        if name in fields and getattr(assignment, name) != fields[name]:
            changed[name] = str(fields[name])
            setattr(assignment, name, fields[name])
    assignment.full_clean(exclude=["handout"])
    if handout is not None:
        _store_handout(assignment, handout)
        changed["handout"] = assignment.handout_name
    assignment.save()
    audit_record(actor=by, action="assignment.update", course=assignment.course, target=assignment, **changed)
    if "deadline_at" in changed and assignment.is_released():
        events.deadline_changed(assignment=assignment)
    return assignment


# Submissions -----------------------------------------------------------------------------------------------------


def submission_create(
    *,
    assignment: Assignment,
    student: User,
    code: Sequence[UploadedFile[Any]],
    report: UploadedFile[Any] | None,
    now: dt.datetime | None = None,
) -> Submission:
    """Check the upload, store it by content hash, and make it the student's latest submission.

    Every check runs before anything is stored. After the deadline (or the student's extension) the submission is
    still accepted, marked late.
    """
    now = now or timezone.now()
    require_student(user=student, course=assignment.course)
    if not assignment.is_released(now):
        raise Refused("This assignment is not released yet.", code="not_released")
    if report is None:
        raise Refused("Choose your PDF report.", code="no_report")
    check_pdf(report, what="report")
    archive = pack_code(list(code))
    try:
        stored_code = store_by_hash(archive, folder="submissions/code", extension=".zip")
    finally:
        if all(archive is not upload for upload in code):
            archive.close()
    stored_report = store_by_hash(report, folder="submissions/reports", extension=".pdf")

    with transaction.atomic():
        # One submission at a time per student: lock their membership row. NO KEY: the grading job that the
        # previous submission's commit is enqueueing still takes a key-share lock on it (a deadlock otherwise).
        Membership.objects.select_for_update(no_key=True).get(user=student, course=assignment.course)
        earlier = Submission.objects.filter(assignment=assignment, student=student)
        rows = list(earlier.select_for_update(no_key=True))
        # The one that counted until now (the chosen, else the latest): the new one counts instead.
        previous = next((s for s in rows if s.chosen_at is not None), None) or next(
            (s for s in rows if s.is_latest), None
        )
        claim: dict[str, Any] = {}
        if previous is not None:
            if review_of(previous) is None and previous.claimed_by_id is not None:
                # The TA who was reviewing keeps the student's newer work.
                claim = {"claimed_by_id": previous.claimed_by_id, "claimed_at": previous.claimed_at}
        earlier.filter(is_latest=True).update(is_latest=False)
        earlier.filter(chosen_at__isnull=False).update(chosen_at=None)
        submission = Submission.objects.create(
            assignment=assignment,
            student=student,
            submitted_at=now,
            is_late=now > deadline_for(assignment=assignment, student=student),
            code=stored_code.name,
            code_sha256=stored_code.sha256,
            code_size=stored_code.size,
            report=stored_report.name,
            report_sha256=stored_report.sha256,
            report_name=stored_report.original_name[:200],
            is_latest=True,
            **claim,
        )
        audit_record(
            actor=student,
            action="submission.create",
            course=assignment.course,
            target=submission,
            assignment=assignment.number,
            late=submission.is_late,
            code_sha256=stored_code.sha256,
            report_sha256=stored_report.sha256,
        )
        transaction.on_commit(lambda: submission_received.send(sender=Submission, submission=submission))
    return submission


def _lock(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("assignment__course", "student")
        .get(pk=submission.pk)
    )


@transaction.atomic
def submission_claim(*, submission: Submission, by: User) -> Submission:
    """Take a submission for review; two teachers claiming at once cannot both succeed (the row is locked)."""
    require_staff(user=by, course=submission.assignment.course)
    locked = _lock(submission)
    if not locked.counts:
        raise Refused(
            "This is not the submission that counts (the student submitted newer work or chose another one); "
            "claim that one instead.",
            code="not_latest",
        )
    if Review.objects.filter(submission=locked).exists():
        raise Refused("This submission has already been reviewed.", code="reviewed")
    if locked.claimed_by_id == by.pk:
        return locked
    if locked.claimed_by_id is not None:
        raise Refused(f"{User.objects.get(pk=locked.claimed_by_id)} has already claimed it.", code="claimed")
    locked.claimed_by = by
    locked.claimed_at = timezone.now()
    locked.save(update_fields=["claimed_by", "claimed_at"])
    audit_record(actor=by, action="submission.claim", course=locked.assignment.course, target=locked)
    return locked


@transaction.atomic
def submission_unclaim(*, submission: Submission, by: User) -> Submission:
    membership = require_staff(user=by, course=submission.assignment.course)
    locked = _lock(submission)
    if locked.claimed_by_id not in (None, by.pk) and not membership.is_instructor:
        raise Forbidden("Only the teacher who claimed it, or the instructor, can release it.")
    locked.claimed_by = None
    locked.claimed_at = None
    locked.save(update_fields=["claimed_by", "claimed_at"])
    audit_record(actor=by, action="submission.unclaim", course=locked.assignment.course, target=locked)
    return locked


@transaction.atomic
def submission_assign_reviewer(*, submission: Submission, reviewer: User, by: User) -> Submission:
    """The instructor hands a submission to a teacher (replacing any claim)."""
    course = submission.assignment.course
    require_instructor(user=by, course=course)
    if not Membership.objects.filter(user=reviewer, course=course, role__in=[Role.INSTRUCTOR, Role.TA]).exists():
        raise Refused(f"{reviewer} is not a teacher of this course.", code="not_staff")
    locked = _lock(submission)
    if Review.objects.filter(submission=locked).exists():
        raise Refused("This submission has already been reviewed.", code="reviewed")
    locked.claimed_by = reviewer
    locked.claimed_at = timezone.now()
    locked.save(update_fields=["claimed_by", "claimed_at"])
    audit_record(actor=by, action="submission.assign", course=course, target=locked, reviewer=reviewer.username)
    return locked


@transaction.atomic
def submission_choose(*, submission: Submission, by: User) -> Submission:
    """The student chooses which of their submissions counts (is reviewed), as Gradescope's "activate": only their
    own, only before its review has started (claimed or reviewed), and not one from before an earlier review."""
    require_submission_owner(user=by, submission=submission, doing="choose which of their submissions counts")
    assignment = submission.assignment
    # The lock a new submission takes, then every submission of theirs (a claim locks its row: it waits, or wins).
    Membership.objects.select_for_update().get(user=by, course=assignment.course)
    history = list(
        Submission.objects.select_for_update(of=("self",))
        .select_related("review")
        .filter(assignment=assignment, student=by)
        .order_by("-submitted_at", "-id")
    )
    target = next(s for s in history if s.pk == submission.pk)
    current = next((s for s in history if s.chosen_at is not None), None) or next(s for s in history if s.is_latest)
    if target.pk == current.pk:
        return target
    closed = choice_closed_reason(history=history, current=current)
    if closed is not None:
        raise Refused(closed, code="review_started", status=409)
    last_review = max((s.submitted_at for s in history if review_of(s) is not None), default=None)
    if not may_count(target, last_review):
        raise Refused(
            "That submission was made before your last reviewed one; only that one or newer ones can count now.",
            code="before_review",
            status=409,
        )
    for s in history:
        if s.chosen_at is not None:
            s.chosen_at = None
            s.save(update_fields=["chosen_at"])
    if not target.is_latest:  # choosing the latest again just ends the earlier choice
        target.chosen_at = timezone.now()
        target.save(update_fields=["chosen_at"])
    audit_record(
        actor=by,
        action="submission.choose",
        course=assignment.course,
        target=target,
        assignment=assignment.number,
        previous=current.pk,
    )
    return target


# Reviews and regrades ----------------------------------------------------------------------------------------------


def _check_bonus(assignment: Assignment, passed: bool, bonus: int) -> None:
    if bonus < 0 or bonus > assignment.bonus_max:
        raise ValidationError(
            {"bonus": f"Bonus points go from 0 to {assignment.bonus_max} for this assignment."}, code="bonus_range"
        )
    if bonus and not passed:
        raise ValidationError({"bonus": "Bonus points go with a pass; a failed submission gets 0."}, code="bonus_fail")


def _email_student(submission: Submission, subject: str, body: str) -> None:
    url = settings.SITE_URL + reverse(
        "assignments:submission", args=[submission.assignment.course.code, submission.assignment.number, submission.pk]
    )
    if submission.student.email:
        send_mail(subject, f"{body}\n\nSee it here: {url}\n", None, [submission.student.email])


@transaction.atomic
def review_record(*, submission: Submission, by: User, passed: bool, bonus: int = 0, feedback: str = "") -> Review:
    """Pass or Fail, bonus points and feedback for the student's latest submission; the student is emailed."""
    locked = _lock(submission)
    require_reviewer(user=by, submission=locked)
    assignment = locked.assignment
    if not locked.counts:
        raise Refused(
            "This is not the submission that counts (the student submitted newer work or chose another one); "
            "review that one instead.",
            code="not_latest",
        )
    if Review.objects.filter(submission=locked).exists():
        raise Refused("This submission has already been reviewed.", code="reviewed")
    _check_bonus(assignment, passed, bonus)
    if locked.claimed_by_id is None:
        locked.claimed_by = by
        locked.claimed_at = timezone.now()
        locked.save(update_fields=["claimed_by", "claimed_at"])
    review = Review(submission=locked, reviewer=by, passed=passed, bonus=bonus, feedback=feedback.strip())
    review.full_clean()
    review.save()
    audit_record(
        actor=by,
        action="review.record",
        course=assignment.course,
        target=review,
        submission=locked.pk,
        student=locked.student.username,
        passed=passed,
        bonus=bonus,
    )
    lti_passback.assignment_score_queue(assignment=assignment, student=locked.student, passed=passed, bonus=bonus)
    events.review_released(review=review)
    return review


def regrade_deadline(review: Review) -> dt.datetime:
    return review.reviewed_at + dt.timedelta(days=review.submission.assignment.regrade_window_days)


@transaction.atomic
def regrade_request(*, review: Review, by: User, reason: str, now: dt.datetime | None = None) -> RegradeRequest:
    submission = review.submission
    require_submission_owner(user=by, submission=submission, doing="ask for a regrade")
    now = now or timezone.now()
    if not reason.strip():
        raise ValidationError({"reason": "Say what you think the review missed."}, code="no_reason")
    if now > regrade_deadline(review):
        raise Refused(
            f"Regrade requests close {submission.assignment.regrade_window_days} days after the review.",
            code="regrade_closed",
        )
    Review.objects.select_for_update().get(pk=review.pk)
    if regrade_of(review) is not None or RegradeRequest.objects.filter(review=review).exists():
        raise Refused("You have already asked for a regrade of this review.", code="regrade_exists")
    regrade = RegradeRequest.objects.create(review=review, reason=reason.strip(), requested_at=now)
    audit_record(
        actor=by, action="regrade.request", course=submission.assignment.course, target=regrade, review=review.pk
    )
    return regrade


@transaction.atomic
def regrade_answer(
    *, regrade: RegradeRequest, by: User, answer: str, passed: bool | None = None, bonus: int | None = None
) -> RegradeRequest:
    """The teacher's answer, and the outcome after it (unchanged unless passed/bonus are given)."""
    locked = (
        RegradeRequest.objects.select_for_update(of=("self",))
        .select_related("review__submission__assignment__course", "review__submission__student")
        .get(pk=regrade.pk)
    )
    review = locked.review
    submission = review.submission
    assignment = submission.assignment
    require_staff(user=by, course=assignment.course)
    if locked.answered_at is not None:
        raise Refused("This regrade request has already been answered.", code="answered")
    if not answer.strip():
        raise ValidationError({"answer": "Write an answer to the student."}, code="no_answer")
    final_passed = review.passed if passed is None else passed
    final_bonus = (review.bonus if passed is None or passed else 0) if bonus is None else bonus
    _check_bonus(assignment, final_passed, final_bonus)
    locked.answer = answer.strip()
    locked.answered_by = by
    locked.answered_at = timezone.now()
    locked.passed = final_passed
    locked.bonus = final_bonus
    locked.save()
    audit_record(
        actor=by,
        action="regrade.answer",
        course=assignment.course,
        target=locked,
        passed=final_passed,
        bonus=final_bonus,
        changed=(final_passed, final_bonus) != (review.passed, review.bonus),
    )
    if (final_passed, final_bonus) != (review.passed, review.bonus):
        lti_passback.assignment_score_queue(
            assignment=assignment, student=submission.student, passed=final_passed, bonus=final_bonus
        )
    outcome = "Pass" if final_passed else "Fail"
    transaction.on_commit(
        lambda: _email_student(
            submission,
            f"{assignment.course.code} assignment {assignment.number}: regrade answered",
            f"Your regrade request was answered. The outcome is {outcome}"
            + (f" with {final_bonus} bonus points" if final_bonus else "")
            + f".\n\n{locked.answer}",
        )
    )
    return locked


# Extensions ---------------------------------------------------------------------------------------------------


def _remark_lateness(*, assignment: Assignment, student: User) -> None:
    """Re-mark all of the student's submissions on time or late against their deadline as it is now.

    Called inside the transaction that grants or revokes an extension. The student's membership row is locked first:
    `submission_create` holds the same lock while it reads the deadline, so a submission arriving meanwhile is marked
    either by it (against the new deadline) or here.
    """
    list(Membership.objects.select_for_update().filter(user=student, course=assignment.course).values_list("pk"))
    deadline = deadline_for(assignment=assignment, student=student)
    submissions = Submission.objects.filter(assignment=assignment, student=student)
    submissions.filter(submitted_at__lte=deadline).update(is_late=False)
    submissions.filter(submitted_at__gt=deadline).update(is_late=True)


@transaction.atomic
def extension_grant(
    *, assignment: Assignment, student: User | str, deadline_at: dt.datetime, reason: str = "", by: User
) -> Extension:
    """A later deadline for one student (a user, or a username as typed); their submissions are re-marked on time or
    late against it."""
    require_instructor(user=by, course=assignment.course)
    if isinstance(student, str):
        username = student.strip()
        named = User.objects.filter(
            username=username, memberships__course=assignment.course, memberships__role=Role.STUDENT
        ).first()
        if named is None:
            raise ValidationError({"student": f"{username} is not a student of this course."}, code="not_student")
        student = named
    if not Membership.objects.filter(user=student, course=assignment.course, role=Role.STUDENT).exists():
        raise Refused(f"{student} is not a student of this course.", code="not_student")
    if deadline_at <= assignment.deadline_at:
        raise ValidationError(
            {"deadline_at": "An extension must end after the assignment's own deadline."}, code="too_early"
        )
    extension, created = Extension.objects.update_or_create(
        assignment=assignment,
        student=student,
        defaults={"deadline_at": deadline_at, "reason": reason.strip()[:300], "granted_by": by},
    )
    _remark_lateness(assignment=assignment, student=student)
    audit_record(
        actor=by,
        action="extension.grant",
        course=assignment.course,
        target=extension,
        student=student.username,
        assignment=assignment.number,
        deadline_at=deadline_at.isoformat(),
        reason=extension.reason,
        replaced=not created,
    )
    events.extension_changed(assignment=assignment, student=student, deadline_at=deadline_at)
    return extension


@transaction.atomic
def extension_revoke(*, extension: Extension, by: User) -> None:
    """Take a student's extension away; their submissions are re-marked against the assignment's own deadline.

    The extension is deleted; the audit row keeps what it was (deadline, reason, who granted it and when).
    """
    require_instructor(user=by, course=extension.assignment.course)
    locked = (
        Extension.objects.select_for_update(of=("self",))
        .select_related("assignment__course", "student", "granted_by")
        .filter(pk=extension.pk)
        .first()
    )
    if locked is None:
        raise NotFound("This extension no longer exists; it may have been revoked already.")
    assignment, student = locked.assignment, locked.student
    audit_record(
        actor=by,
        action="extension.revoke",
        course=assignment.course,
        target=locked,
        student=student.username,
        assignment=assignment.number,
        deadline_at=locked.deadline_at.isoformat(),
        reason=locked.reason,
        granted_by=locked.granted_by.username if locked.granted_by is not None else None,
        granted_at=locked.granted_at.isoformat(),
    )
    locked.delete()
    _remark_lateness(assignment=assignment, student=student)
    events.extension_changed(assignment=assignment, student=student, deadline_at=None)
