"""State changes of rubrics: the examiner's rubric, the reviewer's marks, inline comments. Each writes an audit row."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from assignments import services as assignment_services
from assignments.codeview import code_files, source_of
from assignments.models import Assignment, Review, Submission
from coursesite.audit import audit_record
from coursesite.errors import Forbidden, Refused
from coursesite.models import User

from . import selectors
from .access import require_marker, require_rubric_editor
from .models import CannedComment, Criterion, InlineComment, Kind, Mark, Rubric, Rule

COMMENT_MAX_CHARS = 4000


@transaction.atomic
def rubric_save(
    *, assignment: Assignment, by: User, rule: str, pass_points: int = 0, bonus_from: int = 0, bonus_step: int = 1
) -> Rubric:
    """Create or change an assignment's rubric rule (the examiner's)."""
    require_rubric_editor(user=by, assignment=assignment)
    if rule not in Rule.values:
        raise ValidationError({"rule": "Choose the computed rule or manual."})
    if bonus_step < 1:
        raise ValidationError({"bonus_step": "One bonus point takes at least 1 point above M."})
    rubric, _ = Rubric.objects.get_or_create(assignment=assignment)
    rubric.rule, rubric.pass_points, rubric.bonus_from, rubric.bonus_step = rule, pass_points, bonus_from, bonus_step
    rubric.full_clean()
    rubric.save()
    audit_record(
        actor=by,
        action="rubric.save",
        course=assignment.course,
        target=rubric,
        assignment=assignment.number,
        rule=rule,
        pass_points=pass_points,
        bonus_from=bonus_from,
        bonus_step=bonus_step,
    )
    return rubric


@transaction.atomic
def criterion_save(
    *,
    rubric: Rubric,
    by: User,
    title: str,
    kind: str,
    max_points: int = 0,
    canned: Iterable[str] = (),
    position: int | None = None,
    criterion: Criterion | None = None,
) -> Criterion:
    """Add a criterion to a rubric, or change one, with its reusable comments (replaced as a whole)."""
    require_rubric_editor(user=by, assignment=rubric.assignment)
    course = rubric.assignment.course
    if criterion is not None and criterion.rubric_id != rubric.pk:
        raise Refused("That criterion belongs to another rubric.")
    if kind not in Kind.values:
        raise ValidationError({"kind": "A criterion gives points or pass/fail."})
    if criterion is None:
        criterion = Criterion(rubric=rubric, position=rubric.criteria.count() + 1)
    elif kind != criterion.kind and criterion.marks.exists():
        raise ValidationError({"kind": "Submissions are already marked on this criterion; its kind stays as it is."})
    criterion.title, criterion.kind, criterion.max_points = title.strip(), kind, max_points
    if position is not None:
        criterion.position = position
    criterion.full_clean()
    criterion.save()
    texts = [t.strip() for t in canned if t.strip()]
    if any(len(t) > 500 for t in texts):
        raise ValidationError({"canned": "A reusable comment is at most 500 characters."})
    criterion.canned.all().delete()
    CannedComment.objects.bulk_create(
        CannedComment(criterion=criterion, position=n, text=t) for n, t in enumerate(texts, 1)
    )
    audit_record(
        actor=by,
        action="criterion.save",
        course=course,
        target=criterion,
        assignment=rubric.assignment.number,
        title=criterion.title,
        kind=kind,
        max_points=criterion.max_points,
    )
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion, by: User) -> None:
    require_rubric_editor(user=by, assignment=criterion.rubric.assignment)
    course = criterion.rubric.assignment.course
    marked = criterion.marks.count()
    if marked:
        raise Refused(
            f"{marked} submission{'s are' if marked != 1 else ' is'} already marked on this criterion; "
            "it cannot be removed (change its description instead)."
        )
    audit_record(actor=by, action="criterion.delete", course=course, target=criterion, title=criterion.title)
    criterion.delete()


def _checked_marks(rubric: Rubric, marks: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    criteria = {c.pk: c for c in rubric.criteria.all()}
    checked: dict[int, dict[str, Any]] = {}
    for mark in marks:
        criterion = criteria.get(mark.get("criterion"))  # type: ignore[arg-type]
        if criterion is None:
            raise Refused("A mark names a criterion that is not in this assignment's rubric.")
        points, passed = mark.get("points"), mark.get("passed")
        comment = (mark.get("comment") or "").strip()
        if len(comment) > COMMENT_MAX_CHARS:
            raise Refused(f"The comment on “{criterion.title}” is longer than {COMMENT_MAX_CHARS} characters.")
        if criterion.is_pass_fail:
            if passed is not None and not isinstance(passed, bool):
                raise Refused(f"“{criterion.title}” is marked pass or fail.")
            points = None
        else:
            if points is not None and (not isinstance(points, int) or not 0 <= points <= criterion.max_points):
                raise Refused(f"“{criterion.title}” gives 0 to {criterion.max_points} points.")
            passed = None
        checked[criterion.pk] = {"points": points, "passed": passed, "comment": comment}
    return checked


@transaction.atomic
def marks_save(*, submission: Submission, by: User, marks: Iterable[dict[str, Any]]) -> dict[int, Mark]:
    """Save the reviewer's marks of the rubric (a draft until the review is saved): points or pass/fail, comments."""
    locked = (
        Submission.objects.select_for_update(of=("self",)).select_related("assignment__course").get(pk=submission.pk)
    )
    require_marker(user=by, submission=locked)
    rubric = selectors.rubric_of(locked.assignment)
    if rubric is None:
        raise Refused("This assignment has no rubric.")
    checked = _checked_marks(rubric, marks)
    now = timezone.now()
    for criterion_id, values in checked.items():
        Mark.objects.update_or_create(
            submission=locked, criterion_id=criterion_id, defaults={**values, "marked_by": by, "marked_at": now}
        )
    saved = selectors.marks_of(locked)
    audit_record(
        actor=by,
        action="rubric_mark.save",
        course=locked.assignment.course,
        target=locked,
        student=locked.student.username,
        marks={str(k): {"points": v["points"], "passed": v["passed"]} for k, v in checked.items()},
    )
    return saved


@transaction.atomic
def rubric_review_record(
    *,
    submission: Submission,
    by: User,
    marks: Iterable[dict[str, Any]],
    feedback: str = "",
    passed: bool | None = None,
    bonus: int | None = None,
) -> Review:
    """Save the marks and record the review: Pass/Fail and bonus by the examiner's rule (or the reviewer's: manual)."""
    saved = marks_save(submission=submission, by=by, marks=marks)
    rubric = selectors.rubric_of(submission.assignment)
    assert rubric is not None  # marks_save refuses an assignment without one
    result = selectors.outcome_of(rubric, saved)
    if rubric.rule == Rule.POINTS:
        if not result.complete:
            raise ValidationError(result.explanation)
        passed, bonus = result.passed, result.bonus
    elif passed is None:
        raise Refused("Choose Pass or Fail (this rubric leaves the outcome to the reviewer).")
    return assignment_services.review_record(
        submission=submission, by=by, passed=bool(passed), bonus=bonus or 0, feedback=feedback
    )


def check_review_follows_rubric(review: Review) -> None:
    """A review of an assignment whose rubric computes the outcome must say what the marks give (any path)."""
    rubric = selectors.rubric_of(review.submission.assignment)
    if rubric is None or rubric.rule != Rule.POINTS:
        return
    result = selectors.outcome_of(rubric, selectors.marks_of(review.submission))
    if not result.complete:
        raise Refused(f"This assignment is reviewed with its rubric. {result.explanation}")
    if (review.passed, review.bonus) != (result.passed, result.bonus):
        outcome = "Pass" if result.passed else "Fail"
        raise Refused(
            f"The rubric gives {outcome} with {result.bonus} bonus points ({result.explanation}); "
            "the review follows the examiner's rule."
        )


def _report_pages(submission: Submission) -> int:
    try:
        with submission.report.open("rb") as handle:
            return len(PdfReader(handle, strict=False).pages)
    except Exception:  # noqa: BLE001 (the report was checked at upload; a reader failure now means "unknown")
        return 0


@transaction.atomic
def comment_add(
    *,
    submission: Submission,
    by: User,
    text: str,
    file: str = "",
    line: int | None = None,
    page: int | None = None,
    x: float | None = None,
    y: float | None = None,
) -> InlineComment:
    """A comment at a line of a code file, or at a place on a page of the report (page-relative x, y in 0..1)."""
    require_marker(user=by, submission=submission)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the comment."})
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError({"text": f"A comment is at most {COMMENT_MAX_CHARS} characters."})
    comment = InlineComment(submission=submission, author=by, text=text)
    if line is not None:
        if page is not None:
            raise Refused("A comment is on a code line or on a report page, not both.")
        if file not in {f["path"] for f in code_files(submission)}:
            raise ValidationError({"file": "There is no such file in this submission."})
        source = source_of(submission, file)
        if source.notice:
            raise ValidationError({"file": "This file is not shown, so its lines cannot be commented."})
        lines = source.text.count("\n") + (0 if source.text.endswith("\n") else 1)
        if not 1 <= line <= max(lines, 1):
            raise ValidationError({"line": f"{file} has lines 1 to {lines}."})
        comment.file, comment.line = file, line
    elif page is not None:
        pages = _report_pages(submission)
        if not 1 <= page <= max(pages, 1):
            raise ValidationError({"page": f"The report has pages 1 to {pages}."})
        if (x is None) != (y is None) or (x is not None and not (0 <= x <= 1 and 0 <= y <= 1)):  # type: ignore[operator]
            raise ValidationError({"x": "The place on the page is given as x and y from 0 to 1."})
        comment.page, comment.x, comment.y = page, x, y
    else:
        raise Refused("Say where the comment goes: a file and line, or a page of the report.")
    comment.full_clean()
    comment.save()
    audit_record(
        actor=by,
        action="inline_comment.add",
        course=submission.assignment.course,
        target=comment,
        submission=submission.pk,
        where=comment.where,
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: InlineComment, by: User) -> None:
    """The comment's author (or the examiner) removes it, while the review is not released."""
    membership = require_marker(user=by, submission=comment.submission)
    if comment.author_id != by.pk and not membership.is_instructor:
        raise Forbidden("Only the comment's author or the examiner can remove it.")
    audit_record(
        actor=by,
        action="inline_comment.delete",
        course=comment.submission.assignment.course,
        target=comment,
        submission=comment.submission_id,
        where=comment.where,
        text=comment.text,
    )
    comment.delete()
