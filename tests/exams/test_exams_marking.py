"""Marking: TAs record Part I and Part II; the grade follows the examiner's thresholds and reaches the final grade."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursesite.models import AuditLog, Role, User
from coursesite.results import ModuleResult
from exams import selectors, services
from exams.models import Exam
from tests.support import make_member

from .conftest import local, pdf, seat

DAY = dt.date(2026, 5, 25)


@pytest.fixture
def handed_in(exam: Exam, examiner: User, student: User, clock):  # type: ignore[no-untyped-def]
    sitting = seat(exam, student, DAY, local(2026, 5, 25, 15), examiner)
    clock(local(2026, 5, 25, 12))
    services.answer_upload(sitting=sitting, upload=pdf(), by=student)
    return sitting


def test_a_ta_marks_on_the_page_and_the_grade_follows(exam: Exam, ta: User, handed_in, client_for) -> None:
    tara = client_for(ta)
    page = tara.get("/c/DD2424/exams/marking/").content.decode()
    assert "Alice Student" in page
    response = tara.post(
        "/c/DD2424/exams/marking/", {"sitting": handed_in.pk, "part1_points": "14", "part2_points": "27.5"}
    )
    assert response.status_code == 302
    assert selectors.exam_results(course=exam.course)[handed_in.student_id] == ModuleResult(
        grade="B",
        completed_on=DAY,
        note="Part I passed (14.0 points, 12.0 needed); Part II 27.5 points, 26.0 needed for B.",
    )
    assert AuditLog.objects.get(action="exam_mark.record").data["grade"] == "B"
    assert "<strong>B</strong>" in tara.get("/c/DD2424/exams/marking/").content.decode()


def test_part1_just_below_the_threshold_gives_fx_through_the_api(exam: Exam, ta: User, handed_in, client_for) -> None:
    url = f"/api/courses/DD2424/exams/sittings/{handed_in.pk}/mark/"
    response = client_for(ta).put(url, {"part1_points": "10.5", "part2_points": "30"}, content_type="application/json")
    assert response.status_code == 200, response.content
    rows = client_for(ta).get("/api/courses/DD2424/exams/sittings/").json()
    assert rows[0]["grade"] == "Fx"
    assert rows[0]["answer"]["pages"] == 1


def test_changing_the_thresholds_regrades_the_marked_exams(exam: Exam, examiner: User, ta: User, handed_in) -> None:
    services.mark_record(sitting=handed_in, part1_points=Decimal(14), part2_points=Decimal(20), by=ta)
    assert selectors.exam_results(course=exam.course)[handed_in.student_id].grade == "C"
    services.exam_update(exam=exam, by=examiner, grade_c=Decimal(22), grade_b=Decimal(26))
    assert selectors.exam_results(course=exam.course)[handed_in.student_id].grade == "D"


def test_pass_fail_part1(exam: Exam, examiner: User, ta: User, handed_in, client_for) -> None:
    services.exam_update(exam=exam, by=examiner, part1_marking="pass_fail")
    response = client_for(ta).post(
        "/c/DD2424/exams/marking/", {"sitting": handed_in.pk, "part1_passed": "fail", "part2_points": "40"}
    )
    assert response.status_code == 302
    assert selectors.exam_results(course=exam.course)[handed_in.student_id].grade == "F"


def test_points_outside_the_range_are_refused(exam: Exam, ta: User, handed_in, client_for) -> None:
    response = client_for(ta).post(
        "/c/DD2424/exams/marking/", {"sitting": handed_in.pk, "part1_points": "25", "part2_points": "3"}
    )
    assert response.status_code == 400
    assert "Part I points must be between 0 and 20.0" in response.content.decode()
    response = client_for(ta).post(
        "/c/DD2424/exams/marking/", {"sitting": handed_in.pk, "part1_points": "lots", "part2_points": "3"}
    )
    assert response.status_code == 400
    assert selectors.exam_results(course=exam.course) == {}


def test_students_cannot_mark(exam: Exam, student: User, handed_in, client_for) -> None:
    assert client_for(student).get("/c/DD2424/exams/marking/").status_code == 403
    url = f"/api/courses/DD2424/exams/sittings/{handed_in.pk}/mark/"
    assert client_for(student).put(url, {"part1_points": "20"}, content_type="application/json").status_code == 403


def test_there_is_nothing_to_mark_without_an_answer(exam: Exam, examiner: User, ta: User, other_student: User) -> None:
    sitting = seat(exam, other_student, DAY, local(2026, 5, 25, 15), examiner)
    with pytest.raises(ValidationError, match="no answer to mark"):
        services.mark_record(sitting=sitting, part1_points=Decimal(15), part2_points=Decimal(0), by=ta)


def test_exam_results_take_the_same_queries_for_many_students(exam: Exam, examiner: User, ta: User, clock) -> None:
    def mark_one(index: int) -> None:
        s = make_member(exam.course, f"m{index}", Role.STUDENT)
        sitting = seat(exam, s, DAY, local(2026, 5, 25, 15), examiner)
        clock(local(2026, 5, 25, 12))
        services.answer_upload(sitting=sitting, upload=pdf(f"m{index}"), by=s)
        services.mark_record(sitting=sitting, part1_points=Decimal(12 + index), part2_points=Decimal(0), by=ta)

    mark_one(0)
    with CaptureQueriesContext(connection) as one:
        selectors.exam_results(course=exam.course)
    for index in range(1, 5):
        mark_one(index)
    with CaptureQueriesContext(connection) as five:
        results = selectors.exam_results(course=exam.course)
    assert len(results) == 5
    assert len(five) == len(one) == 2
