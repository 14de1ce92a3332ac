"""Reads of rubrics: an assignment's rubric with its criteria, a submission's marks, comments and outcome."""

from django.db.models import Prefetch

from assignments.models import Assignment, Submission

from . import rule
from .models import CannedComment, Criterion, InlineComment, Mark, Rubric


def rubric_of(assignment: Assignment) -> Rubric | None:
    return (
        Rubric.objects.filter(assignment=assignment)
        .prefetch_related(
            Prefetch(
                "criteria",
                queryset=Criterion.objects.prefetch_related(Prefetch("canned", queryset=CannedComment.objects.all())),
            )
        )
        .first()
    )


def marks_of(submission: Submission) -> dict[int, Mark]:
    return {m.criterion_id: m for m in Mark.objects.filter(submission=submission).select_related("marked_by")}


def comments_of(submission: Submission) -> list[InlineComment]:
    return list(InlineComment.objects.filter(submission=submission).select_related("author"))


def outcome_of(rubric: Rubric, marks: dict[int, Mark]) -> rule.Outcome:
    return rule.outcome(
        rule=rubric.rule,
        pass_points=rubric.pass_points,
        bonus_from=rubric.bonus_from,
        bonus_step=rubric.bonus_step,
        bonus_max=rubric.assignment.bonus_max,
        marks=[
            rule.CriterionMark(
                title=c.title,
                pass_fail=c.is_pass_fail,
                max_points=c.max_points,
                points=marks[c.pk].points if c.pk in marks else None,
                passed=marks[c.pk].passed if c.pk in marks else None,
            )
            for c in rubric.criteria.all()
        ],
    )


def marked_rows(rubric: Rubric, marks: dict[int, Mark]) -> list[tuple[Criterion, Mark | None]]:
    return [(c, marks.get(c.pk)) for c in rubric.criteria.all()]
