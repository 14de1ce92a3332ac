"""The examiner's grading settings: the bonus threshold and what a final grade requires."""

import datetime as dt

import pytest

from coursesite.models import AuditLog, Course, User
from grading.models import GradingSettings
from grading.selectors import gradebook

from .grading_results import ResultsBuilder

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(student: User, results: ResultsBuilder, day: dt.date) -> None:
    results.review(student, 1, bonus=4, on=day)
    results.review(student, 2, on=day)
    results.review(student, 3, on=day)
    results.exam_grade(student, "D", on=day)
    results.save()


def test_a_course_starts_with_the_default_settings(course: Course, graded: None) -> None:
    book = gradebook(course=course)
    assert (book.policy.bonus_threshold, book.policy.assignments_required) == (6, 4)
    assert book.rows[0].final_grade is None
    assert not GradingSettings.objects.exists()


def test_the_examiner_changes_the_threshold_and_the_gradebook_follows(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    data = {"bonus_threshold": "4", "assignments_required": "3", "require_assignments_for_final": "on"}
    response = client_for(examiner).post(f"/c/{course.code}/grades/settings/", data)
    assert response.status_code == 302
    row = gradebook(course=course).rows[0]
    assert row.final_grade == "C"
    assert row.explanation.endswith("4 bonus points >= 4: one step up to C")
    audit = AuditLog.objects.get(action="grading_settings.update")
    assert audit.data["before"]["bonus_threshold"] == 6
    assert audit.data["after"]["bonus_threshold"] == 4


def test_the_examiner_may_report_a_final_grade_without_the_assignments(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    data = {"bonus_threshold": "6", "assignments_required": "4"}  # the checkbox left unticked
    client_for(examiner).post(f"/c/{course.code}/grades/settings/", data)
    assert gradebook(course=course).rows[0].final_grade == "D"


def test_it_refuses_a_threshold_of_zero_and_saves_nothing(
    client_for, course: Course, examiner: User, graded: None
) -> None:
    client = client_for(examiner)
    data = {"bonus_threshold": "0", "assignments_required": "4", "require_assignments_for_final": "on"}
    response = client.post(f"/c/{course.code}/grades/settings/", data, follow=True)
    assert "Nothing was saved" in response.content.decode()
    assert not GradingSettings.objects.exists()
    assert not AuditLog.objects.filter(action="grading_settings.update").exists()


def test_a_ta_cannot_change_the_settings(client_for, course: Course, ta: User) -> None:
    data = {"bonus_threshold": "1", "assignments_required": "0"}
    assert client_for(ta).post(f"/c/{course.code}/grades/settings/", data).status_code == 403
    assert not GradingSettings.objects.exists()


def test_the_ta_does_not_see_the_examiners_forms(client_for, course: Course, ta: User) -> None:
    html = client_for(ta).get(f"/c/{course.code}/grades/").content.decode()
    assert "Gradebook" in html
    assert "Grading settings" not in html
    assert "Finalise" not in html
