"""Read-only REST API of insight (staff only): an assignment's analytics and its latest similarity check."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.models import Assignment
from coursesite.access import access_course
from coursesite.requests import AuthedRequest

from . import access, selectors


def _assignment(request: AuthedRequest, code: str, number: int) -> Assignment:
    course, _ = access_course(user=request.user, code=code)
    access.require_insight_staff(user=request.user, course=course)
    return get_object_or_404(Assignment.objects.select_related("course"), course=course, number=number)


class BinSerializer(serializers.Serializer[Any]):
    bin = serializers.CharField()
    count = serializers.IntegerField()


class FailureGroupSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(help_text="The message with numbers, arrays, addresses and paths normalised")
    count = serializers.IntegerField()
    example = serializers.CharField()


class TestAnalyticsSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    visibility = serializers.CharField(help_text="visible | hidden | secret (staff see all)")
    points = serializers.FloatField()
    ran = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.FloatField()
    kinds = serializers.DictField(child=serializers.IntegerField())
    failures = FailureGroupSerializer(many=True)


class KindSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    # A declared field, taken off the class by DRF's metaclass: `Field.label` is not overridden.
    label = serializers.CharField()  # type: ignore[assignment]
    results = serializers.IntegerField()
    students = serializers.IntegerField()


class AssignmentAnalyticsApi(APIView):
    class AssignmentAnalyticsOutputSerializer(serializers.Serializer[Any]):
        assignment = serializers.IntegerField()
        counts = serializers.DictField(child=serializers.IntegerField())
        not_submitted = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
        max_score = serializers.FloatField(allow_null=True)
        score_histogram = BinSerializer(many=True)
        tests = TestAnalyticsSerializer(many=True)
        outcomes = serializers.DictField(child=serializers.IntegerField())
        kinds = KindSerializer(many=True)
        grading_time_histogram = BinSerializer(many=True)
        queue_wait_histogram = BinSerializer(many=True)
        timing = serializers.DictField(child=serializers.DictField(child=serializers.FloatField(allow_null=True)))

    @extend_schema(responses=AssignmentAnalyticsOutputSerializer, summary="An assignment's analytics (staff only)")
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _assignment(request, code, number)
        data = selectors.analytics_as_dict(selectors.assignment_analytics(assignment=assignment))
        return Response(self.AssignmentAnalyticsOutputSerializer(data).data)


class SimilarityApi(APIView):
    class SimilarityPairOutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        a = serializers.CharField()
        b = serializers.CharField()
        similarity = serializers.FloatField()
        decision = serializers.CharField()
        note = serializers.CharField()

    class SimilarityOutputSerializer(serializers.Serializer[Any]):
        check_id = serializers.IntegerField(allow_null=True)
        state = serializers.CharField(allow_null=True)
        threshold = serializers.FloatField(allow_null=True)
        pairs = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        responses=SimilarityOutputSerializer,
        summary="The latest similarity check's pairs at or above its threshold, highest first (staff only)",
    )
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _assignment(request, code, number)
        check = selectors.check_latest(assignment=assignment)
        pairs = []
        if check is not None:
            pairs = [
                {
                    "id": p.pk,
                    "a": p.a.label,
                    "b": p.b.label,
                    "similarity": round(p.similarity, 4),
                    "decision": p.decision,
                    "note": p.note,
                }
                for p in selectors.pairs_ranked(check=check).filter(similarity__gte=check.threshold)
            ]
        return Response(
            {
                "check_id": check.pk if check else None,
                "state": check.state if check else None,
                "threshold": check.threshold if check else None,
                "pairs": pairs,
            }
        )
