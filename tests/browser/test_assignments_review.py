"""A student uploads code and a PDF; a TA claims and passes it with bonus; the student sees Pass and the bonus."""

import datetime as dt

import pytest
from django.utils import timezone

from assignments.models import Assignment
from coursesite.models import Course, Role
from coursesite.uploads import minimal_pdf
from tests.support import make_member

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_student_submits_a_ta_passes_it_with_bonus_and_the_student_sees_it(
    live_server, page, new_page, artifacts, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    course = Course.objects.create(code="DD2424", name="Deep Learning in Data Science")
    make_member(course, "alice", Role.STUDENT, "Alice Student")
    make_member(course, "tara", Role.TA, "Tara Assistant")
    now = timezone.now()
    Assignment.objects.create(
        course=course,
        number=1,
        title="One-layer softmax classifier",
        released_at=now - dt.timedelta(days=1),
        deadline_at=now + dt.timedelta(days=7),
        bonus_max=2,
    )
    code = tmp_path / "assignment1.py"
    code.write_text("def EvaluateClassifier(X, W, b):\n    return W @ X + b\n")
    report = tmp_path / "report.pdf"
    report.write_bytes(minimal_pdf("Assignment 1 report"))

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/c/DD2424/assignments/1/")
    page.set_input_files("#id_code", str(code))
    page.set_input_files("#id_report", str(report))
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    assert "Your submission was received." in page.content()
    assert "Waiting for a reviewer." in page.content()

    ta = new_page()
    sign_in(ta, live_server.url, "tara")
    ta.goto(f"{live_server.url}/c/DD2424/assignments/queue/")
    ta.click("text=Open")
    ta.click("button[value=claim]")
    ta.wait_for_load_state()
    assert ta.locator(".claimed-by").inner_text() == "Tara Assistant"
    assert "EvaluateClassifier" in ta.locator(".code-view").inner_text()
    ta.locator(".pdf-viewer .pdf-page canvas").first.wait_for()  # the report, drawn by PDF.js
    ta.check("input[name=passed][value='1']")
    ta.fill("input[name=bonus]", "2")
    ta.fill("textarea[name=feedback]", "Clear code and a good report. Two bonus points for the extensions.")
    ta.click("text=Save review")
    ta.wait_for_load_state()
    assert "Review saved" in ta.content()
    ta.screenshot(path=str(artifacts / "assignments-review-ta.png"), full_page=True)

    page.reload()
    assert page.locator(".outcome .badge.ok").inner_text() == "Pass"
    assert page.locator(".bonus").inner_text() == "2"
    assert "Two bonus points for the extensions." in page.content()
    page.screenshot(path=str(artifacts / "assignments-review-student.png"), full_page=True)
