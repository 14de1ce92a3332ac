"""The Canvas file, row by row: Canvas's import format with every identity column filled from Canvas's own export,
the assignments named exactly as in Canvas (the examiner's mapping), values per Canvas's grading type."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursesite.models import AuditLog, Course, User
from grading.models import CanvasColumn, CanvasStudent

from .grading_results import ResultsBuilder, make_students

pytestmark = pytest.mark.django_db

# What Canvas's "Export entire gradebook" gives (its shape; the names and ids of this course's Canvas site).
CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (5101),Assignment 2 (5102),Assignment 3 (5103),"
    "Assignment 4 (5104),Final mark (5200),Current Score,Final Score\r\n"
    "    Points Possible,,,,,10.00,10.00,10.00,10.00,,(read only),(read only)\r\n"
    '"Student, Alice",901,u1alice,alice@example.edu,DD2424 VT26 Group A,,,,,,0,0\r\n'
    '"Student, Bob",902,u1bob,bob,DD2424 VT26 Group B,,,,,,0,0\r\n'
    '"Somebody, Else",903,u1else,else@example.edu,DD2424 VT26 Group B,,,,,,0,0\r\n'
    '"Student, Test",999,,,DD2424 VT26 Group A,,,,,,0,0\r\n'
)


@pytest.fixture
def graded(course: Course, student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> User:
    results.all_passed(student, bonus=7, last_on=day)
    results.exam_grade(student, "C", on=day)
    results.review(other_student, 1, on=day)
    results.review(other_student, 2, passed=False, on=day)
    results.exam_grade(other_student, "Fx", on=day)
    quinn = make_students(course, 1, prefix="quinn")[0]
    results.save()
    return quinn


def _upload(client, course: Course) -> None:  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("canvas.csv", CANVAS_EXPORT.encode(), content_type="text/csv")
    response = client.post(f"/c/{course.code}/grades/canvas/", {"action": "roster", "canvas_export": upload})
    assert response.status_code == 302


def _lines(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_canvas_file_fills_every_column_from_canvas_and_names_the_columns_as_canvas_does(
    client_for, course: Course, examiner: User, graded: User
) -> None:
    client = client_for(examiner)
    _upload(client, course)
    page = client.get(f"/c/{course.code}/grades/canvas/").content.decode()
    assert "Canvas knows 2 of the students; not students here: Somebody, Else." in page
    assert "<strong>Student QUINN0000</strong> (quinn0000): Canvas does not know this student" in page
    # The upload mapped the columns whose names match; the examiner sets the rest once.
    assert CanvasColumn.objects.get(course=course, item="assignment:1").name == "Assignment 1 (5101)"
    response = client.post(
        f"/c/{course.code}/grades/canvas/",
        {
            "action": "columns",
            "name_assignment:1": "Assignment 1 (5101)",
            "kind_assignment:1": "pass_fail",
            "name_assignment:2": "Assignment 2 (5102)",
            "kind_assignment:2": "points",
            "points_assignment:2": "10",
            "name_assignment:3": "Assignment 3 (5103)",
            "kind_assignment:3": "pass_fail",
            "name_assignment:4": "Assignment 4 (5104)",
            "kind_assignment:4": "pass_fail",
            "name_bonus": "",  # not in Canvas: left out
            "kind_bonus": "points",
            "name_module": "",
            "kind_module": "letter_grade",
            "name_final": "Final mark (5200)",
            "kind_final": "letter_grade",
        },
    )
    assert response.status_code == 302

    text = client.get(f"/c/{course.code}/grades/export/canvas/").content.decode()

    assert _lines(text) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + ["Assignment 1 (5101)", "Assignment 2 (5102)", "Assignment 3 (5103)", "Assignment 4 (5104)"]
        + ["Final mark (5200)"],
        ["Points Possible", "", "", "", "", "", "10", "", "", ""],
        ["Student, Alice", "901", "u1alice", "alice@example.edu", "DD2424 VT26 Group A"]
        + ["complete", "10", "complete", "complete", "B"],
        ["Student, Bob", "902", "u1bob", "bob", "DD2424 VT26 Group B", "complete", "0", "", "", ""],
    ]
    assert CanvasStudent.objects.filter(course=course).count() == 2
    assert AuditLog.objects.filter(action="canvas_column.set").exists()


def test_without_canvas_s_export_no_row_goes_out_half_filled(
    client_for, course: Course, examiner: User, graded: User
) -> None:
    client = client_for(examiner)
    text = client.get(f"/c/{course.code}/grades/export/canvas/").content.decode()
    assert len(_lines(text)) == 1  # the header only
    page = client.get(f"/c/{course.code}/grades/canvas/").content.decode()
    assert "Left out of the file (3)" in page
    assert "no Canvas gradebook export yet" in page


def test_a_mapping_canvas_cannot_take_is_refused_with_a_message(
    client_for, course: Course, examiner: User, graded: User
) -> None:
    client = client_for(examiner)
    response = client.post(
        f"/c/{course.code}/grades/canvas/",
        {"action": "columns", "name_bonus": "Bonus (77)", "kind_bonus": "letter_grade"},
    )
    assert response.status_code == 400
    assert "bonus: Canvas can take this item as points." in response.content.decode()
    response = client.post(
        f"/c/{course.code}/grades/canvas/",
        {"action": "columns", "name_assignment:1": "A1 (1)", "kind_assignment:1": "points"},
    )
    assert response.status_code == 400
    assert "give the points possible" in response.content.decode()
    assert not CanvasColumn.objects.exists()


def test_a_file_that_is_not_canvas_s_export_is_refused_in_words(
    client_for, course: Course, examiner: User, graded: User
) -> None:
    upload = SimpleUploadedFile("roster.csv", b"username,full_name\nalice,Alice\n", content_type="text/csv")
    response = client_for(examiner).post(
        f"/c/{course.code}/grades/canvas/", {"action": "roster", "canvas_export": upload}
    )
    assert response.status_code == 400
    assert "This is not Canvas&#x27;s gradebook export: the first row lacks the columns Student, ID" in (
        response.content.decode()
    )


def test_a_ta_sees_the_mapping_but_cannot_change_it(client_for, course: Course, ta: User, graded: User) -> None:
    client = client_for(ta)
    assert client.get(f"/c/{course.code}/grades/canvas/").status_code == 200
    response = client.post(f"/c/{course.code}/grades/canvas/", {"action": "columns"})
    assert response.status_code == 403
