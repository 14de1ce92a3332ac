"""Each student chooses the project or the exam, and can change it until the examiner's cutoff."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursesite.models import AuditLog, Course, Role, User
from exams import selectors, services
from exams.models import Exam
from tests.support import make_member

from .conftest import local


def test_a_student_chooses_and_changes_until_the_cutoff_second(exam: Exam, student: User, client_for, clock) -> None:
    alice = client_for(student)
    clock(exam.choice_cutoff - dt.timedelta(days=3))
    assert alice.post("/c/DD2424/exams/choice/", {"choice": "exam"}).status_code == 302
    clock(exam.choice_cutoff - dt.timedelta(seconds=1))
    response = alice.put("/api/courses/DD2424/exams/choice/", {"choice": "project"}, content_type="application/json")
    assert response.status_code == 200
    assert selectors.module_choices(course=exam.course) == {student.pk: "project"}

    clock(exam.choice_cutoff)
    response = alice.post("/c/DD2424/exams/choice/", {"choice": "exam"})
    assert response.status_code == 400
    assert "The choice between project and exam closed at Mon 13 Apr 2026, 23:59 CEST" in response.content.decode()
    assert selectors.module_choices(course=exam.course) == {student.pk: "project"}
    assert [e.data["choice"] for e in AuditLog.objects.filter(action="module.choose").order_by("id")] == [
        "exam",
        "project",
    ]


def test_staff_and_outsiders_cannot_choose(exam: Exam, ta: User, outsider: User, client_for, clock) -> None:
    clock(local(2026, 4, 1))
    assert client_for(ta).post("/c/DD2424/exams/choice/", {"choice": "exam"}).status_code == 403
    assert client_for(outsider).post("/c/DD2424/exams/choice/", {"choice": "exam"}).status_code == 404
    assert selectors.module_choices(course=exam.course) == {}


def test_a_nonsense_choice_is_refused_with_words(exam: Exam, student: User, client_for, clock) -> None:
    clock(local(2026, 4, 1))
    response = client_for(student).post("/c/DD2424/exams/choice/", {"choice": "both"})
    assert response.status_code == 400
    assert "Choose either the project or the exam." in response.content.decode()


def test_staff_see_the_counts(
    exam: Exam, examiner: User, student: User, other_student: User, client_for, clock
) -> None:
    clock(local(2026, 4, 1))
    services.module_choose(course=exam.course, student=student, choice="exam")
    services.module_choose(course=exam.course, student=other_student, choice="project")
    make_member(exam.course, "dave", Role.STUDENT)
    page = client_for(examiner).get("/c/DD2424/exams/").content.decode()
    assert "1 chose the exam, 1 the project, 1 undecided" in page


def test_the_examiner_sets_the_cutoff_on_the_page(exam: Exam, examiner: User, client_for) -> None:
    data = {
        "choice_cutoff": "2026-04-20T12:00",
        "part1_marking": "points",
        "part1_max": "20",
        "part1_pass": "12",
        "fx_margin": "2",
        "part2_max": "40",
        "grade_d": "10",
        "grade_c": "18",
        "grade_b": "26",
        "grade_a": "34",
    }
    assert client_for(examiner).post("/c/DD2424/exams/settings/", data).status_code == 302
    exam.refresh_from_db()
    assert exam.choice_cutoff == local(2026, 4, 20, 12)
    response = client_for(examiner).post("/c/DD2424/exams/settings/", {**data, "grade_c": "30"})
    assert response.status_code == 400
    assert "must rise from D to A" in response.content.decode()


def test_module_choices_reads_all_students_in_one_query(course: Course, clock) -> None:
    clock(local(2026, 4, 1))
    students = [make_member(course, f"s{i}", Role.STUDENT) for i in range(6)]
    for index, s in enumerate(students):
        services.module_choose(course=course, student=s, choice="exam" if index % 2 else "project")
    with CaptureQueriesContext(connection) as queries:
        choices = selectors.module_choices(course=course)
    assert len(queries) == 1
    assert choices == {s.pk: ("exam" if i % 2 else "project") for i, s in enumerate(students)}


@pytest.mark.parametrize("switch_to", ["project"])
def test_switching_to_the_project_gives_up_the_exam_seat_but_not_after_handing_in(
    exam: Exam, examiner: User, student: User, clock, switch_to
) -> None:
    from exams.models import Sitting

    from .conftest import pdf, seat

    sitting = seat(exam, student, dt.date(2026, 3, 20), local(2026, 3, 20, 15), examiner)
    clock(local(2026, 3, 20, 11))
    services.answer_upload(sitting=sitting, upload=pdf(), by=student)
    with pytest.raises(Exception, match="already handed in"):
        services.module_choose(course=exam.course, student=student, choice=switch_to)
    sitting.answer.delete()
    services.module_choose(course=exam.course, student=student, choice=switch_to)
    assert not Sitting.objects.filter(student=student).exists()
