"""Issue 14, signing in: people a roster creates get an invitation to choose a password, and "Forgot your
password" reaches them; the links are single use, expire, and use SITE_URL (as does the calendar feed)."""

import datetime as dt
import re

import icalendar
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from assignments.models import Assignment
from coursesite.invitations import invitation_tokens
from coursesite.models import AuditLog, User

SITE = "https://course.example.edu"
ROSTER = (
    b"username,full_name,email,role\n"
    b"student22,Student Twentytwo,s22@example.edu,student\n"
    b"student23,Student Twentythree,s23@example.edu,student\n"
)


@pytest.fixture(autouse=True)
def site(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE


@pytest.fixture
def imported(course, examiner, client_for) -> Client:  # type: ignore[no-untyped-def]
    """The examiner's signed-in client after importing two new students."""
    client = client_for(examiner)
    client.post("/c/DD2424/roster/", {"roster": SimpleUploadedFile("r.csv", ROSTER, content_type="text/csv")})
    return client


def _link(message: mail.EmailMessage) -> str:
    links = re.findall(r"https?://\S+", message.body)
    return next(link for link in links if "/accounts/invitation/" in link or "/accounts/reset/" in link)


def _set_password(link: str, password: str) -> Client:
    assert link.startswith(SITE + "/")
    visitor = Client()
    form = visitor.get(link[len(SITE) :], follow=True)
    assert form.status_code == 200 and form.context["validlink"], form.content.decode()
    done = visitor.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True)
    assert "Password set" in done.content.decode()
    return visitor


def _signs_in(username: str, password: str) -> bool:
    browser = Client()
    response = browser.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302 and browser.get("/c/DD2424/").status_code == 200


def test_a_new_roster_student_is_invited_sets_a_password_and_signs_in(course, examiner, imported) -> None:
    assert not User.objects.get(username="student22").has_usable_password()

    sent = imported.post("/c/DD2424/roster/invite/", {"who": "never_signed_in"}, follow=True)

    assert "Invitation sent to student22 and student23." in sent.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["s22@example.edu", "s23@example.edu"]
    message = next(m for m in mail.outbox if m.to == ["s22@example.edu"])
    assert "Your username is: student22" in message.body and f"{SITE}/accounts/login/" in message.body
    _set_password(_link(message), "a long new passphrase 22")

    assert _signs_in("student22", "a long new passphrase 22")
    roster = imported.get("/c/DD2424/roster/").content.decode()
    row = re.search(r"<td>student22</td>.*?</tr>", roster, re.S).group(0)
    assert "never" not in row  # signed in, and invited, both with a date
    assert AuditLog.objects.filter(action="roster.invite", actor=examiner).count() == 2
    assert AuditLog.objects.filter(action="roster_invitation.accept", actor__username="student22").exists()


def test_the_invitation_link_is_single_use(course, imported) -> None:
    imported.post("/c/DD2424/roster/invite/", {"user": [User.objects.get(username="student23").pk]})
    (message,) = mail.outbox
    link = _link(message)
    _set_password(link, "a long new passphrase 23")

    again = Client().get(link[len(SITE) :], follow=True)

    assert again.context["validlink"] is False
    assert "This invitation has expired, was already used" in again.content.decode()


def test_the_invitation_expires_and_a_newer_one_supersedes_it(course, imported, monkeypatch, settings) -> None:
    student = User.objects.get(username="student22")
    imported.post("/c/DD2424/roster/invite/", {"user": [student.pk]})
    first = _link(mail.outbox[0])
    token = first.rstrip("/").rsplit("/", 1)[1]
    student.refresh_from_db()
    issued = invitation_tokens._now()
    assert invitation_tokens.check_token(student, token)
    monkeypatch.setattr(
        invitation_tokens, "_now", lambda: issued + dt.timedelta(days=settings.INVITATION_VALID_DAYS, hours=1)
    )
    assert not invitation_tokens.check_token(student, token)  # expired
    monkeypatch.undo()

    imported.post("/c/DD2424/roster/invite/", {"user": [student.pk]})
    second = _link(mail.outbox[1])

    assert Client().get(first[len(SITE) :], follow=True).context["validlink"] is False
    _set_password(second, "a long new passphrase 22")


def test_forgot_password_reaches_a_roster_student_without_a_password(course, imported) -> None:
    response = Client().post("/accounts/password_reset/", {"email": "S22@example.edu"})

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["s22@example.edu"] and "Your username is: student22" in message.body
    link = _link(message)
    _set_password(link, "another long passphrase")
    assert _signs_in("student22", "another long passphrase")
    assert Client().get(link[len(SITE) :], follow=True).context["validlink"] is False  # single use


def test_a_disabled_account_gets_no_invitation_and_no_reset(course, imported) -> None:
    User.objects.filter(username="student23").update(is_active=False)

    sent = imported.post("/c/DD2424/roster/invite/", {"who": "never_signed_in"}, follow=True)
    Client().post("/accounts/password_reset/", {"email": "s23@example.edu"})

    assert "Invitation sent to student22. Not student23: the account is disabled." in sent.content.decode()
    assert [m.to for m in mail.outbox] == [["s22@example.edu"]]


def test_only_the_examiner_sends_invitations(course, ta, imported, client_for) -> None:
    response = client_for(ta).post("/c/DD2424/roster/invite/", {"who": "never_signed_in"})

    assert response.status_code == 403 and mail.outbox == []


def test_the_calendar_feed_and_its_link_use_the_site_url(course, student, client_for) -> None:
    now = timezone.now()
    Assignment.objects.create(
        course=course,
        number=1,
        title="One",
        released_at=now - dt.timedelta(days=1),
        deadline_at=now + dt.timedelta(days=3),
    )

    page = client_for(student).get("/c/DD2424/calendar/").content.decode()
    feed = icalendar.Calendar.from_ical(Client().get(f"/ical/{student.calendar_token}.ics").content)

    assert f"{SITE}/ical/{student.calendar_token}.ics" in page
    urls = [str(event["url"]) for event in feed.walk("VEVENT") if "url" in event]
    assert urls and all(url.startswith(SITE + "/c/DD2424/") for url in urls)
