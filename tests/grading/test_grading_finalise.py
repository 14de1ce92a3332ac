"""Finalising: the examiner locks the final grades; a later change needs a reason, is audited and kept in history."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from coursesite.models import AuditLog, Course, User
from grading import services
from grading.models import FinalGrade, FinalGradeChange, GradingSettings
from grading.selectors import gradebook
from tests.support import make_member

from .grading_results import ResultsBuilder


@pytest.fixture
def graded(student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> None:
    results.all_passed(student, bonus=7, last_on=day)
    results.exam_grade(student, "C", on=day)
    results.review(other_student, 1, on=day)
    results.save()


@pytest.mark.django_db
def test_finalising_locks_every_students_grade_as_it_is(
    client_for, course: Course, examiner: User, student: User, graded: None
) -> None:
    response = client_for(examiner).post(f"/c/{course.code}/grades/finalise/")
    assert response.status_code == 302
    locked = {f.student.username: f for f in FinalGrade.objects.filter(course=course)}
    assert locked["alice"].grade == "B"
    assert locked["alice"].module_code == "TEN1"
    assert locked["alice"].explanation.endswith("one step up to B")
    assert locked["bob"].grade == ""
    assert GradingSettings.objects.get(course=course).finalised_by == examiner
    audit = AuditLog.objects.get(action="final_grade.finalise")
    assert audit.data["locked"] == 2


@pytest.mark.django_db
def test_a_locked_grade_stays_when_results_change_and_the_difference_shows(
    client_for, course: Course, examiner: User, student: User, graded: None
) -> None:
    services.grades_finalise(course=course, by=examiner)
    services.grading_settings_update(
        course=course, by=examiner, bonus_threshold=10, assignments_required=4, require_assignments_for_final=True
    )
    row = gradebook(course=course).rows[0]
    assert row.final_grade == "B"
    assert row.outcome.grade == "C"
    assert row.differs_from_policy
    html = client_for(examiner).get(f"/c/{course.code}/grades/?status=changed").content.decode()
    assert "policy now gives C" in html


@pytest.mark.django_db
def test_a_change_of_a_locked_grade_needs_a_reason(course: Course, examiner: User, student: User, graded: None) -> None:
    services.grades_finalise(course=course, by=examiner)
    locked = FinalGrade.objects.get(student=student)
    with pytest.raises(ValidationError) as refused:
        services.final_grade_change(final_grade=locked, grade="A", reason="  ", by=examiner)
    assert "Write why" in str(refused.value)
    locked.refresh_from_db()
    assert locked.grade == "B"
    assert not FinalGradeChange.objects.exists()


@pytest.mark.django_db
def test_a_change_is_audited_and_shows_in_the_students_history(
    client_for, course: Course, examiner: User, student: User, graded: None
) -> None:
    services.grades_finalise(course=course, by=examiner)
    response = client_for(examiner).post(
        f"/c/{course.code}/grades/students/alice/change/", {"grade": "A", "reason": "Regraded exam question 3."}
    )
    assert response.status_code == 302
    locked = FinalGrade.objects.get(student=student)
    assert locked.grade == "A"
    audit = AuditLog.objects.get(action="final_grade.change")
    assert audit.data == {"student": "alice", "old_grade": "B", "new_grade": "A", "reason": "Regraded exam question 3."}
    html = client_for(student).get(f"/c/{course.code}/grades/").content.decode()
    assert "Final grade: <strong>A</strong>" in html
    assert "changed from B to A" in html
    assert "Regraded exam question 3." in html


@pytest.mark.django_db
def test_the_change_form_refuses_a_missing_reason_with_a_400(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    services.grades_finalise(course=course, by=examiner)
    response = client_for(examiner).post(f"/c/{course.code}/grades/students/alice/change/", {"grade": "A"})
    assert response.status_code == 400
    assert FinalGrade.objects.get(student__username="alice").grade == "B"


@pytest.mark.django_db
def test_it_refuses_a_change_to_the_same_grade(course: Course, examiner: User, student: User, graded: None) -> None:
    services.grades_finalise(course=course, by=examiner)
    with pytest.raises(ValidationError, match="already B"):
        services.final_grade_change(
            final_grade=FinalGrade.objects.get(student=student), grade="B", reason="no change", by=examiner
        )


@pytest.mark.django_db
def test_only_the_examiner_finalises_and_changes(client_for, course: Course, ta: User, graded: None) -> None:
    assert client_for(ta).post(f"/c/{course.code}/grades/finalise/").status_code == 403
    assert not FinalGrade.objects.exists()
    assert client_for(ta).post(f"/api/courses/{course.code}/grading/finalise/").status_code == 403


@pytest.mark.django_db
def test_finalising_again_locks_only_students_added_since(
    course: Course, examiner: User, student: User, graded: None
) -> None:
    assert services.grades_finalise(course=course, by=examiner) == 2
    make_member(course, "dora", "student")
    assert services.grades_finalise(course=course, by=examiner) == 1
    assert FinalGrade.objects.filter(course=course).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_parallel_finalisations_lock_each_student_once(course: Course, examiner: User, graded: None) -> None:
    assert connection.vendor == "postgresql"  # the proof needs real row locks (the test command runs PostgreSQL)
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def finalise() -> None:
        try:
            barrier.wait()
            counts.append(services.grades_finalise(course=course, by=examiner))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalise) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(counts) == [0, 2]
    assert FinalGrade.objects.filter(course=course).count() == 2


@pytest.mark.django_db
def test_the_api_finalises_for_the_examiner(client_for, course: Course, examiner: User, graded: None) -> None:
    response = client_for(examiner).post(f"/api/courses/{course.code}/grading/finalise/")
    assert response.status_code == 200
    assert response.json() == {"locked": 2}
