"""Exports: the student records system's CSV, a Canvas gradebook CSV, JSON over the API and the command."""

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from drf_spectacular.generators import SchemaGenerator

from coursesite.models import Course, User
from grading import urls as grading_urls

from .grading_results import ResultsBuilder, mixed_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(course: Course, student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> None:
    mixed_cohort(course, student, other_student, results, day)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_json_api_lists_every_student_for_staff(client_for, course: Course, ta: User, graded: None) -> None:
    response = client_for(ta).get(f"/api/courses/{course.code}/grading/gradebook/")
    assert response.status_code == 200
    data = response.json()
    assert data["bonus_threshold"] == 6
    students = {s["username"]: s for s in data["students"]}
    assert len(students) == 6
    assert students["alice"]["final_grade"] == "B"
    assert students["alice"]["explanation"].endswith("7 bonus points >= 6: one step up to B")
    assert students["alice"]["assignments"][3] == {
        "number": 4,
        "passed": True,
        "bonus": 7,
        "completed_on": "2026-05-18",
    }
    assert students["bob"]["status"] == "failed"


def test_the_command_writes_json_to_a_file(course: Course, graded: None, tmp_path: Path) -> None:
    target = tmp_path / "grades.json"
    call_command("export_grades", course.code, "--format", "json", "--output", str(target), stderr=io.StringIO())
    data = json.loads(target.read_text())
    assert data["course"] == "DD2424"
    assert {s["username"] for s in data["students"]} >= {"alice", "bob", "quinn0000"}


def test_the_command_refuses_an_unknown_course(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="No course"):
        call_command("export_grades", "XX0000")


def test_the_api_schema_describes_the_grading_endpoints() -> None:
    schema = SchemaGenerator(patterns=grading_urls.urlpatterns).get_schema(request=None, public=True)
    assert "/api/courses/{code}/grading/gradebook/" in schema["paths"]
    assert {"GradingGradebook", "GradingStudent", "GradingChange"} <= set(schema["components"]["schemas"])


def test_the_grading_serializers_keep_unique_names_in_the_whole_api_schema(client_for, examiner: User) -> None:
    response = client_for(examiner).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "GradingStudent" in json.loads(response.content)["components"]["schemas"]
