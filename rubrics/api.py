"""REST API of rubrics: an assignment's rubric, a submission's marks, outcome and inline comments, the review."""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments import access as assignment_access
from assignments.models import Assignment, Submission
from coursesite.access import access_course, require_staff
from coursesite.errors import Refused
from coursesite.requests import AuthedRequest

from . import selectors, services
from .access import is_released, require_marks_reader
from .models import InlineComment, Kind, Rubric, Rule


class CannedField(serializers.ListField):
    child = serializers.CharField(max_length=500)


class CriterionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(required=False, help_text="Given: change that criterion; left out: a new one.")
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Kind.values)
    max_points = serializers.IntegerField(min_value=0, default=0)
    canned = CannedField(default=list, help_text="Reusable comments, in order.")


class RubricSerializer(serializers.Serializer[Any]):
    rule = serializers.ChoiceField(choices=Rule.values)
    pass_points = serializers.IntegerField(min_value=0, default=0)
    bonus_from = serializers.IntegerField(min_value=0, default=0)
    bonus_step = serializers.IntegerField(min_value=1, default=1)
    criteria = CriterionSerializer(many=True, default=list)


def _rubric_data(rubric: Rubric | None) -> dict[str, Any] | None:
    if rubric is None:
        return None
    return {
        "rule": rubric.rule,
        "pass_points": rubric.pass_points,
        "bonus_from": rubric.bonus_from,
        "bonus_step": rubric.bonus_step,
        "criteria": [
            {
                "id": c.pk,
                "title": c.title,
                "kind": c.kind,
                "max_points": c.max_points,
                "canned": [t.text for t in c.canned.all()],
            }
            for c in rubric.criteria.all()
        ],
    }


class RubricApi(APIView):
    parser_classes = [JSONParser]

    def _assignment(self, request: AuthedRequest, code: str, number: int) -> Assignment:
        course, _ = access_course(user=request.user, code=code)
        require_staff(user=request.user, course=course)  # teachers read it; rubric_save checks who edits it
        return get_object_or_404(course.assignments, number=number)

    @extend_schema(responses={200: RubricSerializer})
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        """The assignment's rubric (teachers of the course); null when it has none."""
        return Response(_rubric_data(selectors.rubric_of(self._assignment(request, code, number))))

    @extend_schema(request=RubricSerializer, responses={200: RubricSerializer, 400: dict})
    def put(self, request: AuthedRequest, code: str, number: int) -> Response:
        """Set the rule and the criteria (the examiner); a criterion left out is removed, unless it is marked."""
        assignment = self._assignment(request, code, number)
        data = RubricSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        criteria = values.pop("criteria")
        with transaction.atomic():
            rubric = services.rubric_save(assignment=assignment, by=request.user, **values)
            kept = set()
            existing = {c.pk: c for c in rubric.criteria.all()}
            for position, item in enumerate(criteria, 1):
                criterion = existing.get(item.get("id")) if item.get("id") else None
                if item.get("id") and criterion is None:
                    raise Refused(f"Criterion {item['id']} is not in this rubric.")
                saved = services.criterion_save(
                    rubric=rubric,
                    by=request.user,
                    criterion=criterion,
                    title=item["title"],
                    kind=item["kind"],
                    max_points=item["max_points"],
                    canned=item["canned"],
                    position=position,
                )
                kept.add(saved.pk)
            for pk, criterion in existing.items():
                if pk not in kept:
                    services.criterion_delete(criterion=criterion, by=request.user)
        return Response(_rubric_data(selectors.rubric_of(assignment)))


class MarkSerializer(serializers.Serializer[Any]):
    criterion = serializers.IntegerField()
    points = serializers.IntegerField(allow_null=True, default=None, min_value=0)
    passed = serializers.BooleanField(allow_null=True, default=None)
    comment = serializers.CharField(allow_blank=True, default="", max_length=4000)


class CommentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(max_length=4000, error_messages={"blank": "Write the comment."})
    author = serializers.CharField(source="author.display_name", default="", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    file = serializers.CharField(allow_blank=True, default="", max_length=300)
    line = serializers.IntegerField(allow_null=True, default=None, min_value=1)
    page = serializers.IntegerField(allow_null=True, default=None, min_value=1)
    x = serializers.FloatField(allow_null=True, default=None, min_value=0, max_value=1)
    y = serializers.FloatField(allow_null=True, default=None, min_value=0, max_value=1)


def _submission(request: AuthedRequest, code: str, pk: int) -> Submission:
    course, _ = access_course(user=request.user, code=code)
    return assignment_access.access_submission(user=request.user, course=course, pk=pk)


def _marked(submission: Submission) -> dict[str, Any]:
    rubric = selectors.rubric_of(submission.assignment)
    marks = selectors.marks_of(submission) if rubric else {}
    outcome = selectors.outcome_of(rubric, marks) if rubric else None
    return {
        "released": is_released(submission),
        "rubric": _rubric_data(rubric),
        "marks": [
            {"criterion": c.pk, "points": m.points, "passed": m.passed, "comment": m.comment}
            for c, m in (selectors.marked_rows(rubric, marks) if rubric else [])
            if m is not None
        ],
        "outcome": None
        if outcome is None
        else {
            "points": outcome.points,
            "max_points": outcome.max_points,
            "passed": outcome.passed,
            "bonus": outcome.bonus,
            "explanation": outcome.explanation,
        },
        "comments": CommentSerializer(selectors.comments_of(submission), many=True).data,
    }


class SubmissionMarksApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses={200: dict, 403: dict, 404: dict})
    def get(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """The marked rubric, computed outcome and inline comments: staff; the student once the review is released."""
        submission = _submission(request, code, pk)
        require_marks_reader(user=request.user, submission=submission)
        return Response(_marked(submission))

    @extend_schema(request=MarkSerializer(many=True), responses={200: dict, 400: dict, 403: dict})
    def put(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Save the reviewer's marks as a draft (a list of {criterion, points | passed, comment})."""
        submission = _submission(request, code, pk)
        data = MarkSerializer(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        services.marks_save(submission=submission, by=request.user, marks=data.validated_data)
        return Response(_marked(submission))


class RubricReviewSerializer(serializers.Serializer[Any]):
    marks = MarkSerializer(many=True)
    feedback = serializers.CharField(allow_blank=True, default="")
    passed = serializers.BooleanField(allow_null=True, default=None, help_text="Only for the manual rule.")
    bonus = serializers.IntegerField(allow_null=True, default=None, min_value=0, help_text="Only for the manual rule.")


class RubricReviewApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(request=RubricReviewSerializer, responses={201: dict, 400: dict, 403: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Save the marks and record the review; Pass/Fail and bonus follow from the rubric's rule."""
        submission = _submission(request, code, pk)
        data = RubricReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.rubric_review_record(submission=submission, by=request.user, **data.validated_data)
        return Response(
            {"passed": review.passed, "bonus": review.bonus, **_marked(submission)}, status=status.HTTP_201_CREATED
        )


class CommentListApi(APIView):
    parser_classes = [JSONParser]

    @extend_schema(responses=CommentSerializer(many=True))
    def get(self, request: AuthedRequest, code: str, pk: int) -> Response:
        submission = _submission(request, code, pk)
        require_marks_reader(user=request.user, submission=submission)
        return Response(CommentSerializer(selectors.comments_of(submission), many=True).data)

    @extend_schema(request=CommentSerializer, responses={201: CommentSerializer, 400: dict, 403: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """A comment at {file, line} of the code or at {page, x, y} of the report (x, y from 0 to 1, top left)."""
        submission = _submission(request, code, pk)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(submission=submission, by=request.user, **data.validated_data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentApi(APIView):
    @extend_schema(responses={204: None, 400: dict, 403: dict, 404: dict})
    def delete(self, request: AuthedRequest, code: str, comment_id: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        comment = get_object_or_404(
            InlineComment.objects.select_related("submission__assignment__course"),
            pk=comment_id,
            submission__assignment__course=course,
        )
        services.comment_delete(comment=comment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
