"""REST API of the autograder: a submission's grading (visibility-filtered), grading it again, suites, reruns."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assignments.models import Assignment, Submission
from coursesite.access import access_course
from coursesite.requests import AuthedRequest

from . import access, selectors, services
from .models import MAX_RUNS_PER_DAY, MIN_RUNS_PER_DAY, Suite


class GradingTestOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    status = serializers.CharField(
        help_text="passed | failed | error | timeout | skipped (hidden tests: passed | failed | skipped)"
    )
    reason = serializers.CharField()
    message = serializers.CharField()
    points = serializers.FloatField(allow_null=True)
    max_points = serializers.FloatField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)
    visibility = serializers.CharField()
    details = serializers.CharField(required=False, help_text="Staff only: the judge's traceback and full text")


class GradingEstimateOutputSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField(allow_null=True, help_text="About when grading starts (null: delayed)")
    ends_at = serializers.DateTimeField(allow_null=True)
    worker_slots = serializers.IntegerField(help_text="Live worker slots serving the job's queue")
    duration_s = serializers.FloatField(help_text="Median run time of the suite's recent jobs")
    rough = serializers.BooleanField(help_text="No run of this suite has finished yet: a default duration")
    delayed = serializers.BooleanField(help_text="No live worker serves the queue: grading is delayed")


class GradingJobOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    trigger = serializers.CharField()
    suite_version = serializers.IntegerField()
    queue = serializers.CharField()
    state = serializers.CharField(help_text="received | queued | running | finished | error | skipped")
    received_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField(allow_null=True)
    running_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error_at = serializers.DateTimeField(allow_null=True)
    queue_position = serializers.IntegerField(allow_null=True)
    estimate = GradingEstimateOutputSerializer(allow_null=True, help_text="While waiting: when grading starts, ends")
    outcome = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    max_score = serializers.FloatField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())
    tests = GradingTestOutputSerializer(many=True)
    secret_tests = serializers.IntegerField(help_text="Tests that ran but are not shown to you")
    figures = serializers.ListField(child=serializers.CharField())
    staff_notes = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Staff only: the full details of failures"
    )


class SubmissionGradingApi(APIView):
    class SubmissionGradingOutputSerializer(serializers.Serializer[Any]):
        submission = serializers.IntegerField()
        job = GradingJobOutputSerializer(allow_null=True, help_text="The latest autograder run; null if none")

    @extend_schema(responses=SubmissionGradingOutputSerializer, summary="A submission's latest autograder run")
    def get(self, request: AuthedRequest, code: str, submission_id: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        submission = get_object_or_404(
            Submission.objects.select_related("assignment__course"), pk=submission_id, assignment__course=course
        )
        staff = access.access_submission_grading(user=request.user, submission=submission)
        job = selectors.job_latest(submission=submission)
        data = selectors.job_as_dict(selectors.job_view(job=job, staff=staff)) if job else None
        return Response(self.SubmissionGradingOutputSerializer({"submission": submission.pk, "job": data}).data)


class SubmissionRerunApi(APIView):
    class GradingRerunOutputSerializer(serializers.Serializer[Any]):
        submission = serializers.IntegerField()
        job = GradingJobOutputSerializer(help_text="The new autograder run (staff's view)")

    @extend_schema(
        request=None,
        responses={202: GradingRerunOutputSerializer, 400: dict, 403: dict, 404: dict},
        summary="Grade one submission again with the active suite (staff; not counted against the student)",
    )
    def post(self, request: AuthedRequest, code: str, submission_id: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        submission = get_object_or_404(
            Submission.objects.select_related("assignment__course"), pk=submission_id, assignment__course=course
        )
        job = services.job_rerun(submission=submission, by=request.user)
        fresh = selectors.job_with_results(job_id=job.pk) or job  # queued once the transaction committed
        data = {"submission": submission.pk, "job": selectors.job_as_dict(selectors.job_view(job=fresh, staff=True))}
        return Response(self.GradingRerunOutputSerializer(data).data, status=status.HTTP_202_ACCEPTED)


class SuiteOutputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    is_active = serializers.BooleanField()
    name = serializers.CharField()
    queue = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    # The suite's own field (its required functions), which shadows Field.required for the type checker only.
    required = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    runtime = serializers.CharField(help_text="The grading runtime it names (python3.12, torch, ...)")
    functions = serializers.DictField(help_text="{function: {signature, call, aliases}} as suite.toml declares")
    limits = serializers.DictField()
    tests = serializers.DictField(help_text="{test: {points, visibility}}")
    max_score = serializers.FloatField()
    runs_per_day = serializers.IntegerField()


def _assignment(request: AuthedRequest, code: str, number: int) -> Assignment:
    """The course's assignment (the services check who may change its suites)."""
    course, _ = access_course(user=request.user, code=code)
    return get_object_or_404(Assignment.objects.select_related("course"), course=course, number=number)


def _managed_assignment(request: AuthedRequest, code: str, number: int) -> Assignment:
    """The assignment, for the reads only its examiner may make (no service to ask)."""
    assignment = _assignment(request, code, number)
    access.require_suite_manager(user=request.user, course=assignment.course)
    return assignment


class SuiteApi(APIView):
    parser_classes = [MultiPartParser]

    class SuiteUploadInputSerializer(serializers.Serializer[Any]):
        suite = serializers.FileField(help_text="A zip of the suite folder (suite.toml, tests/, public_data/, ...)")
        runs_per_day = serializers.IntegerField(required=False, min_value=MIN_RUNS_PER_DAY, max_value=MAX_RUNS_PER_DAY)

    @extend_schema(responses=SuiteOutputSerializer(many=True), summary="The assignment's suite versions")
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _managed_assignment(request, code, number)
        return Response(SuiteOutputSerializer(selectors.suites_of(assignment=assignment), many=True).data)

    @extend_schema(
        request={"multipart/form-data": SuiteUploadInputSerializer},
        responses={201: SuiteOutputSerializer, 400: dict},
        summary="Upload a new suite version, as a draft (students are graded by it once it is activated)",
    )
    def post(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _assignment(request, code, number)
        data = self.SuiteUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        suite = services.suite_upload(
            assignment=assignment,
            upload=data.validated_data["suite"],
            by=request.user,
            runs_per_day=data.validated_data.get("runs_per_day"),
        )
        return Response(SuiteOutputSerializer(suite).data, status=status.HTTP_201_CREATED)


class SuiteActivateApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SuiteOutputSerializer, 403: dict, 404: dict},
        summary="Make a suite version the live one (it grades students' new submissions; then rerun everyone)",
    )
    def post(self, request: AuthedRequest, code: str, number: int, version: int) -> Response:
        assignment = _assignment(request, code, number)
        suite = get_object_or_404(Suite, assignment=assignment, version=version)
        return Response(SuiteOutputSerializer(services.suite_activate(suite=suite, by=request.user)).data)


class RerunApi(APIView):
    class RerunOutputSerializer(serializers.Serializer[Any]):
        suite_version = serializers.IntegerField(source="rerun.suite.version")
        requested_at = serializers.DateTimeField(source="rerun.requested_at")
        done = serializers.IntegerField()
        failed = serializers.IntegerField()
        total = serializers.IntegerField()

    @extend_schema(responses={200: RerunOutputSerializer, 404: dict}, summary="Progress of the latest rerun")
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _managed_assignment(request, code, number)
        progress = selectors.rerun_progress(assignment=assignment)
        if progress is None:
            return Response({"detail": "No rerun yet."}, status=status.HTTP_404_NOT_FOUND)
        return Response(self.RerunOutputSerializer(progress).data)

    @extend_schema(
        request=None,
        responses={202: RerunOutputSerializer, 400: dict},
        summary="Rerun everyone's latest submission with the active suite (lowest priority)",
    )
    def post(self, request: AuthedRequest, code: str, number: int) -> Response:
        assignment = _assignment(request, code, number)
        services.grading_rerun_all(assignment=assignment, by=request.user)
        progress = selectors.rerun_progress(assignment=assignment)
        return Response(self.RerunOutputSerializer(progress).data, status=status.HTTP_202_ACCEPTED)


class QueueRowOutputSerializer(serializers.Serializer[Any]):
    queue = serializers.CharField()
    waiting = serializers.IntegerField(help_text="This course's jobs waiting")
    waiting_all = serializers.IntegerField(help_text="Every course's jobs waiting (the workers are shared)")
    oldest_s = serializers.FloatField(allow_null=True, help_text="Age of this course's oldest waiting job")


class WorkerRowOutputSerializer(serializers.Serializer[Any]):
    hostname = serializers.CharField()
    queues = serializers.ListField(child=serializers.CharField())
    slots = serializers.IntegerField()
    seen_at = serializers.DateTimeField()
    alive = serializers.BooleanField()
    running = serializers.ListField(child=serializers.CharField())


class QueueApi(APIView):
    class QueueOutputSerializer(serializers.Serializer[Any]):
        queues = QueueRowOutputSerializer(many=True)
        workers = WorkerRowOutputSerializer(many=True)
        workers_alive = serializers.IntegerField()
        finished_last_hour = serializers.IntegerField()
        median_wait_s = serializers.FloatField(allow_null=True)
        outcomes_last_hour = serializers.DictField(child=serializers.IntegerField())
        oldest_s = serializers.FloatField(allow_null=True)
        warn_after_s = serializers.FloatField()
        warning = serializers.BooleanField(help_text="The oldest waiting job has waited longer than warn_after_s")

    @extend_schema(responses={200: QueueOutputSerializer, 403: dict}, summary="The autograder's queue (staff)")
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        access.require_grading_staff(user=request.user, course=course)
        overview = selectors.queue_overview(course=course)
        return Response(self.QueueOutputSerializer(overview).data)
