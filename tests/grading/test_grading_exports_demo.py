"""The demo course's Ladok and Canvas files, row by row, against what its reviews say (read here straight from
the reviews, not through the gradebook)."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from assignments.models import Review
from coursesite.demo import load_demo_course
from coursesite.models import User
from coursesite.personal_id import normalise

pytestmark = pytest.mark.django_db


def _reviews(course) -> dict[tuple[int, int], Review]:  # type: ignore[no-untyped-def]
    """The review of each student's latest reviewed submission of each assignment."""
    latest: dict[tuple[int, int], Review] = {}
    for review in Review.objects.filter(submission__assignment__course=course).order_by(
        "submission__submitted_at", "submission_id"
    ):
        latest[(review.submission.student_id, review.submission.assignment.number)] = review
    return latest


def _lines(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def demo():  # type: ignore[no-untyped-def]
    ctx = load_demo_course(start=timezone.localdate() - dt.timedelta(days=100))
    client = Client()
    client.force_login(User.objects.get(username="examiner"))
    return ctx, client


def test_the_demo_course_records_file_row_by_row(demo) -> None:  # type: ignore[no-untyped-def]
    ctx, client = demo
    reviews = _reviews(ctx.course)
    expected = []
    for student in sorted(ctx.students, key=lambda u: u.username):
        mine = [reviews.get((student.pk, n)) for n in range(1, 5)]
        if all(r is not None and r.final_passed for r in mine):
            day = max(r.decided_at for r in mine).astimezone(ctx.course.tz).date()
            pid = normalise(student.personal_id)
            expected.append([pid, student.full_name, "DD2424", "LAB1", "P", "P/F", day.isoformat(), "provisional"])
    assert len(expected) >= 3  # the demo has students who passed every assignment

    response = client.get("/c/DD2424/grades/export/ladok/")

    assert "PROVISIONAL" in response["Content-Disposition"]
    assert _lines(response.content.decode())[1:] == expected
    page = client.get("/c/DD2424/grades/records/").content.decode()
    assert "Not exported" not in page  # every demo student has an identity number
    assert f"<strong>0 new</strong>, <strong>0 changed</strong>, {len(expected)} already in an earlier file" in page

    assert client.post("/c/DD2424/grades/finalise/").status_code == 302
    final = _lines(client.get("/c/DD2424/grades/export/ladok/").content.decode())[1:]
    assert final == [row[:7] + ["final"] for row in expected]


def test_the_demo_course_canvas_file_row_by_row(demo) -> None:  # type: ignore[no-untyped-def]
    ctx, client = demo
    students = sorted(ctx.students, key=lambda u: u.username)
    canvas = ["Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (71),Assignment 2 (72),Assignment 3 (73)"]
    canvas[0] += ",Assignment 4 (74),Final mark (80)"
    for i, student in enumerate(students):
        section = "Lab group A" if i % 2 else "Lab group B"
        canvas.append(f'"{student.full_name[8:]}, Student",{700 + i},U{i:03},{student.username},{section},,,,,')
    upload = SimpleUploadedFile("export.csv", "\n".join(canvas).encode(), content_type="text/csv")
    assert client.post("/c/DD2424/grades/canvas/", {"action": "roster", "canvas_export": upload}).status_code == 302

    text = client.get("/c/DD2424/grades/export/canvas/").content.decode()

    reviews = _reviews(ctx.course)
    expected = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
        + [f"Assignment {n} ({70 + n})" for n in range(1, 5)]
        + ["Bonus points", "Project or exam grade", "Course grade with bonus"]
    ]
    for i, student in enumerate(students):
        cells, bonus = [], 0
        for n in range(1, 5):
            review = reviews.get((student.pk, n))
            cells.append("" if review is None else "complete" if review.final_passed else "incomplete")
            bonus += review.final_bonus if review is not None and review.final_passed else 0
        section = "Lab group A" if i % 2 else "Lab group B"
        identity = [f"{student.full_name[8:]}, Student", str(700 + i), f"U{i:03}", student.username, section]
        expected.append(identity + cells + [str(bonus), "", ""])
    assert _lines(text) == expected
    assert any(row[5] == "complete" for row in expected[1:]) and any(row[5] == "incomplete" for row in expected[1:])
