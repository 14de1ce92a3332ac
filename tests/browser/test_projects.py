"""Three students form a group, submit a proposal, the examiner approves, the group books project help;
a fourth student's individual project-help booking is refused with the course's words."""

import datetime as dt

import pytest
from django.utils import timezone

from coursesite.models import Role
from projects import services
from projects.models import HelpBooking
from tests.support import make_member

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_group_of_three_gets_approved_and_books_project_help(live_server, page, new_page, artifacts, course):
    examiner = make_member(course, "examiner", Role.INSTRUCTOR, "Ada Examiner")
    ta = make_member(course, "tara", Role.TA, "Tara Assistant")
    for username in ("alice", "bob", "carol", "dave"):
        make_member(course, username, Role.STUDENT, f"{username.title()} Student")
    services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=1),
        start=dt.time(13),
        end=dt.time(14),
        place="Room 4523",
    )
    project = f"{live_server.url}/c/{course.code}/projects/"

    # Alice creates the group and invites Bob and Carol.
    sign_in(page, live_server.url, "alice")
    page.goto(project)
    page.fill("#id_name", "Alpha")
    page.click("text=Create a group")
    for invitee in ("bob", "carol"):
        page.fill("#id_username", invitee)
        page.click("button:has-text('Invite')")
        assert f"Invitation sent to {invitee}" in page.inner_text(".messages")

    # Bob and Carol accept.
    for invitee in ("bob", "carol"):
        other = new_page()
        sign_in(other, live_server.url, invitee)
        other.goto(project)
        other.click("button:has-text('Accept')")
        assert "Alpha" in other.inner_text("#group")

    # Alice submits the proposal; the group sees when it will hear back.
    page.goto(project)
    page.fill("#id_title", "Music generation with RNNs")
    page.fill("#id_description", "A character-level LSTM trained on folk tunes.")
    page.click("text=Submit the proposal")
    assert "You will hear back by" in page.inner_text("section[aria-labelledby=proposal]")

    # The examiner approves it from the queue.
    ada = new_page()
    sign_in(ada, live_server.url, examiner.username)
    ada.goto(f"{project}proposals/")
    assert "Music generation with RNNs" in ada.content()
    ada.click("button:has-text('Approve')")
    assert "Alpha: approved" in ada.inner_text(".messages")

    # Bob books project help for the whole group.
    bob = new_page()
    sign_in(bob, live_server.url, "bob")
    bob.goto(f"{project}help/")
    first = bob.locator("form.book").first
    first.locator("select[name=kind]").select_option("project")
    first.locator("input[name=topic]").fill("Our LSTM's loss plateaus")
    first.locator("button").click()
    mine = bob.inner_text("section[aria-labelledby=mine]")
    assert "Our LSTM's loss plateaus" in mine
    assert all(name in mine for name in ("Alice Student", "Bob Student", "Carol Student"))

    # Dave, alone, is refused project help.
    dave = new_page()
    sign_in(dave, live_server.url, "dave")
    dave.goto(f"{project}help/")
    form = dave.locator("form.book").first
    form.locator("select[name=kind]").select_option("project")
    form.locator("input[name=topic]").fill("My own project question")
    form.locator("button").click()
    assert "project help is booked by your whole group of 3" in dave.inner_text(".messages")
    dave.screenshot(path=str(artifacts / "projects-help-refused.png"), full_page=True)

    booking = HelpBooking.objects.get()
    assert sorted(a.user.username for a in booking.attendees.all()) == ["alice", "bob", "carol"]
