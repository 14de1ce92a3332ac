"""REST API of grading: the gradebook for staff, a student's own grade; the JSON export uses the same shapes."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coursesite.access import access_course
from coursesite.requests import AuthedRequest

from . import access, services
from .selectors import Gradebook, GradebookRow, gradebook, student_breakdown


class GradingAssignmentSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    passed = serializers.BooleanField(allow_null=True, help_text="null: not reviewed yet or not submitted")
    bonus = serializers.IntegerField()
    completed_on = serializers.DateField(allow_null=True)


class GradingAssignmentsModuleSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(default="LAB1")
    passed = serializers.BooleanField()
    bonus = serializers.IntegerField(help_text="bonus points from passed assignments")
    completed_on = serializers.DateField(allow_null=True)
    explanation = serializers.CharField()


class GradingSecondModuleSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(allow_null=True, help_text="PRO1 (project) or TEN1 (exam)")
    kind = serializers.CharField(allow_null=True, help_text="project or exam")
    grade = serializers.CharField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    explanation = serializers.CharField()


class GradingChangeSerializer(serializers.Serializer[Any]):
    old_grade = serializers.CharField()
    new_grade = serializers.CharField()
    reason = serializers.CharField()
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)
    changed_at = serializers.DateTimeField()


class GradingStudentSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(source="student.username")
    name = serializers.CharField(source="student.display_name")
    assignments = serializers.SerializerMethodField()
    assignments_module = GradingAssignmentsModuleSerializer(source="outcome.assignments")
    second_module = GradingSecondModuleSerializer(source="outcome.module")
    bonus = serializers.IntegerField()
    final_grade = serializers.CharField(allow_null=True, help_text="the locked grade once finalised")
    status = serializers.ChoiceField(choices=["graded", "pending", "failed"])
    explanation = serializers.CharField()
    locked = serializers.SerializerMethodField()
    differs_from_policy = serializers.BooleanField()
    inputs_changed = serializers.BooleanField(help_text="a result behind the locked grade changed since locking")
    withdrawn = serializers.BooleanField(help_text="left the course: kept on record, not in the active list")
    history = serializers.SerializerMethodField()

    @extend_schema_field(GradingAssignmentSerializer(many=True))
    def get_assignments(self, row: GradebookRow) -> list[dict[str, Any]]:
        cells = [
            {"number": n, "passed": r.passed, "bonus": r.bonus, "completed_on": r.completed_on}
            for n, r in row.cells
            if r is not None
        ]
        return list(GradingAssignmentSerializer(cells, many=True).data)

    @extend_schema_field(serializers.BooleanField())
    def get_locked(self, row: GradebookRow) -> bool:
        return row.locked is not None

    @extend_schema_field(GradingChangeSerializer(many=True))
    def get_history(self, row: GradebookRow) -> list[dict[str, Any]]:
        changes = row.locked.changes.all() if row.locked is not None else []
        return list(GradingChangeSerializer(changes, many=True).data)


class GradingGradebookSerializer(serializers.Serializer[Any]):
    course = serializers.CharField(source="course.code")
    bonus_threshold = serializers.IntegerField(source="settings.bonus_threshold")
    assignments_required = serializers.IntegerField(source="settings.assignments_required")
    require_assignments_for_final = serializers.BooleanField(source="settings.require_assignments_for_final")
    final_grade_module = serializers.CharField(
        source="settings.final_grade_module", help_text='"module": PRO1/TEN1 carry the final grade in Ladok; "none"'
    )
    finalised_at = serializers.DateTimeField(source="settings.finalised_at", allow_null=True)
    students = serializers.SerializerMethodField()

    @extend_schema_field(GradingStudentSerializer(many=True))
    def get_students(self, book: Gradebook) -> list[dict[str, Any]]:
        return list(GradingStudentSerializer(book.rows, many=True).data)


def gradebook_json(book: Gradebook) -> dict[str, Any]:
    """The gradebook as JSON-ready data: the API's answer and `export_grades --format json`."""
    return GradingGradebookSerializer(book).data


class GradebookApi(APIView):
    @extend_schema(responses=GradingGradebookSerializer, summary="Every student's results and final grade (staff)")
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        access.require_gradebook(user=request.user, course=course)
        return Response(gradebook_json(gradebook(course=course)))


class OwnGradeApi(APIView):
    @extend_schema(responses=GradingStudentSerializer, summary="The signed-in student's results and final grade")
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        access.require_own_grades(user=request.user, course=course)
        row = student_breakdown(course=course, student=request.user)
        return Response(GradingStudentSerializer(row).data)


class FinaliseApi(APIView):
    class GradingFinaliseOutputSerializer(serializers.Serializer[Any]):
        locked = serializers.IntegerField(help_text="how many students' grades were locked now")

    @extend_schema(request=None, responses=GradingFinaliseOutputSerializer, summary="Lock the final grades")
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access_course(user=request.user, code=code)
        return Response({"locked": services.grades_finalise(course=course, by=request.user)})
