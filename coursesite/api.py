"""REST API of the course core, and the project-wide API error handler."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, calendar, selectors, services
from .requests import AuthedRequest


class CourseListApi(APIView):
    class CourseOutputSerializer(serializers.Serializer[Any]):
        code = serializers.CharField(source="course.code")
        name = serializers.CharField(source="course.name")
        term = serializers.CharField(source="course.term")
        timezone = serializers.CharField(source="course.timezone")
        role = serializers.CharField()

    @extend_schema(responses=CourseOutputSerializer(many=True))
    def get(self, request: AuthedRequest) -> Response:
        memberships = selectors.memberships_of(user=request.user)
        return Response(self.CourseOutputSerializer(memberships, many=True).data)


class CourseCalendarApi(APIView):
    class CalendarEventSerializer(serializers.Serializer[Any]):
        title = serializers.CharField()
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField(allow_null=True, help_text="Exclusive: midnight after the last day.")
        all_day = serializers.BooleanField(help_text="Whole days, from starts_at to ends_at.")
        kind = serializers.CharField()
        url = serializers.CharField()

    @extend_schema(responses=CalendarEventSerializer(many=True))
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, membership = access.access_course(user=request.user, code=code)
        return Response(self.CalendarEventSerializer(calendar.course_events(course, membership), many=True).data)


class RosterImportApi(APIView):
    parser_classes = [MultiPartParser]

    class RosterInputSerializer(serializers.Serializer[Any]):
        roster = serializers.FileField(
            help_text="CSV with columns username, full_name, email, role (optional: personal_id, status)"
        )
        confirm_role_changes = serializers.BooleanField(
            default=False, help_text="Apply the file's changes of existing members' roles (else 409 lists them)"
        )

    @extend_schema(request={"multipart/form-data": RosterInputSerializer}, responses={200: dict, 400: dict, 409: dict})
    def post(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access.access_course(user=request.user, code=code)
        access.require_instructor(user=request.user, course=course)
        data = self.RosterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.roster_import(
            course=course,
            data=data.validated_data["roster"].read(),
            by=request.user,
            confirm_role_changes=data.validated_data["confirm_role_changes"],
        )
        changes = [{**c.as_dict(), "message": str(c)} for c in result.role_changes]
        if result.errors:
            errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
            return Response({"detail": "Nothing was imported.", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        if result.needs_confirmation:
            return Response(
                {
                    "detail": "Nothing was imported: the file changes existing members' roles. "
                    "Send it again with confirm_role_changes=true to apply them.",
                    "role_changes": changes,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "withdrawn": result.withdrawn,
                "reactivated": result.reactivated,
                "role_changes": changes,
            }
        )
