"""Launches from a real LTI 1.3 platform in Chromium: the person is signed in, matched to the roster, gets the
role the LMS says only where already on the roster, lands on the course or the launched page; forged, expired
and replayed id tokens, a wrong deployment and people on no roster are refused with words."""

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page

from coursesite.models import AuditLog, Course, Membership, Role, User
from sso.models import ExternalIdentity
from tests.lti import lti_fixtures
from tests.support import make_user

# The LTI platform process and its registration for the course (fixtures).
lms = lti_fixtures.lms
lti_on = lti_fixtures.lti_on

pytestmark = pytest.mark.browser


def _launch(page: Page, url: str) -> list:
    """Open the tool from the LMS's course page; the responses of the tool's launch endpoint."""
    responses: list = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("/lti/launch/") else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return responses


def test_a_student_launches_from_the_lms_course_and_lands_signed_in_on_the_course(
    live_server, page, lms, lti_on, student, artifacts
) -> None:
    _launch(page, lms.course_url("alice"))

    assert page.url == f"{live_server.url}/c/DD2424/"
    assert "Alice Student" in page.content()
    page.screenshot(path=str(artifacts / "lti-launch-dashboard.png"), full_page=True)
    identity = ExternalIdentity.objects.get(user=student)
    assert (identity.issuer, identity.subject) == (lms.issuer, "a1b2c3d4-alice")
    assert Membership.objects.get(user=student).role == Role.STUDENT

    # A second launch is matched by the stored sub; nothing new is bound.
    page.context.clear_cookies()
    _launch(page, lms.course_url("alice"))
    assert page.url == f"{live_server.url}/c/DD2424/"
    assert ExternalIdentity.objects.count() == 1


def test_a_launch_of_an_assignment_lands_on_that_assignment(
    live_server, page, lms, lti_on, student, assignment
) -> None:
    target = f"{live_server.url}/c/DD2424/assignments/1/"
    _launch(page, lms.course_url("alice", target=target))
    assert page.url == target
    assert "One-layer softmax classifier" in page.content()


def test_the_lti_role_applies_to_a_person_already_on_the_roster(live_server, page, lms, lti_on, other_student) -> None:
    _launch(page, lms.course_url("bob-ta"))
    assert page.url == f"{live_server.url}/c/DD2424/"
    assert Membership.objects.get(user=other_student).role == Role.TA
    assert AuditLog.objects.filter(action="membership_role.update", actor=other_student, data__new="ta").count() == 1


@pytest.mark.parametrize(
    ("user", "words"),
    [
        ("zed", "You (zed) are not on the roster of DD2424 on this site"),
        ("nologin", "did not send your username"),
    ],
)
def test_a_person_on_no_roster_is_refused_with_words_and_gets_no_account(
    live_server, page, lms, lti_on, student, user, words
) -> None:
    users_before = User.objects.count()
    responses = _launch(page, lms.course_url(user))
    assert responses[-1].status == 403
    assert words in page.content()
    assert User.objects.count() == users_before
    assert not ExternalIdentity.objects.exists()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url


def test_someone_on_another_course_s_roster_is_refused(live_server, page, lms, lti_on, course) -> None:
    # Zed teaches DD1337 here; the LMS launches him into the placement that belongs to DD2424.
    zed = make_user("zed", "Zed Nobody")
    other = Course.objects.create(code="DD1337", name="Programming")
    Membership.objects.create(user=zed, course=other, role=Role.INSTRUCTOR)
    responses = _launch(page, lms.course_url("zed"))
    assert responses[-1].status == 403
    assert "You (zed) are not on the roster of DD2424" in page.content()
    assert not ExternalIdentity.objects.exists()  # nothing is bound for a launch that is refused
    assert list(Membership.objects.filter(user=zed).values_list("course__code", flat=True)) == ["DD1337"]


@pytest.mark.parametrize(
    ("mode", "status", "words"),
    [
        ("forged", 400, "signature or contents are not valid"),
        ("expired", 400, "This launch has expired"),
        ("token-deployment", 403, "deployment 'not-registered'"),
    ],
)
def test_forged_expired_and_wrong_deployment_tokens_are_refused(
    live_server, page, lms, lti_on, student, mode, status, words
) -> None:
    responses = _launch(page, lms.course_url("alice", mode=mode))
    assert responses[-1].status == status
    assert words in page.content()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url
    assert not ExternalIdentity.objects.exists()


def test_a_login_for_an_unregistered_deployment_is_refused(live_server, page, lms, lti_on, student) -> None:
    page.goto(lms.course_url("alice", deployment="42:unknown"))
    page.wait_for_load_state("networkidle")
    assert "This LMS is not registered with this site" in page.content()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url


def test_a_replayed_launch_is_refused(live_server, page, lms, lti_on, student) -> None:
    posts: list = []
    page.on("request", lambda r: posts.append(r) if r.url.endswith("/lti/launch/") else None)
    _launch(page, lms.course_url("alice"))
    assert page.url == f"{live_server.url}/c/DD2424/"
    fields = {k: v[0] for k, v in parse_qs(posts[0].post_data).items()}
    page.context.clear_cookies()

    # The same id token and state again, with the state cookie too: the login state is used up.
    replay = page.request.post(
        f"{live_server.url}/lti/launch/", form=fields, headers={"Cookie": f"lti-state={fields['state']}"}
    )
    assert replay.status == 400
    assert "This launch was already used" in replay.text()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url
