"""Reads of assignments, submissions and reviews; each runs a fixed number of queries, whatever the class size."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from coursesite.errors import NotFound
from coursesite.models import Course, Membership, Role, User
from coursesite.results import AssignmentResult

from .models import Assignment, Extension, RegradeRequest, Review, Submission


def assignments_visible(
    *, course: Course, membership: Membership, now: dt.datetime | None = None
) -> QuerySet[Assignment]:
    """Students see released assignments only; staff see all of them."""
    assignments = Assignment.objects.filter(course=course).order_by("number")
    if membership.is_staff_role:
        return assignments
    return assignments.filter(released_at__lte=now or timezone.now())


def assignment_visible_get(*, course: Course, membership: Membership, number: int) -> Assignment:
    """The assignment, or 404 when it does not exist or is not released yet (for students)."""
    assignment = assignments_visible(course=course, membership=membership).filter(number=number).first()
    if assignment is None:
        raise NotFound("No such assignment.")
    return assignment


def deadline_for(*, assignment: Assignment, student: User) -> dt.datetime:
    """The student's deadline: their extension's if they have one, else the assignment's."""
    extension = Extension.objects.filter(assignment=assignment, student=student).first()
    return extension.deadline_at if extension is not None else assignment.deadline_at


def counting() -> Q:
    """The submission that counts (is reviewed) for its student: the one they chose, else their latest."""
    chosen_sibling = Submission.objects.filter(
        assignment=OuterRef("assignment"), student=OuterRef("student"), chosen_at__isnull=False
    )
    return Q(chosen_at__isnull=False) | (Q(is_latest=True) & Q(~Exists(chosen_sibling)))


def _submissions_with_review() -> QuerySet[Submission]:
    return Submission.objects.select_related(
        "assignment__course", "review", "review__regrade", "claimed_by", "review__reviewer"
    )


def submission_get(*, pk: int, course: Course) -> Submission:
    submission = (
        _submissions_with_review().select_related("assignment", "student").filter(pk=pk, assignment__course=course)
    ).first()
    if submission is None:
        raise NotFound("No such submission.")
    return submission


def submission_history(*, assignment: Assignment, student: User) -> list[Submission]:
    """Every submission of the student, newest first, each with `counts` (the one reviewed), `grading` (its
    latest autograder run, or None) and `choosable` (the student may make it the one that counts) (2 queries)."""
    history = list(
        _submissions_with_review()
        .filter(assignment=assignment, student=student)
        .prefetch_related("grading_jobs")  # the autograder's runs (workers), by relation: no import of that app
        .order_by("-submitted_at", "-id")
    )
    chosen = next((s for s in history if s.chosen_at is not None), None)
    current = chosen or next((s for s in history if s.is_latest), None)
    closed = choice_closed_reason(history=history, current=current)
    last_review = max((s.submitted_at for s in history if review_of(s) is not None), default=None)
    for s in history:
        s.counts_now = s is current  # type: ignore[attr-defined]
        s.grading = grading_of(s)  # type: ignore[attr-defined]
        s.choosable = closed is None and s is not current and may_count(s, last_review)  # type: ignore[attr-defined]
    return history


def may_count(submission: Submission, last_review: dt.datetime | None) -> bool:
    """Whether the student may make `submission` the one that counts, given when their last reviewed submission was
    made: one newer than it (not reviewed yet), or that reviewed one itself (back to a pass after a resubmission
    by mistake), never one from before it."""
    if review_of(submission) is not None:
        return submission.submitted_at == last_review
    return last_review is None or submission.submitted_at > last_review


def with_counting(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """Each submission with `counts_now` (the one reviewed) and its autograder runs prefetched (for `grading_of`)."""
    return submissions.annotate(counts_now=ExpressionWrapper(counting(), output_field=BooleanField())).prefetch_related(
        "grading_jobs"
    )


def grading_of(submission: Submission) -> object | None:
    """The submission's latest autograder run (workers' GradingJob, read through the relation), or None."""
    if hasattr(submission, "grading"):
        grading: object | None = submission.grading  # annotated by with_grading(), when it ran
        return grading
    jobs = sorted(submission.grading_jobs.all(), key=lambda job: (job.attempt, job.pk))
    return jobs[-1] if jobs else None


def choice_closed_reason(*, history: list[Submission], current: Submission | None) -> str | None:
    """Why the student can no longer choose which submission counts (its review has started), else None."""
    if current is None:
        return None
    if review_of(current) is not None:
        return "Your submission has been reviewed; the one that counts can no longer be changed."
    if current.claimed_by_id is not None:
        return "A teacher has started reviewing your submission; the one that counts can no longer be changed."
    return None


def review_of(submission: Submission) -> Review | None:
    try:
        return submission.review
    except Review.DoesNotExist:
        return None


def regrade_of(review: Review | None) -> RegradeRequest | None:
    if review is None:
        return None
    try:
        return review.regrade
    except RegradeRequest.DoesNotExist:
        return None


@dataclass(frozen=True)
class AssignmentState:
    """What a student sees about one assignment."""

    code: str  # not_released, open, submitted, in_review, passed, failed
    label: str
    badge: str = ""  # CSS modifier: ok, warn, bad
    late: bool = False
    bonus: int = 0
    feedback: str = ""


def state_of(
    *, assignment: Assignment, latest: Submission | None, now: dt.datetime, deadline: dt.datetime | None = None
) -> AssignmentState:
    if not assignment.is_released(now):
        return AssignmentState("not_released", "Not released")
    if latest is None:
        overdue = now > (deadline or assignment.deadline_at)
        return AssignmentState("open", "Open, deadline passed" if overdue else "Open", "warn" if overdue else "")
    review = review_of(latest)
    if review is not None:
        passed = review.final_passed
        return AssignmentState(
            "passed" if passed else "failed",
            "Passed" if passed else "Failed",
            "ok" if passed else "bad",
            late=latest.is_late,
            bonus=review.final_bonus,
            feedback=review.feedback,
        )
    when = "late" if latest.is_late else "on time"
    if latest.claimed_by_id is not None:
        return AssignmentState("in_review", f"In review (submitted {when})", "warn" if latest.is_late else "", True)
    return AssignmentState("submitted", f"Submitted {when}", "warn" if latest.is_late else "", latest.is_late)


@dataclass
class StudentAssignmentRow:
    assignment: Assignment
    state: AssignmentState
    latest: Submission | None
    deadline: dt.datetime


def student_overview(
    *, course: Course, membership: Membership, now: dt.datetime | None = None
) -> list[StudentAssignmentRow]:
    """Each visible assignment with the student's state (3 queries)."""
    now = now or timezone.now()
    student = membership.user
    assignments = list(assignments_visible(course=course, membership=membership, now=now))
    latest = {
        s.assignment_id: s
        for s in _submissions_with_review().filter(counting(), assignment__course=course, student=student)
    }
    extensions = {
        e.assignment_id: e.deadline_at for e in Extension.objects.filter(assignment__course=course, student=student)
    }
    rows = []
    for a in assignments:
        deadline = extensions.get(a.pk, a.deadline_at)
        rows.append(
            StudentAssignmentRow(
                a,
                state_of(assignment=a, latest=latest.get(a.pk), now=now, deadline=deadline),
                latest.get(a.pk),
                deadline,
            )
        )
    return rows


def _withdrawn(course: Course) -> Exists:
    """The submission's student has withdrawn from the course (their work stays on record, out of the queue)."""
    return Exists(Membership.objects.filter(course=course, user=OuterRef("student"), withdrawn_at__isnull=False))


def review_queue(*, course: Course, assignment: Assignment | None = None) -> QuerySet[Submission]:
    """The unreviewed submission that counts of each active student (the latest, or the one they chose): on-time work
    first in submission order, then late."""
    queue = (
        _submissions_with_review()
        .filter(counting(), assignment__course=course, review__isnull=True)
        .exclude(_withdrawn(course))
        .select_related("student")
        .order_by("is_late", "submitted_at", "id")
    )
    if assignment is not None:
        queue = queue.filter(assignment=assignment)
    return queue


@dataclass(frozen=True)
class QueueNeighbours:
    """Where a submission sits among its assignment's latest submissions in queue order (reviewed ones included)."""

    previous: Submission | None
    next: Submission | None
    next_free: Submission | None  # the next unreviewed one this reviewer can take: nobody's claim, or their own
    position: int | None  # 1-based among those waiting for review; None when it is not waiting
    size: int  # how many wait for review


def queue_neighbours(*, submission: Submission, user: User) -> QueueNeighbours:
    """The previous and next submissions that count, in queue order (on-time first, then by time), and the next free
    one."""
    assignment = submission.assignment
    rows = list(
        Submission.objects.filter(counting(), assignment=assignment)
        .exclude(_withdrawn(assignment.course))
        .order_by("is_late", "submitted_at", "id")
        .values_list("pk", "is_late", "submitted_at", "claimed_by_id", "review__id")
    )
    key = (submission.is_late, submission.submitted_at, submission.pk)
    before = [r for r in rows if (r[1], r[2], r[0]) < key]
    after = [r for r in rows if (r[1], r[2], r[0]) > key]
    free = [r for r in after + before if r[4] is None and r[3] in (None, user.pk)]
    wanted = {r[0] for r in (before[-1:] + after[:1] + free[:1])}
    found = Submission.objects.in_bulk(wanted) if wanted else {}
    waiting = [r[0] for r in rows if r[4] is None]
    return QueueNeighbours(
        previous=found.get(before[-1][0]) if before else None,
        next=found.get(after[0][0]) if after else None,
        next_free=found.get(free[0][0]) if free else None,
        position=waiting.index(submission.pk) + 1 if submission.pk in waiting else None,
        size=len(waiting),
    )


def queue_first_free(*, course: Course, assignment: Assignment | None, user: User) -> Submission | None:
    """The first submission in the queue this reviewer can take: nobody's claim, or their own."""
    return (
        review_queue(course=course, assignment=assignment)
        .filter(Q(claimed_by__isnull=True) | Q(claimed_by=user))
        .first()
    )


def queue_counts(*, course: Course, user: User) -> dict[str, int]:
    """How many submissions wait for review, and how many of those this person has claimed (1 query)."""
    waiting = Submission.objects.filter(counting(), assignment__course=course, review__isnull=True)
    return waiting.exclude(_withdrawn(course)).aggregate(
        waiting=Count("id", filter=Q(claimed_by__isnull=True)),
        claimed_by_you=Count("id", filter=Q(claimed_by=user)),
        total=Count("id"),
    )


def open_regrades(*, course: Course) -> QuerySet[RegradeRequest]:
    return (
        RegradeRequest.objects.filter(review__submission__assignment__course=course, answered_at__isnull=True)
        .select_related("review__submission__assignment", "review__submission__student", "review__reviewer")
        .order_by("requested_at")
    )


def course_staff(*, course: Course) -> QuerySet[User]:
    return User.objects.filter(memberships__course=course, memberships__role__in=[Role.INSTRUCTOR, Role.TA]).order_by(
        "username"
    )


@dataclass
class ProgressCell:
    submission: Submission | None
    review: Review | None
    extension: Extension | None
    submissions_count: int = 0


@dataclass
class ProgressRow:
    student: User
    cells: list[ProgressCell] = field(default_factory=list)

    @property
    def passed_count(self) -> int:
        return sum(1 for c in self.cells if c.review is not None and c.review.final_passed)

    @property
    def bonus_total(self) -> int:
        return sum(c.review.final_bonus for c in self.cells if c.review is not None and c.review.final_passed)


def progress_table(*, course: Course) -> tuple[list[Assignment], list[ProgressRow]]:
    """Every student x every assignment: latest submission, on time or late, reviewed, passed, bonus (5 queries)."""
    assignments = list(Assignment.objects.filter(course=course).order_by("number"))
    students = list(
        User.objects.filter(
            memberships__course=course, memberships__role=Role.STUDENT, memberships__withdrawn_at__isnull=True
        ).order_by("username")
    )
    latest: dict[tuple[int, int], Submission] = {
        (s.student_id, s.assignment_id): s
        for s in _submissions_with_review().filter(counting(), assignment__course=course)
    }
    counts = {
        (row["student_id"], row["assignment_id"]): row["n"]
        for row in Submission.objects.filter(assignment__course=course)
        .values("student_id", "assignment_id")
        .annotate(n=Count("id"))
    }
    extensions = {(e.student_id, e.assignment_id): e for e in Extension.objects.filter(assignment__course=course)}
    rows = []
    for student in students:
        row = ProgressRow(student)
        for a in assignments:
            key = (student.pk, a.pk)
            submission = latest.get(key)
            row.cells.append(
                ProgressCell(
                    submission,
                    review_of(submission) if submission is not None else None,
                    extensions.get(key),
                    counts.get(key, 0),
                )
            )
        rows.append(row)
    return assignments, rows


def assignment_results(*, course: Course) -> dict[int, dict[int, AssignmentResult]]:
    """{user_id: {assignment number: AssignmentResult}} from each student's latest reviewed submission (1 query).

    A regrade answer that changes the outcome counts. Assignments a student has no review for are left out.
    """
    reviews = (
        Review.objects.filter(submission__assignment__course=course)
        .select_related("submission__assignment", "regrade")
        .order_by("submission__submitted_at", "submission_id")
    )
    latest: dict[tuple[int, int], Review] = {}
    for review in reviews:  # later submissions overwrite earlier ones
        latest[(review.submission.student_id, review.submission.assignment.number)] = review
    results: dict[int, dict[int, AssignmentResult]] = defaultdict(dict)
    tz = course.tz
    for (user_id, number), review in latest.items():
        passed = review.final_passed
        results[user_id][number] = AssignmentResult(
            passed=passed,
            bonus=review.final_bonus if passed else 0,
            completed_on=review.decided_at.astimezone(tz).date() if passed else None,
        )
    return dict(results)
