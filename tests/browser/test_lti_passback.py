"""Grade passback's staff page in Chromium: the examiner, launched from the real LTI platform, finds a score the
LMS refused (an unpublished course) with its reason, and sends it again once the course is published."""

import pytest

from assignments.models import Submission
from assignments.services import review_record
from lti.models import ScoreSend
from tests.lti import lti_fixtures
from tests.support import wait_for

# The LTI platform process and its registration for the course (fixtures).
lms = lti_fixtures.lms
lti_on = lti_fixtures.lti_on

pytestmark = pytest.mark.browser


def test_staff_see_a_refused_score_with_its_reason_and_send_it_again(
    live_server, page, lms, lti_on, celery_worker, examiner, student, assignment, artifacts
) -> None:
    lms.set_ags(reset=True, unpublished=True)
    assert lms.launch("alice").status_code == 302  # Alice opened coursesite from the LMS once
    page.goto(lms.course_url("ada"))  # the examiner's launch tells coursesite where the gradebook is
    page.wait_for_url(f"{live_server.url}/c/DD2424/")
    celery_worker("cpu")
    submission = Submission.objects.create(
        assignment=assignment, student=student, code="c.zip", code_sha256="0" * 64, report="r.pdf", report_sha256="0"
    )
    review_record(submission=submission, by=examiner, passed=True, bonus=2)
    wait_for(lambda: ScoreSend.objects.filter(status=ScoreSend.Status.FAILED).exists())

    page.click("text=LMS (LTI)")
    page.click("text=Grades sent to the LMS gradebook")
    page.wait_for_url(f"{live_server.url}/c/DD2424/lti/scores/")
    row = page.locator("#score-sends tbody tr").first
    assert "Alice Student" in row.inner_text() and "Assignment 1: One-layer softmax classifier" in row.inner_text()
    assert "Failed" in row.inner_text()
    assert "The LMS course is not published, so it takes no grades yet" in row.inner_text()
    assert 'it said: "Course not published"' in row.inner_text()
    page.screenshot(path=str(artifacts / "lti-scores-failed.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "lti-scores-failed-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    lms.set_ags(unpublished=False)  # the teacher publishes the Canvas course
    row.get_by_role("button", name="Send again").click()
    page.wait_for_selector("text=is being sent to the LMS again")
    wait_for(lambda: ScoreSend.objects.filter(status=ScoreSend.Status.SENT).exists())
    page.reload()
    row = page.locator("#score-sends tbody tr").first
    assert "Sent" in row.inner_text() and "3 of 3" in row.inner_text() and "2 tries" in row.inner_text()
    assert "Send again" not in row.inner_text()
    [score] = lms.ags_state()["scores"]
    assert (score["userId"], score["scoreGiven"], score["comment"]) == ("a1b2c3d4-alice", 3, "Pass, 2 bonus points")
