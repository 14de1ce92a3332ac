"""The student records export (personal identity numbers) is the examiner's: a TA gets it on no route, page or
API, while keeping the gradebook and the other exports."""

import datetime as dt

import pytest

from coursesite.models import Course, User
from grading import urls as grading_urls

from .grading_results import ResultsBuilder

pytestmark = pytest.mark.django_db

PERSONAL_ID = "19811218-9876"  # valid: the Tax Agency's example number


@pytest.fixture
def graded(course: Course, student: User, results: ResultsBuilder, day: dt.date) -> None:
    student.personal_id = PERSONAL_ID
    student.save(update_fields=["personal_id"])
    results.all_passed(student, bonus=2, last_on=day - dt.timedelta(days=10))
    results.exam_grade(student, "C", on=day)
    results.save()


# Every GET route of grading, as a TA sees it (the others are the examiner's POSTs, refused to TAs already).
TA_ROUTES = {
    "home": "/c/DD2424/grades/",
    "export": "/c/DD2424/grades/export/{fmt}/",
    "student": "/c/DD2424/grades/students/alice/",
    "records": "/c/DD2424/grades/records/",
    "canvas": "/c/DD2424/grades/canvas/",
    "review": "/c/DD2424/grades/review/",
    "api_gradebook": "/api/courses/DD2424/grading/gradebook/",
    "api_own": "/api/courses/DD2424/grading/me/",
}
POST_ONLY = {"settings", "finalise", "change", "api_finalise"}


def test_every_grading_route_is_considered() -> None:
    assert {p.name for p in grading_urls.urlpatterns} == set(TA_ROUTES) | POST_ONLY


def test_a_ta_gets_no_personal_identity_number_on_any_route(client_for, course, ta, graded) -> None:
    client = client_for(ta)
    assert client.get("/c/DD2424/grades/export/ladok/").status_code == 403
    assert client.get("/c/DD2424/grades/records/").status_code == 403
    for name, url in TA_ROUTES.items():
        for fmt in ("ladok", "canvas", "json") if name == "export" else ("",):
            response = client.get(url.format(fmt=fmt))
            assert PERSONAL_ID not in response.content.decode(), (name, fmt)
    page = client.get("/c/DD2424/grades/").content.decode()
    assert "grades/export/ladok/" not in page and "grades/records/" not in page


def test_a_ta_keeps_the_gradebook_and_the_other_exports(client_for, course, ta, graded) -> None:
    client = client_for(ta)
    assert client.get("/c/DD2424/grades/").status_code == 200
    assert client.get("/c/DD2424/grades/students/alice/").status_code == 200
    assert client.get("/api/courses/DD2424/grading/gradebook/").status_code == 200
    for fmt in ("canvas", "json"):
        assert client.get(f"/c/DD2424/grades/export/{fmt}/").status_code == 200


def test_the_examiner_downloads_the_records_export(client_for, course, examiner, graded) -> None:
    client = client_for(examiner)
    assert "grades/records/" in client.get("/c/DD2424/grades/").content.decode()
    response = client.get("/c/DD2424/grades/export/ladok/")
    assert response.status_code == 200 and PERSONAL_ID in response.content.decode()
