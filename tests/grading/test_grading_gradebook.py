"""The staff gradebook: every student with the four assignments, project or exam, bonus and final grade."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursesite.models import Course, Role, User
from grading.selectors import gradebook

from .grading_results import ResultsBuilder, make_students

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(course: Course, student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> None:
    results.all_passed(student, bonus=7, last_on=day - dt.timedelta(days=10))
    results.exam_grade(student, "C", on=day)
    results.review(other_student, 1, on=day)
    results.review(other_student, 2, passed=False, on=day)
    results.save()


def test_it_combines_every_module_into_the_final_grade(
    course: Course, student: User, other_student: User, graded: None, day: dt.date
) -> None:
    book = gradebook(course=course)
    alice, bob = book.rows
    assert alice.student == student
    assert alice.final_grade == "B"
    assert alice.bonus == 7
    assert alice.outcome.module.code == "TEN1"
    assert alice.explanation.startswith("Exam C")
    assert alice.explanation.endswith("7 bonus points >= 6: one step up to B")
    assert bob.final_grade is None and bob.status == "pending"
    assert [n for n, _ in bob.cells] == [1, 2, 3, 4]
    assert [r.passed if r else None for _, r in bob.cells] == [True, False, None, None]


def test_a_project_member_not_confirmed_at_the_oral_gets_no_group_grade(
    course: Course, results: ResultsBuilder, day: dt.date
) -> None:
    members = make_students(course, 3, prefix="p")
    for member in members:
        results.all_passed(member, last_on=day)
    results.project_grade(members, "A", on=day, unconfirmed=[members[2]])
    results.save()
    rows = {row.student.username: row for row in gradebook(course=course).rows}
    assert rows["p0000"].final_grade == "A"
    assert rows["p0000"].outcome.module.code == "PRO1"
    assert rows["p0002"].final_grade is None
    assert "not confirmed" in rows["p0002"].explanation


def test_the_staff_page_lists_every_student_and_links_each_grade_to_its_explanation(
    client_for, course: Course, examiner: User, student: User, graded: None
) -> None:
    response = client_for(examiner).get(f"/c/{course.code}/grades/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Student" in html and "Bob Student" in html
    assert f'href="/c/{course.code}/grades/students/alice/"' in html
    assert "TEN1 C" in html
    assert "<strong>B</strong>" in html


def test_a_ta_sees_the_gradebook_too(client_for, course: Course, ta: User, graded: None) -> None:
    assert client_for(ta).get(f"/c/{course.code}/grades/").status_code == 200
    assert client_for(ta).get(f"/c/{course.code}/grades/students/alice/").status_code == 200


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=graded", "Alice Student", "Bob Student"),
        ("status=pending", "Bob Student", "Alice Student"),
        ("grade=B", "Alice Student", "Bob Student"),
        ("grade=none", "Bob Student", "Alice Student"),
        ("q=bob", "Bob Student", "Alice Student"),
    ],
)
def test_the_gradebook_filters(
    client_for, course: Course, examiner: User, graded: None, query: str, shown: str, hidden: str
) -> None:
    html = client_for(examiner).get(f"/c/{course.code}/grades/?{query}").content.decode()
    assert shown in html
    assert hidden not in html


def test_the_student_page_shows_the_breakdown_to_staff(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    html = client_for(examiner).get(f"/c/{course.code}/grades/students/alice/").content.decode()
    assert "Exam (TEN1)" in html
    assert "7 bonus points &gt;= 6: one step up to B" in html


def test_it_answers_404_for_someone_who_is_not_a_student_of_the_course(
    client_for, course: Course, examiner: User, outsider: User
) -> None:
    assert client_for(examiner).get(f"/c/{course.code}/grades/students/charlie/").status_code == 404


def test_an_outsider_cannot_see_the_gradebook(client_for, course: Course, outsider: User) -> None:
    assert client_for(outsider).get(f"/c/{course.code}/grades/").status_code == 404


def _queries_for(course: Course, examiner: User, client_for, count: int, day: dt.date) -> tuple[int, int]:
    builder = ResultsBuilder(course, examiner)
    already = course.memberships.filter(role=Role.STUDENT).count()
    for i, user in enumerate(make_students(course, count - already, prefix=f"n{count}-"), start=already):
        builder.all_passed(user, bonus=i % 9, last_on=day)
        if i % 3 == 0:
            builder.exam_grade(user, "ABCDEF"[i % 6], on=day)
    builder.save()
    with CaptureQueriesContext(connection) as selector:
        gradebook(course=course)
    client = client_for(examiner)
    with CaptureQueriesContext(connection) as page:
        assert client.get(f"/c/{course.code}/grades/").status_code == 200
    return len(selector), len(page)


def test_the_number_of_queries_does_not_grow_with_the_number_of_students(
    client_for, course: Course, examiner: User, results: ResultsBuilder, day: dt.date
) -> None:
    members = make_students(course, 3, prefix="g")
    results.project_grade(members, "B", on=day)
    results.save()
    ten = _queries_for(course, examiner, client_for, 10, day)
    fifty = _queries_for(course, examiner, client_for, 50, day)
    assert ten == fifty
