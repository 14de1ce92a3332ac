"""The course's audit trail for the examiner: a page (filters, pages, CSV) and a read-only API.

Nothing here changes a row: the page and the API answer GET only, and the admin is read-only too.
"""

import csv
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponseBase, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access
from .audit import AuditEntry, audit_entries, audit_kinds, audit_rows
from .models import AuditLog, Course
from .requests import AuthedHttpRequest, AuthedRequest
from .spreadsheets import inert
from .views import course_page

if TYPE_CHECKING:
    import _csv

PAGE_SIZE = 50
CSV_CHUNK = 1000
CSV_HEADER = ["when", "who", "username", "action", "about", "old", "new", "in plain words", "target"]


class AuditFilterError(ValueError):
    pass


def _date(value: str, name: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise AuditFilterError(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD.") from exc


def _filters(params: QueryDict, course: Course) -> tuple[QuerySet[AuditLog], dict[str, str]]:
    values = {key: (params.get(key) or "").strip() for key in ("actor", "action", "since", "until")}
    rows = audit_rows(
        course=course,
        actor=values["actor"],
        action=values["action"],
        since=_date(values["since"], "since"),
        until=_date(values["until"], "until"),
    )
    return rows, values


def _local(entry: AuditEntry, course: Course) -> str:
    # Explicit zone: the CSV's rows are made while the response streams, after CourseTimezoneMiddleware has
    # restored the server's zone.
    return timezone.localtime(entry.at, course.tz).strftime("%Y-%m-%d %H:%M:%S")


@login_required
@require_GET
def audit_page(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, _ = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    error = ""
    try:
        rows, values = _filters(request.GET, course)
    except AuditFilterError as problem:
        error = str(problem)
        rows, values = audit_rows(course=course).none(), {k: request.GET.get(k, "") for k in ("actor", "action")}
    if request.GET.get("format") == "csv" and not error:
        return _csv_response(course, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "entries": audit_entries(page.object_list),
        "filters": values,
        "kinds": audit_kinds(course=course),
        "people": access_people(course),
        "query": query.urlencode(),
        "error": error,
    }
    return render(request, "coursesite/audit.html", context, status=400 if error else 200)


def access_people(course: Course) -> list[tuple[str, str]]:
    """The course's members for the person filter: (username, name), staff first (one query)."""
    members = sorted(
        course.memberships.select_related("user"), key=lambda m: (not m.is_staff_role, m.role, m.user.username)
    )
    return [(m.user.username, f"{m.user.display_name} ({m.get_role_display()})") for m in members]


def _csv_response(course: Course, rows: QuerySet[AuditLog]) -> StreamingHttpResponse:
    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo(), lineterminator="\r\n")

    def lines() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        chunk: list[AuditLog] = []
        for row in rows.iterator(chunk_size=CSV_CHUNK):
            chunk.append(row)
            if len(chunk) == CSV_CHUNK:
                yield from _csv_lines(writer, course, chunk)
                chunk = []
        yield from _csv_lines(writer, course, chunk)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    today = timezone.localdate().isoformat()  # in the request: the course's zone is active
    response["Content-Disposition"] = f'attachment; filename="{course.code}-audit-{today}.csv"'
    return response


def _csv_lines(writer: "_csv.Writer", course: Course, chunk: list[AuditLog]) -> Iterator[str]:
    for entry in audit_entries(chunk):
        row = entry.row
        target = f"{row.target_type}#{row.target_id}" if row.target_type else ""
        username = row.actor.username if row.actor is not None else ""
        cells = [_local(entry, course), entry.actor, username, row.action, entry.whom, entry.old, entry.new]
        yield writer.writerow([inert(cell) for cell in cells + [entry.sentence, target]])


class AuditEntrySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="row.id")
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="row.actor.username", allow_null=True, default=None)
    actor_name = serializers.CharField(source="actor")
    action = serializers.CharField()
    about = serializers.CharField(source="whom")
    old = serializers.CharField()
    new = serializers.CharField()
    sentence = serializers.CharField(help_text="the event in plain words")
    target_type = serializers.CharField(source="row.target_type")
    target_id = serializers.CharField(source="row.target_id")
    # A declared field, taken off the class by DRF's metaclass: `Serializer.data` stays the property.
    data = serializers.JSONField(source="row.data")  # type: ignore[assignment]


class AuditPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = AuditEntrySerializer(many=True)


class AuditApi(APIView):
    """The course's audit trail, newest first, 50 a page: read only (the examiner)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("actor", str, description="username of who did it"),
            OpenApiParameter("action", str, description='an action ("final_grade.change") or area ("final_grade")'),
            OpenApiParameter("since", dt.date, description="from this course-local date"),
            OpenApiParameter("until", dt.date, description="up to and including this date"),
            OpenApiParameter("page", int),
        ],
        responses=AuditPageSerializer,
        summary="The course's audit trail (examiner; read only)",
    )
    def get(self, request: AuthedRequest, code: str) -> Response:
        course, _ = access.access_course(user=request.user, code=code)
        access.require_instructor(user=request.user, course=course)
        try:
            rows, _ = _filters(request.query_params, course)
        except AuditFilterError as problem:
            raise ValidationError({"detail": str(problem)}) from problem
        paginator = Paginator(rows, PAGE_SIZE)
        page = paginator.get_page(request.query_params.get("page"))
        data = {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "results": audit_entries(page.object_list),
        }
        return Response(AuditPageSerializer(data).data)
