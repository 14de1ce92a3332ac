"""REST API of assignments: assignments, submissions, the review queue, claims, reviews, regrades, extensions."""

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from coursesite.access import access_course, require_staff
from coursesite.errors import Refused
from coursesite.models import User
from coursesite.requests import AuthedRequest

from . import selectors, services
from .access import access_assignment, access_submission
from .models import Assignment, Extension, Submission


class AssignmentStateSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="not_released, open, submitted, in_review, passed, failed")
    # The output key `label` shadows Field.label (a field's own label, a str to the stubs).
    label = serializers.CharField()  # type: ignore[assignment]
    late = serializers.BooleanField()
    bonus = serializers.IntegerField()
    feedback = serializers.CharField()


class AssignmentOutputSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    released_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField()
    bonus_max = serializers.IntegerField()
    regrade_window_days = serializers.IntegerField()
    has_handout = serializers.SerializerMethodField()

    def get_has_handout(self, obj: Assignment) -> bool:
        return bool(obj.handout)


class StudentAssignmentOutputSerializer(serializers.Serializer[Any]):
    assignment = AssignmentOutputSerializer()
    state = AssignmentStateSerializer()
    deadline = serializers.DateTimeField(help_text="Your deadline (an extension's, if you have one).")


class ReviewOutputSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    bonus = serializers.IntegerField()
    feedback = serializers.CharField()
    reviewed_at = serializers.DateTimeField()
    reviewer = serializers.CharField(source="reviewer.display_name", default="")
    final_passed = serializers.BooleanField(help_text="After a regrade answer, if any.")
    final_bonus = serializers.IntegerField()


class RegradeOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    bonus = serializers.IntegerField(allow_null=True)


class AutograderRunOutputSerializer(serializers.Serializer[Any]):
    state = serializers.CharField(help_text="received | queued | running | finished | error | skipped")
    outcome = serializers.CharField()
    score = serializers.SerializerMethodField()
    max_score = serializers.SerializerMethodField()

    def get_score(self, obj: Any) -> float | None:
        return obj.score if obj.state == "finished" else None

    def get_max_score(self, obj: Any) -> float | None:
        return obj.max_score if obj.state == "finished" else None


class SubmissionOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField(source="assignment.number")
    student = serializers.CharField(source="student.username")
    submitted_at = serializers.DateTimeField()
    is_late = serializers.BooleanField()
    is_latest = serializers.BooleanField()
    counts = serializers.SerializerMethodField(
        help_text="The submission that is reviewed: the latest, unless the student chose another (choose/)"
    )
    autograder = serializers.SerializerMethodField(help_text="Its latest autograder run, or null")
    code_sha256 = serializers.CharField()
    report_sha256 = serializers.CharField()
    claimed_by = serializers.CharField(source="claimed_by.username", default=None, allow_null=True)
    review = serializers.SerializerMethodField()
    regrade = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_counts(self, obj: Submission) -> bool:
        return bool(obj.counts_now) if hasattr(obj, "counts_now") else obj.counts

    @extend_schema(responses=AutograderRunOutputSerializer(allow_null=True))
    def get_autograder(self, obj: Submission) -> dict[str, Any] | None:
        job = selectors.grading_of(obj)
        return AutograderRunOutputSerializer(job).data if job is not None else None

    @extend_schema(responses=ReviewOutputSerializer(allow_null=True))
    def get_review(self, obj: Submission) -> dict[str, Any] | None:
        review = selectors.review_of(obj)
        return ReviewOutputSerializer(review).data if review is not None else None

    @extend_schema(responses=RegradeOutputSerializer(allow_null=True))
    def get_regrade(self, obj: Submission) -> dict[str, Any] | None:
        regrade = selectors.regrade_of(selectors.review_of(obj))
        return RegradeOutputSerializer(regrade).data if regrade is not None else None

    def get_url(self, obj: Submission) -> str:
        return reverse("assignments:submission", args=[obj.assignment.course.code, obj.assignment.number, obj.pk])


class SubmissionCreatedOutputSerializer(SubmissionOutputSerializer):
    code_files = serializers.ListField(child=serializers.CharField())
    notice = serializers.SerializerMethodField()

    def get_notice(self, obj: Submission) -> str:
        return services.LATE_NOTICE if obj.is_late else "Your submission was received."


def _submission(request: AuthedRequest, code: str, pk: int) -> Submission:
    course, _ = access_course(user=request.user, code=code)
    return access_submission(user=request.user, course=course, pk=pk)


class AssignmentListApi(APIView):
    @extend_schema(
        responses=StudentAssignmentOutputSerializer(many=True),
        description="Released assignments with your state (students); every assignment (staff, state null).",
    )
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership = access_course(user=request.user, code=code)
        if membership.is_student:
            rows = selectors.student_overview(course=course, membership=membership)
            return Response(StudentAssignmentOutputSerializer(rows, many=True).data)
        assignments = selectors.assignments_visible(course=course, membership=membership)
        return Response(
            [
                {"assignment": AssignmentOutputSerializer(a).data, "state": None, "deadline": a.deadline_at}
                for a in assignments
            ]
        )


class AssignmentDetailApi(APIView):
    @extend_schema(responses=StudentAssignmentOutputSerializer, description="404 before the release, for students.")
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        course, membership = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        if not membership.is_student:
            return Response(
                {"assignment": AssignmentOutputSerializer(assignment).data, "state": None, "deadline": None}
            )
        history = selectors.submission_history(assignment=assignment, student=request.user)
        deadline = selectors.deadline_for(assignment=assignment, student=request.user)
        state = selectors.state_of(
            assignment=assignment, latest=history[0] if history else None, now=timezone.now(), deadline=deadline
        )
        return Response(
            StudentAssignmentOutputSerializer({"assignment": assignment, "state": state, "deadline": deadline}).data
        )


class SubmissionInputSerializer(serializers.Serializer[Any]):
    code = serializers.ListField(
        child=serializers.FileField(),
        help_text="One zip archive, or one or more .py / .ipynb files (repeat the field).",
    )
    report = serializers.FileField(help_text="The PDF report.")


class SubmissionListCreateApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        responses=SubmissionOutputSerializer(many=True),
        description="Your submissions, newest first (staff: everyone's; ?student=<username> to filter).",
    )
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        course, membership = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        if membership.is_student:
            history = selectors.submission_history(assignment=assignment, student=request.user)
            return Response(SubmissionOutputSerializer(history, many=True).data)
        submissions = selectors.with_counting(
            assignment.submissions.select_related("student", "claimed_by", "review__regrade", "review__reviewer")
            .select_related("assignment__course")
            .order_by("student__username", "-submitted_at")
        )
        if request.query_params.get("student"):
            submissions = submissions.filter(student__username=request.query_params["student"])
        return Response(SubmissionOutputSerializer(submissions, many=True).data)

    @extend_schema(
        request={"multipart/form-data": SubmissionInputSerializer},
        responses={201: SubmissionCreatedOutputSerializer, 400: dict},
        description="Submit code and report. After the deadline the submission is accepted and marked late.",
    )
    def post(self, request: AuthedRequest, code: str, number: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        submission = services.submission_create(
            assignment=assignment,
            student=request.user,
            code=request.FILES.getlist("code"),
            report=request.FILES.get("report"),
        )
        return Response(SubmissionCreatedOutputSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionChooseApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SubmissionOutputSerializer, 403: dict, 404: dict, 409: dict},
        description="Make this submission (yours) the one that counts (is reviewed), as Gradescope's activate; "
        "409 once its review has started.",
    )
    def post(self, request: AuthedRequest, code: str, number: int, pk: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        submission = get_object_or_404(Submission, pk=pk, assignment=assignment)
        services.submission_choose(submission=submission, by=request.user)  # 409 once its review has started
        chosen = next(
            s for s in selectors.submission_history(assignment=assignment, student=request.user) if s.pk == pk
        )
        return Response(SubmissionOutputSerializer(chosen).data)


class ReviewQueueApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("assignment", int, description="only this assignment number")],
        responses=SubmissionOutputSerializer(many=True),
        description="The unreviewed submission that counts of each student (the latest, or the one they chose): on "
        "time first, in submission order, then late.",
    )
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        require_staff(user=request.user, course=course)
        queue = selectors.with_counting(selectors.review_queue(course=course).select_related("assignment__course"))
        number = request.query_params.get("assignment")
        if number and number.isdigit():
            queue = queue.filter(assignment__number=int(number))
        return Response(SubmissionOutputSerializer(queue, many=True).data)


class ClaimApi(APIView):
    @extend_schema(request=None, responses={200: SubmissionOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Claim a submission for review (400 when another teacher holds it)."""
        submission = _submission(request, code, pk)
        submission = services.submission_claim(submission=submission, by=request.user)
        return Response(SubmissionOutputSerializer(submission).data)

    @extend_schema(request=None, responses={200: SubmissionOutputSerializer})
    def delete(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Release the claim."""
        submission = _submission(request, code, pk)
        submission = services.submission_unclaim(submission=submission, by=request.user)
        return Response(SubmissionOutputSerializer(submission).data)


class AssignReviewerInputSerializer(serializers.Serializer[Any]):
    reviewer = serializers.CharField(help_text="username of a TA or the instructor")


class AssignReviewerApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=AssignReviewerInputSerializer, responses={200: SubmissionOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        submission = _submission(request, code, pk)
        data = AssignReviewerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewer = get_object_or_404(User, username=data.validated_data["reviewer"])
        submission = services.submission_assign_reviewer(submission=submission, reviewer=reviewer, by=request.user)
        return Response(SubmissionOutputSerializer(submission).data)


class ReviewInputSerializer(serializers.Serializer[Any]):
    passed = serializers.BooleanField()
    bonus = serializers.IntegerField(min_value=0, default=0)
    feedback = serializers.CharField(allow_blank=True, default="")


class ReviewApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=ReviewInputSerializer, responses={201: ReviewOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Record Pass/Fail, bonus and feedback; the student is emailed."""
        submission = _submission(request, code, pk)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_record(submission=submission, by=request.user, **data.validated_data)
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


class RegradeRequestInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


class RegradeRequestApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=RegradeRequestInputSerializer, responses={201: RegradeOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        """Ask for a regrade of your reviewed submission, within the assignment's regrade window."""
        submission = _submission(request, code, pk)
        review = selectors.review_of(submission)
        if review is None:
            raise Refused("This submission has not been reviewed yet.")
        data = RegradeRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        regrade = services.regrade_request(review=review, by=request.user, reason=data.validated_data["reason"])
        return Response(RegradeOutputSerializer(regrade).data, status=status.HTTP_201_CREATED)


class RegradeAnswerInputSerializer(serializers.Serializer[Any]):
    answer = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, default=None, help_text="null keeps the outcome")
    bonus = serializers.IntegerField(allow_null=True, default=None, min_value=0, help_text="null keeps the bonus")


class RegradeAnswerApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=RegradeAnswerInputSerializer, responses={200: RegradeOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, pk: int) -> Response:
        submission = _submission(request, code, pk)
        require_staff(user=request.user, course=submission.assignment.course)  # before saying whether one was asked
        regrade = selectors.regrade_of(selectors.review_of(submission))
        if regrade is None:
            raise Refused("No regrade was requested for this submission.")
        data = RegradeAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        regrade = services.regrade_answer(regrade=regrade, by=request.user, **data.validated_data)
        return Response(RegradeOutputSerializer(regrade).data)


class ExtensionOutputSerializer(serializers.Serializer[Any]):
    student = serializers.CharField(source="student.username")
    deadline_at = serializers.DateTimeField()
    reason = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by.username", default=None, allow_null=True)


class ExtensionInputSerializer(serializers.Serializer[Any]):
    student = serializers.CharField(help_text="username")
    deadline_at = serializers.DateTimeField()
    reason = serializers.CharField(allow_blank=True, default="")


class ExtensionApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=ExtensionOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str, number: int) -> Response:
        course, _ = access_course(user=request.user, code=code)
        require_staff(user=request.user, course=course)
        assignment = get_object_or_404(course.assignments, number=number)
        extensions = Extension.objects.filter(assignment=assignment).select_related("student", "granted_by")
        return Response(ExtensionOutputSerializer(extensions, many=True).data)

    @extend_schema(request=ExtensionInputSerializer, responses={201: ExtensionOutputSerializer, 400: dict})
    def post(self, request: AuthedRequest, code: str, number: int) -> Response:
        """Grant (or move) a student's extension; the instructor only."""
        course, _ = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        data = ExtensionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        extension = services.extension_grant(
            assignment=assignment,
            student=data.validated_data["student"],
            deadline_at=data.validated_data["deadline_at"],
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(ExtensionOutputSerializer(extension).data, status=status.HTTP_201_CREATED)


class ExtensionRevokeApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None, 403: dict, 404: dict},
        description="Revoke a student's extension; their submissions are re-marked against the assignment's "
        "deadline. The instructor only; 404 when the student has no extension.",
    )
    def delete(self, request: AuthedRequest, code: str, number: int, student: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        assignment = access_assignment(user=request.user, course=course, number=number)
        extension = get_object_or_404(Extension, assignment=assignment, student__username=student)
        services.extension_revoke(extension=extension, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProgressCellOutputSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    submitted = serializers.BooleanField()
    submissions = serializers.IntegerField()
    late = serializers.BooleanField(allow_null=True)
    reviewed = serializers.BooleanField()
    passed = serializers.BooleanField(allow_null=True)
    bonus = serializers.IntegerField()
    extension_until = serializers.DateTimeField(allow_null=True)


class ProgressRowOutputSerializer(serializers.Serializer[Any]):
    student = serializers.CharField()
    name = serializers.CharField()
    assignments = ProgressCellOutputSerializer(many=True)


class ProgressApi(APIView):
    @extend_schema(responses=ProgressRowOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        """Who submitted, on time or late, reviewed, passed, bonus: every student x every assignment."""
        course, _ = access_course(user=request.user, code=code)
        require_staff(user=request.user, course=course)
        assignments, rows = selectors.progress_table(course=course)
        out = []
        for row in rows:
            cells = []
            for a, cell in zip(assignments, row.cells, strict=True):
                review = cell.review
                cells.append(
                    {
                        "number": a.number,
                        "submitted": cell.submission is not None,
                        "submissions": cell.submissions_count,
                        "late": cell.submission.is_late if cell.submission is not None else None,
                        "reviewed": review is not None,
                        "passed": review.final_passed if review is not None else None,
                        "bonus": review.final_bonus if review is not None and review.final_passed else 0,
                        "extension_until": cell.extension.deadline_at if cell.extension is not None else None,
                    }
                )
            out.append({"student": row.student.username, "name": row.student.display_name, "assignments": cells})
        return Response(ProgressRowOutputSerializer(out, many=True).data)
