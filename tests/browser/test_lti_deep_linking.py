"""Deep Linking from a real LTI 1.3 platform in Chromium: the examiner picks an assignment to place in the LMS
course, the platform verifies the tool's signed answer with the tool's JWKS, and a student's launch of the placed
link lands on that assignment. Students cannot place anything."""

import json
import urllib.request

import pytest

from coursesite.models import AuditLog
from tests.lti import lti_fixtures

# The LTI platform process and its registration for the course (fixtures).
lms = lti_fixtures.lms
lti_on = lti_fixtures.lti_on

pytestmark = pytest.mark.browser


def test_the_examiner_places_an_assignment_and_a_student_s_launch_of_it_lands_there(
    live_server, page, new_page, lms, lti_on, examiner, student, assignment, artifacts
) -> None:
    lms.set_ags(reset=True)
    page.goto(lms.course_url("ada", message="deeplink"))
    page.wait_for_url(f"{live_server.url}/lti/deep-link/")
    assert "Project" in page.content() and "Exam" in page.content()
    page.check("text=Assignment 1: One-layer softmax classifier")
    page.screenshot(path=str(artifacts / "lti-deep-link-pick.png"), full_page=True)
    page.click("button:has-text('Place in the LMS')")
    page.wait_for_selector("text=Placed in the course")
    assert page.url == f"{lms.issuer}/deep-link-return"

    with urllib.request.urlopen(f"{lms.issuer}/placed") as response:  # noqa: S310 (the test platform)
        placed = json.load(response)
    target = f"{live_server.url}/c/DD2424/assignments/1/"
    title = "Assignment 1: One-layer softmax classifier"
    column = {"label": title, "scoreMaximum": 3, "resourceId": "assignment-1", "tag": "coursesite"}
    assert placed == [{"type": "ltiResourceLink", "title": title, "url": target, "lineItem": column}]
    # The LMS made the placed link's gradebook column, where grade passback will find it by its resourceId.
    assert [(i["resourceId"], i["label"]) for i in lms.ags_state()["lineitems"]] == [("assignment-1", title)]
    assert AuditLog.objects.filter(action="deep_link.send", actor=examiner).count() == 1

    # Alice opens the placed link in the LMS (the platform's page links it as a launch).
    alice = new_page()
    alice.goto(lms.course_url("alice", target=placed[0]["url"]))
    alice.wait_for_url(target)
    assert "One-layer softmax classifier" in alice.content()


def test_a_student_cannot_place_content(live_server, page, lms, lti_on, student) -> None:
    responses: list = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("/lti/launch/") else None)
    page.goto(lms.course_url("alice", message="deeplink"))
    page.wait_for_load_state("networkidle")
    assert responses[-1].status == 403
    assert "Only the course's examiner can place" in page.content()
    page.goto(f"{live_server.url}/lti/deep-link/")
    assert "/accounts/login/" in page.url  # and was not signed in by it
