"""REST API of the exam: choice, date poll, sessions, questions, answers, marks and extensions."""

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from coursesite.access import access_course
from coursesite.models import Course, Membership
from coursesite.requests import AuthedRequest

from . import access, clock, rules, selectors, services
from .models import Answer, Exam, ExamSession, Mark, ModuleChoice, PollVote, Sitting


def _exam(request: AuthedRequest, code: str) -> tuple[Course, Membership, Exam]:
    course, membership = access_course(user=request.user, code=code)
    return course, membership, services.exam_for(course=course)


def _questions_url(request: AuthedRequest, session: ExamSession, membership: Membership) -> str | None:
    # The link exists only from the release on (for the student's own session); before, there is nothing to follow.
    if not session.questions_name or not access.session_questions_visible(session=session, membership=membership):
        return None
    return request.build_absolute_uri(reverse("exams:api_questions", args=[session.exam.course.code, session.pk]))


class ExamSettingsSerializer(serializers.ModelSerializer[Exam]):
    class Meta:
        model = Exam
        fields = [*Exam.SETTINGS_FIELDS, "poll_closed_at"]
        read_only_fields = ["poll_closed_at"]


class ExamSessionOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    day = serializers.DateField()
    releases_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField()
    questions_uploaded = serializers.SerializerMethodField()
    questions_url = serializers.SerializerMethodField()

    def get_questions_uploaded(self, session: ExamSession) -> bool:
        return bool(session.questions_name)

    def get_questions_url(self, session: ExamSession) -> str | None:
        return _questions_url(self.context["request"], session, self.context["membership"])


class ExamAnswerOutputSerializer(serializers.ModelSerializer[Answer]):
    class Meta:
        model = Answer
        fields = ["original_name", "sha256", "size", "pages", "uploaded_at", "under_extension"]


class ExamMyStateSerializer(serializers.Serializer[Any]):
    choice = serializers.CharField(allow_null=True)
    choice_open = serializers.BooleanField()
    poll_open = serializers.BooleanField()
    session = ExamSessionOutputSerializer(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True, help_text="Your deadline, with any extension.")
    answer = ExamAnswerOutputSerializer(allow_null=True)


class ExamOverviewSerializer(serializers.Serializer[Any]):
    settings = ExamSettingsSerializer()
    me = ExamMyStateSerializer(allow_null=True, help_text="Students only.")


class ExamApi(APIView):
    @extend_schema(responses=ExamOverviewSerializer)
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership, exam = _exam(request, code)
        now = clock.now()
        me = None
        if membership.is_student:
            choice = ModuleChoice.objects.filter(course=course, student=request.user).first()
            sitting = selectors.sitting_of(exam=exam, student=request.user)
            me = {
                "choice": choice.choice if choice else None,
                "choice_open": rules.choice_open(exam=exam, now=now),
                "poll_open": rules.poll_open(exam=exam, now=now),
                "session": sitting.session if sitting else None,
                "deadline_at": sitting.deadline_at if sitting else None,
                "answer": Answer.objects.filter(sitting=sitting).first() if sitting else None,
            }
        context = {"request": request, "membership": membership}
        return Response(ExamOverviewSerializer({"settings": exam, "me": me}, context=context).data)

    @extend_schema(request=ExamSettingsSerializer, responses=ExamSettingsSerializer)
    def patch(self, request: AuthedRequest, code: str) -> Response:
        course, membership, exam = _exam(request, code)
        data = ExamSettingsSerializer(exam, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        exam = services.exam_update(exam=exam, by=request.user, **data.validated_data)
        return Response(ExamSettingsSerializer(exam).data)


class ModuleChoiceApi(APIView):
    class ExamModuleChoiceInputSerializer(serializers.Serializer[Any]):
        choice = serializers.ChoiceField(choices=ModuleChoice.Option.choices)

    class ExamModuleChoiceOutputSerializer(serializers.Serializer[Any]):
        choice = serializers.CharField()
        updated_at = serializers.DateTimeField()

    @extend_schema(request=ExamModuleChoiceInputSerializer, responses=ExamModuleChoiceOutputSerializer)
    def put(self, request: AuthedRequest, code: str) -> Response:
        course, _, _ = _exam(request, code)
        data = self.ExamModuleChoiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.module_choose(course=course, student=request.user, choice=data.validated_data["choice"])
        return Response(self.ExamModuleChoiceOutputSerializer(record).data)


class ExamPollAnswerSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    answer = serializers.ChoiceField(choices=PollVote.Answer.choices)


class ExamPollCandidateSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    mine = serializers.CharField(allow_blank=True, help_text="Your answer (students).")
    yes = serializers.IntegerField(allow_null=True, help_text="Totals (staff only).")
    maybe = serializers.IntegerField(allow_null=True)
    no = serializers.IntegerField(allow_null=True)


class PollApi(APIView):
    class ExamPollOutputSerializer(serializers.Serializer[Any]):
        open = serializers.BooleanField()
        opens_at = serializers.DateTimeField(allow_null=True)
        closes_at = serializers.DateTimeField(allow_null=True)
        closed_at = serializers.DateTimeField(allow_null=True)
        candidates = ExamPollCandidateSerializer(many=True)

    class ExamPollInputSerializer(serializers.Serializer[Any]):
        answers = ExamPollAnswerSerializer(many=True)

    def _output(self, request: AuthedRequest, course: Course, membership: Membership, exam: Exam) -> dict[str, Any]:
        candidates: list[dict[str, Any]] = []
        if membership.is_staff_role:
            table = selectors.poll_table(exam=exam)
            for candidate, totals in zip(table.candidates, table.totals, strict=True):
                candidates.append({"day": candidate.day, "mine": "", **totals})
        else:
            mine = selectors.my_votes(exam=exam, student=request.user)
            for candidate in exam.candidates.all():
                candidates.append(
                    {"day": candidate.day, "mine": mine.get(candidate.day, ""), "yes": None, "maybe": None, "no": None}
                )
        return {
            "open": rules.poll_open(exam=exam, now=clock.now()),
            "opens_at": course.exam_poll_opens,
            "closes_at": course.exam_poll_closes,
            "closed_at": exam.poll_closed_at,
            "candidates": candidates,
        }

    @extend_schema(responses=ExamPollOutputSerializer)
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership, exam = _exam(request, code)
        return Response(self.ExamPollOutputSerializer(self._output(request, course, membership, exam)).data)

    @extend_schema(request=ExamPollInputSerializer, responses=ExamPollOutputSerializer)
    def put(self, request: AuthedRequest, code: str) -> Response:
        course, membership, exam = _exam(request, code)
        data = self.ExamPollInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = {a["day"]: a["answer"] for a in data.validated_data["answers"]}
        services.poll_vote(course=course, student=request.user, answers=answers)
        return Response(self.ExamPollOutputSerializer(self._output(request, course, membership, exam)).data)


class PollCloseApi(APIView):
    @extend_schema(request=None, responses=ExamSettingsSerializer)
    def post(self, request: AuthedRequest, code: str) -> Response:
        _, membership, exam = _exam(request, code)
        return Response(ExamSettingsSerializer(services.poll_close(exam=exam, by=request.user)).data)


class PollReopenApi(APIView):
    class PollReopenInputSerializer(serializers.Serializer[Any]):
        closes_at = serializers.DateTimeField(help_text="The poll closes at this moment (course time zone if naive).")

    @extend_schema(request=PollReopenInputSerializer, responses=ExamSettingsSerializer)
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, membership, exam = _exam(request, code)
        data = self.PollReopenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)  # a naive moment is read in the course's zone (CourseTimezoneMiddleware)
        exam = services.poll_reopen(exam=exam, closes_at=data.validated_data["closes_at"], by=request.user)
        return Response(ExamSettingsSerializer(exam).data)


class SessionListApi(APIView):
    class ExamSessionPickInputSerializer(serializers.Serializer[Any]):
        days = serializers.ListField(child=serializers.DateField(), min_length=1)
        deadline_time = serializers.TimeField(help_text="Answers due at this time (course time zone).")
        deadline_days_after = serializers.IntegerField(min_value=0, max_value=14, default=0)

    @extend_schema(responses=ExamSessionOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        _, membership, exam = _exam(request, code)
        context = {"request": request, "membership": membership}
        return Response(ExamSessionOutputSerializer(selectors.sessions_of(exam=exam), many=True, context=context).data)

    @extend_schema(request=ExamSessionPickInputSerializer, responses={201: ExamSessionOutputSerializer(many=True)})
    def post(self, request: AuthedRequest, code: str) -> Response:
        _, membership, exam = _exam(request, code)
        data = self.ExamSessionPickInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sessions = services.sessions_pick(exam=exam, by=request.user, **data.validated_data)
        context = {"request": request, "membership": membership}
        return Response(ExamSessionOutputSerializer(sessions, many=True, context=context).data, status=201)


class QuestionsApi(APIView):
    parser_classes = [MultiPartParser]

    class ExamQuestionsInputSerializer(serializers.Serializer[Any]):
        questions = serializers.FileField(help_text="The exam questions, PDF")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="Not out yet")}
    )
    def get(self, request: AuthedRequest, code: str, session_id: int) -> FileResponse:
        course, membership, exam = _exam(request, code)
        session = get_object_or_404(ExamSession.objects.select_related("exam__course"), pk=session_id, exam=exam)
        access.access_questions(session=session, membership=membership)
        response = FileResponse(
            default_storage.open(session.questions_name, "rb"),
            content_type="application/pdf",
            filename=f"{course.code}-exam-questions-{session.day.isoformat()}.pdf",
        )
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request={"multipart/form-data": ExamQuestionsInputSerializer}, responses=ExamSessionOutputSerializer)
    def post(self, request: AuthedRequest, code: str, session_id: int) -> Response:
        _, membership, exam = _exam(request, code)
        session = get_object_or_404(ExamSession.objects.select_related("exam__course"), pk=session_id, exam=exam)
        data = self.ExamQuestionsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.questions_upload(session=session, upload=data.validated_data["questions"], by=request.user)
        context = {"request": request, "membership": membership}
        return Response(ExamSessionOutputSerializer(session, context=context).data)


class AnswerApi(APIView):
    parser_classes = [MultiPartParser]

    class ExamAnswerInputSerializer(serializers.Serializer[Any]):
        answer = serializers.FileField(help_text="Your answers, PDF")

    @extend_schema(
        request={"multipart/form-data": ExamAnswerInputSerializer}, responses={201: ExamAnswerOutputSerializer}
    )
    def post(self, request: AuthedRequest, code: str) -> Response:
        _, _, exam = _exam(request, code)
        sitting = access.access_own_sitting(user=request.user, exam=exam)
        data = self.ExamAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.answer_upload(sitting=sitting, upload=data.validated_data["answer"], by=request.user)
        return Response(ExamAnswerOutputSerializer(answer).data, status=status.HTTP_201_CREATED)


class ExamMarkSerializer(serializers.ModelSerializer[Mark]):
    class Meta:
        model = Mark
        fields = ["part1_passed", "part1_points", "part2_points", "marked_at"]
        read_only_fields = ["marked_at"]


class SittingListApi(APIView):
    class ExamSittingOutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        student = serializers.CharField(source="student.username")
        day = serializers.DateField(source="session.day")
        deadline_at = serializers.DateTimeField()
        extended_until = serializers.DateTimeField(allow_null=True)
        answer = serializers.SerializerMethodField()
        mark = serializers.SerializerMethodField()
        grade = serializers.SerializerMethodField()
        explanation = serializers.SerializerMethodField()

        @extend_schema_field(ExamAnswerOutputSerializer(allow_null=True))
        def get_answer(self, sitting: Any) -> dict[str, Any] | None:  # a Sitting with has_answer, has_mark, grade
            return ExamAnswerOutputSerializer(sitting.answer).data if sitting.has_answer else None

        @extend_schema_field(ExamMarkSerializer(allow_null=True))
        def get_mark(self, sitting: Any) -> dict[str, Any] | None:
            return ExamMarkSerializer(sitting.mark).data if sitting.has_mark else None

        def get_grade(self, sitting: Any) -> str | None:
            return str(sitting.grade[0]) if sitting.grade else None

        def get_explanation(self, sitting: Any) -> str | None:
            return str(sitting.grade[1]) if sitting.grade else None

    @extend_schema(responses=ExamSittingOutputSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        _, membership, exam = _exam(request, code)
        access.require_marker(user=request.user, course=exam.course)
        return Response(self.ExamSittingOutputSerializer(selectors.sittings_for_marking(exam=exam), many=True).data)


class MarkApi(APIView):
    @extend_schema(request=ExamMarkSerializer, responses=ExamMarkSerializer)
    def put(self, request: AuthedRequest, code: str, sitting_id: int) -> Response:
        _, _, exam = _exam(request, code)
        sitting = get_object_or_404(Sitting, pk=sitting_id, exam=exam)
        data = ExamMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = request.data if isinstance(request.data, dict) else {}  # a JSON list has no reason
        mark = services.mark_record(
            sitting=sitting,
            part1_passed=data.validated_data.get("part1_passed"),
            part1_points=data.validated_data.get("part1_points"),
            part2_points=data.validated_data.get("part2_points"),
            by=request.user,
            reason=str(body.get("reason", ""))[:500],  # needed for a change once grades are finalised
        )
        return Response(ExamMarkSerializer(mark).data)


class ExtensionApi(APIView):
    class ExamExtensionInputSerializer(serializers.Serializer[Any]):
        until = serializers.DateTimeField()
        reason = serializers.CharField(max_length=200)

    class ExamExtensionOutputSerializer(serializers.Serializer[Any]):
        extended_until = serializers.DateTimeField(allow_null=True)
        extension_reason = serializers.CharField()
        deadline_at = serializers.DateTimeField()

    @extend_schema(request=ExamExtensionInputSerializer, responses=ExamExtensionOutputSerializer)
    def put(self, request: AuthedRequest, code: str, sitting_id: int) -> Response:
        _, membership, exam = _exam(request, code)
        sitting = get_object_or_404(Sitting, pk=sitting_id, exam=exam)
        data = self.ExamExtensionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sitting = services.extension_grant(sitting=sitting, by=request.user, **data.validated_data)
        return Response(self.ExamExtensionOutputSerializer(sitting).data)

    @extend_schema(request=None, responses=ExamExtensionOutputSerializer)
    def delete(self, request: AuthedRequest, code: str, sitting_id: int) -> Response:
        _, membership, exam = _exam(request, code)
        sitting = get_object_or_404(Sitting, pk=sitting_id, exam=exam)
        sitting = services.extension_grant(sitting=sitting, until=None, reason="", by=request.user)
        return Response(self.ExamExtensionOutputSerializer(sitting).data)
