"""The examiner finalises the grades in a browser, changes one with a reason; the student reads it on a phone."""

import datetime as dt

import pytest

from coursesite.models import Course, User
from tests.grading.grading_results import ResultsBuilder

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_examiner_locks_and_changes_a_grade_and_the_student_sees_why(
    live_server, page, new_page, artifacts, course: Course, examiner: User, student: User, other_student: User
) -> None:
    day = dt.date(2026, 5, 28)
    results = ResultsBuilder(course, examiner)
    results.all_passed(student, bonus=7, last_on=day)
    results.exam_grade(student, "C", on=day)
    results.review(other_student, 1, on=day)
    results.save()

    sign_in(page, live_server.url, "examiner")
    page.click("header nav >> text=Grades")
    assert "<strong>B</strong>" in page.inner_html("table")
    page.screenshot(path=str(artifacts / "grading-gradebook.png"), full_page=True)
    page.click("text=Finalise and lock the grades")
    assert "Final grades locked for 2 students." in page.inner_text(".messages")

    page.get_by_role("link", name="B", exact=True).click()
    page.select_option("#id_grade", "A")
    page.fill("#id_reason", "Exam question 3 regraded after review.")
    page.click("text=Change the grade")
    assert "was changed" in page.inner_text(".messages")

    phone = new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, live_server.url, "alice")
    phone.goto(f"{live_server.url}/c/{course.code}/grades/")
    text = phone.inner_text("main")
    assert "Final grade: A" in text
    assert "changed from B to A" in text
    assert "locked as B" in text
    assert "rules give" not in text  # the examiner's change is deliberate; only staff see the rules' grade
    assert "Exam question 3 regraded after review." in text
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(artifacts / "grading-student-phone.png"), full_page=True)
