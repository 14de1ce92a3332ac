"""A student sees their own breakdown, the explanation of their grade and its history; nobody else's."""

import datetime as dt

import pytest

from coursesite.models import Course, User

from .grading_results import ResultsBuilder

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> None:
    results.all_passed(student, bonus=2, last_on=day - dt.timedelta(days=10))
    results.exam_grade(student, "D", on=day)
    results.all_passed(other_student, bonus=9, last_on=day)
    results.exam_grade(other_student, "A", on=day)
    results.save()


def test_a_student_sees_their_own_breakdown_and_explanation(
    client_for, course: Course, student: User, graded: None
) -> None:
    response = client_for(student).get(f"/c/{course.code}/grades/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "My grades" in html
    assert "Final grade: <strong>D</strong>" in html
    assert "2 bonus points &lt; 6: stays D" in html
    assert "Assignments 1, 2, 3 and 4 passed" in html
    assert "Bob" not in html


def test_a_student_cannot_open_another_students_page(client_for, course: Course, student: User, graded: None) -> None:
    assert client_for(student).get(f"/c/{course.code}/grades/students/bob/").status_code == 403


def test_a_student_cannot_download_exports(client_for, course: Course, student: User, graded: None) -> None:
    assert client_for(student).get(f"/c/{course.code}/grades/export/ladok/").status_code == 403


def test_the_student_api_answers_with_their_own_grade_only(
    client_for, course: Course, student: User, graded: None
) -> None:
    data = client_for(student).get(f"/api/courses/{course.code}/grading/me/").json()
    assert data["username"] == "alice"
    assert data["final_grade"] == "D"
    assert data["second_module"]["code"] == "TEN1"
    assert client_for(student).get(f"/api/courses/{course.code}/grading/gradebook/").status_code == 403


def test_a_student_with_no_results_sees_what_is_missing(client_for, course: Course, student: User) -> None:
    html = client_for(student).get(f"/c/{course.code}/grades/").content.decode()
    assert "No final grade yet" in html
    assert "assignments 1, 2, 3 and 4 not passed yet" in html


def test_the_navigation_links_to_the_grades(client_for, course: Course, student: User) -> None:
    html = client_for(student).get(f"/c/{course.code}/").content.decode()
    assert f'href="/c/{course.code}/grades/"' in html
