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
from grading import services
from grading import urls as grading_urls

from .grading_results import ResultsBuilder, make_students

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(course: Course, student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> None:
    results.all_passed(student, bonus=7, last_on=day - dt.timedelta(days=10))
    results.exam_grade(student, "C", on=day)
    results.all_passed(other_student, last_on=day - dt.timedelta(days=3))
    results.exam_grade(other_student, "Fx", on=day)
    members = make_students(course, 3, prefix="p")
    for member in members:
        results.all_passed(member, bonus=1, last_on=day - dt.timedelta(days=20))
    results.project_grade(members, "D", on=day + dt.timedelta(days=2))
    make_students(course, 1, prefix="quinn")  # no results at all
    results.review(members[0], 1, on=day)  # a resubmission, passed later: LAB1 is completed that day
    results.save()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_records_csv_has_one_row_per_student_and_module(
    client_for, course: Course, examiner: User, graded: None, day: dt.date
) -> None:
    response = client_for(examiner).get(f"/c/{course.code}/grades/export/ladok/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response.content.decode())
    got = {(r["personal_id_or_username"], r["module_code"]): (r["grade"], r["examination_date"]) for r in rows}
    assert got[("alice", "LAB1")] == ("P", (day - dt.timedelta(days=10)).isoformat())
    assert got[("alice", "TEN1")] == ("B", day.isoformat())
    assert got[("bob", "LAB1")] == ("P", (day - dt.timedelta(days=3)).isoformat())
    assert got[("bob", "TEN1")] == ("Fx", day.isoformat())
    assert got[("p0001", "PRO1")] == ("D", (day + dt.timedelta(days=2)).isoformat())
    assert got[("p0000", "LAB1")] == ("P", day.isoformat())
    assert got[("p0001", "LAB1")] == ("P", (day - dt.timedelta(days=20)).isoformat())
    assert not any(username == "quinn0000" for username, _ in got)
    assert {r["course_code"] for r in rows} == {"DD2424"}


def test_the_records_csv_holds_back_a_pass_whose_bonus_step_is_not_settled(
    course: Course, student: User, results: ResultsBuilder, day: dt.date
) -> None:
    results.review(student, 1, bonus=7, on=day)
    results.exam_grade(student, "C", on=day)
    results.save()
    out = io.StringIO()
    call_command("export_grades", course.code, "--format", "ladok", stdout=out)
    assert _rows(out.getvalue()) == []


def test_the_records_csv_reports_the_locked_grade(course: Course, examiner: User, student: User, graded: None) -> None:
    services.grades_finalise(course=course, by=examiner)
    final = student.final_grades.get()
    services.final_grade_change(final_grade=final, grade="A", reason="Exam question 2 regraded.", by=examiner)
    out = io.StringIO()
    call_command("export_grades", course.code, stdout=out)
    rows = {(r["personal_id_or_username"], r["module_code"]): r["grade"] for r in _rows(out.getvalue())}
    assert rows[("alice", "TEN1")] == "A"


def test_the_canvas_csv_has_the_columns_canvas_imports(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    text = client_for(examiner).get(f"/c/{course.code}/grades/export/canvas/").content.decode()
    header = next(csv.reader(io.StringIO(text)))
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:9] == ["Assignment 1", "Assignment 2", "Assignment 3", "Assignment 4"]
    assert "Final Grade" not in header  # read-only in Canvas: an import would ignore it
    rows = {r["SIS Login ID"]: r for r in _rows(text)}
    assert rows["alice"]["Student"] == "Alice Student"
    assert rows["alice"]["Assignment 4"] == "complete"
    assert rows["alice"]["Bonus points"] == "7"
    assert rows["alice"]["Project or exam grade"] == "C"
    assert rows["alice"]["Course grade with bonus"] == "B"
    assert rows["quinn0000"]["Assignment 1"] == ""
    assert rows["bob"]["Course grade with bonus"] == ""


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


def test_the_records_csv_uses_the_identity_number_from_the_roster_when_there_is_one(
    client_for, course: Course, examiner: User, student: User, graded: None
) -> None:
    student.personal_id = "19990101-1234"
    student.save()

    rows = _rows(client_for(examiner).get(f"/c/{course.code}/grades/export/ladok/").content.decode())

    people = {r["personal_id_or_username"] for r in rows}
    assert "19990101-1234" in people
    assert "alice" not in people
    assert "bob" in people  # no number on the roster: the login name
