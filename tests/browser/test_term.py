"""A term's rough edges in Chromium: a TA cancels a group's help session with a reason (asked first), the students
find it in their notifications; a student leaves a group through the confirmation step; the examiner's
announcement reaches one group's dashboards; the new pages read at 390 px without sideways scrolling."""

import pytest

from coursesite.models import Role
from notifications.models import Notification
from projects import services
from projects.models import HelpBooking
from tests.support import make_member, open_help_slot

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_cancelled_help_announcements_and_confirmations(
    live_server, page, new_page, browser, artifacts, course
) -> None:
    make_member(course, "examiner", Role.INSTRUCTOR, "Ada Examiner")
    ta = make_member(course, "tara", Role.TA, "Tara Assistant")
    people = [make_member(course, name, Role.STUDENT, f"{name.title()} Student") for name in ("alice", "bob", "carol")]
    dave = make_member(course, "dave", Role.STUDENT, "Dave Student")
    group = services.group_create(course=course, by=people[0], name="Alpha")
    for person in people[1:]:
        invitation = services.group_invite(group=group, by=people[0], username=person.username)
        services.invitation_answer(invitation=invitation, by=person, accept=True)
    slot = open_help_slot(course, ta)
    booking = services.help_book(slot=slot, by=people[0], kind="project", topic="Our GAN collapses")
    base = f"{live_server.url}/c/{course.code}"

    # The TA cancels the booking with a reason; a confirmation step comes first.
    sign_in(page, live_server.url, "tara")
    page.goto(f"{base}/projects/help/")
    form = page.locator("form.staff-cancel").first
    form.locator("input[name=reason]").fill("I am ill today, sorry")
    form.locator("button").click()
    assert "Cancel the help session on" in page.inner_text("h1")
    assert HelpBooking.objects.get(pk=booking.pk).cancelled_at is None
    page.click("text=Yes, cancel the booking")
    assert "the students booked were told, with your reason" in page.inner_text(".messages")
    assert HelpBooking.objects.get(pk=booking.pk).cancelled_at is not None

    # Bob finds it in his notifications, with the reason, on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    bob = phone.new_page()
    sign_in(bob, live_server.url, "bob")
    bob.goto(f"{live_server.url}/")
    bob.click("text=Notifications")
    listed = bob.inner_text("main")
    assert "your help session on" in listed and "Reason: I am ill today, sorry" in listed
    assert _fits(bob)
    bob.screenshot(path=str(artifacts / "term-notifications-390.png"), full_page=True)

    # The examiner writes to group Alpha; Alpha's members see it on the dashboard, Dave does not.
    ada = new_page()
    sign_in(ada, live_server.url, "examiner")
    ada.goto(f"{base}/announcements/")
    ada.select_option("#id_audience", "group")
    ada.select_option("#id_group", str(group.pk))
    ada.fill("#id_subject", "Your oral")
    ada.fill("#id_body", "Bring your slides on a USB stick.")
    ada.click("text=Send the announcement")
    assert "sent to Alpha: 3 people" in ada.inner_text(".messages")
    bob.goto(f"{base}/")
    assert "Announcement: Your oral" in bob.inner_text("main") and _fits(bob)
    bob.screenshot(path=str(artifacts / "term-dashboard-390.png"), full_page=True)
    other = new_page()
    sign_in(other, live_server.url, dave.username)
    other.goto(f"{base}/")
    assert "Your oral" not in other.inner_text("main")

    # Carol leaves the group through the confirmation step (no script needed), also on a phone.
    carol = phone.new_page()
    carol.context.clear_cookies()
    sign_in(carol, live_server.url, "carol")
    carol.goto(f"{base}/projects/")
    carol.click("text=Leave the group")
    assert carol.inner_text("h1") == "Leave Alpha?" and _fits(carol)
    carol.screenshot(path=str(artifacts / "term-confirm-390.png"), full_page=True)
    carol.click("text=Yes, leave the group")
    assert "You left Alpha." in carol.inner_text(".messages")
    assert Notification.objects.filter(user=people[2], kind="help_cancelled").count() == 1
    phone.close()
