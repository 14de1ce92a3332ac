"""Names and Role Provisioning from a real LTI 1.3 platform: the examiner syncs the roster from the LMS course
(token by the tool's signed client assertion, paged member list); all members or none, as with the CSV import."""

import pytest

from coursesite.models import AuditLog, Membership, Role, User
from tests.lti import lti_fixtures

# The LTI platform process and its registration for the course (fixtures).
lms = lti_fixtures.lms
lti_on = lti_fixtures.lti_on

pytestmark = pytest.mark.browser


def _open_lti_page_as_examiner(page, live_server, lms) -> None:  # type: ignore[no-untyped-def]
    page.goto(lms.course_url("ada"))  # the launch tells coursesite where the course's members are
    page.wait_for_url(f"{live_server.url}/c/DD2424/")
    page.click("text=LMS (LTI)")
    page.wait_for_url(f"{live_server.url}/c/DD2424/lti/")


def test_the_examiner_syncs_the_roster_from_the_lms(
    live_server, page, lms, lti_on, examiner, student, artifacts
) -> None:
    lms.set_members(
        [
            {"user": "ada"},
            {"user": "alice"},
            {"user": "bob-ta"},
            {"user": "zed"},
            {"user": "nologin", "status": "Inactive"},  # dropped the course: not imported
        ]
    )
    _open_lti_page_as_examiner(page, live_server, lms)
    page.click("text=Sync roster from the LMS")
    page.wait_for_load_state()

    assert "Roster synced from the LMS: 2 new, 0 updated, 2 unchanged, 1 inactive skipped." in page.content()
    page.screenshot(path=str(artifacts / "lti-roster-sync.png"), full_page=True)
    roles = dict(Membership.objects.filter(course=lti_on.course).values_list("user__username", "role"))
    assert roles == {"examiner": Role.INSTRUCTOR, "alice": Role.STUDENT, "bob": Role.TA, "zed": Role.STUDENT}
    assert User.objects.get(username="zed").full_name == "Zed Nobody"

    # Syncing again changes nothing.
    page.click("text=Sync roster from the LMS")
    page.wait_for_load_state()
    assert "0 new, 0 updated, 4 unchanged" in page.content()


def test_a_member_the_import_refuses_means_nothing_is_imported(
    live_server, page, lms, lti_on, examiner, student
) -> None:
    lms.set_members([{"user": "ada"}, {"user": "zed"}, {"user": "nologin"}])
    _open_lti_page_as_examiner(page, live_server, lms)
    memberships_before = Membership.objects.count()
    audit_before = AuditLog.objects.exclude(action="lti_tool_key.rotate").count()
    responses: list = []
    page.on(
        "response", lambda r: responses.append(r) if r.url.endswith("/lti/") and r.request.method == "POST" else None
    )
    page.click("text=Sync roster from the LMS")
    page.wait_for_load_state()

    assert responses[-1].status == 400
    assert "Nothing was imported." in page.content()
    assert "LMS member Alice Student, username: is empty" in page.content()
    assert Membership.objects.count() == memberships_before
    assert not User.objects.filter(username="zed").exists()
    assert AuditLog.objects.exclude(action="lti_tool_key.rotate").count() == audit_before  # the tool's first key
