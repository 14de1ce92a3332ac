"""Who sees which course pages, the dashboards, the calendar and the personal iCal feed."""

import datetime as dt

import icalendar
from django.utils import timezone

from assignments.models import Assignment
from coursesite.models import AuditLog


def _assignments(course) -> None:
    now = timezone.now()
    Assignment.objects.create(
        course=course,
        number=1,
        title="Softmax",
        released_at=now - dt.timedelta(days=2),
        deadline_at=now + dt.timedelta(days=14),
    )
    Assignment.objects.create(
        course=course,
        number=4,
        title="RNN",
        released_at=now + dt.timedelta(days=20),
        deadline_at=now + dt.timedelta(days=40),
    )


def test_a_student_sees_what_is_due_next_and_not_unreleased_work(course, student, client_for) -> None:
    _assignments(course)

    page = client_for(student).get("/c/DD2424/").content.decode()

    assert "Due next" in page and "Assignment 1: Softmax" in page
    assert "RNN" not in page


def test_staff_see_every_assignment_on_the_calendar(course, ta, client_for) -> None:
    _assignments(course)

    page = client_for(ta).get("/c/DD2424/calendar/").content.decode()

    assert "Assignment 4 released" in page and "Assignment 1 deadline (soft)" in page


def test_a_course_you_are_not_in_does_not_exist_for_you(course, outsider, client_for) -> None:
    client = client_for(outsider)

    assert client.get("/c/DD2424/").status_code == 404
    assert client.get("/api/courses/DD2424/calendar/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(course, client) -> None:
    response = client.get("/c/DD2424/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_ical_feed_lists_the_course_dates_for_the_secret_token_only(course, student, client) -> None:
    _assignments(course)
    course.proposal_deadline = timezone.now() + dt.timedelta(days=20)
    course.save()

    response = client.get(f"/ical/{student.calendar_token}.ics")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    summaries = {str(event["summary"]) for event in cal.walk("VEVENT")}
    assert "DD2424: Assignment 1 deadline (soft)" in summaries
    assert "DD2424: Project proposal deadline" in summaries
    assert "DD2424: Assignment 4 released" not in summaries  # students don't see unreleased work
    assert client.get("/ical/not-the-token.ics").status_code == 404


def test_replacing_the_calendar_link_revokes_the_old_one(course, student, client_for, client) -> None:
    old = student.calendar_token

    alice = client_for(student)
    asked = alice.post("/calendar/rotate/", {"next": "/"})  # asked first; nothing replaced yet
    assert asked.status_code == 200 and "Replace your calendar link?" in asked.content.decode()
    student.refresh_from_db()
    assert student.calendar_token == old

    alice.post("/calendar/rotate/", {"next": "/", "confirmed": "yes"})

    student.refresh_from_db()
    assert student.calendar_token != old
    assert client.get(f"/ical/{old}.ics").status_code == 404
    assert AuditLog.objects.filter(action="calendar_token.rotate", actor=student).exists()


def test_password_reset_sends_a_link_to_the_registered_address(course, student, client, mailoutbox) -> None:
    response = client.post("/accounts/password_reset/", {"email": student.email})

    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_the_api_lists_my_courses_with_token_auth(course, student, client) -> None:
    token = client.post("/api/token/", {"username": "alice", "password": "pw"}).json()["token"]

    response = client.get("/api/courses/", headers={"Authorization": f"Token {token}"})

    assert response.json() == [
        {
            "code": "DD2424",
            "name": "Deep Learning in Data Science",
            "term": "VT",
            "timezone": "Europe/Stockholm",
            "role": "student",
        }
    ]


def test_pages_name_an_inline_icon_so_browsers_do_not_ask_for_a_missing_favicon(client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="data:,">' in page
