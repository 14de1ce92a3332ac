"""The personal iCal feed is standard iCalendar (RFC 5545) that calendar apps import cleanly: whole days as all-day
events, timed events with their real end, a VTIMEZONE for every TZID; checked by three parsers and by hand."""

import datetime as dt
import re
import zoneinfo

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

from coursesite.models import Course, Membership, Role, User
from projects import services as project_services
from tests.support import open_help_slot

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _strict_check(raw: bytes) -> None:
    """What the standard requires beyond what a lenient parser forgives."""
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines folded at 75 octets"
    text = raw.decode("utf-8")
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    assert unfolded.startswith("BEGIN:VCALENDAR\r\n") and "\r\nVERSION:2.0\r\n" in unfolded
    assert "\r\nPRODID:" in unfolded
    referenced = set(re.findall(r";TZID=([^;:]+)[;:]", unfolded))
    defined = set(re.findall(r"BEGIN:VTIMEZONE\r\nTZID:([^\r]+)\r\n", unfolded))
    assert referenced and referenced <= defined, f"TZIDs without VTIMEZONE: {referenced - defined}"
    for block in re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT", unfolded, re.S):
        names = [line.split(":")[0].split(";")[0] for line in block.splitlines()]
        assert names.count("UID") == 1 and names.count("DTSTAMP") == 1 and names.count("DTSTART") == 1, block
    # vobject validates each component's required properties and their counts; ical (Home Assistant's parser)
    # types every value, refuses an unknown zone and a DTSTART and DTEND of different kinds.
    vobject.readOne(text, validate=True)
    IcsCalendarStream.calendar_from_ics(text)


def test_the_feed_has_all_day_periods_timed_slots_and_a_vtimezone_for_every_zone(
    course: Course, assignment, ta: User, student: User, client_for
) -> None:
    course.orals_start, course.orals_end = dt.date(2026, 5, 24), dt.date(2026, 6, 6)
    course.proposal_deadline = dt.datetime(2026, 4, 13, 23, 59, tzinfo=STOCKHOLM)
    course.save()
    abroad = Course.objects.create(code="DD2434", name="Machine learning, advanced", timezone="America/New_York")
    abroad.report_deadline = dt.datetime(2026, 11, 2, 17, 0, tzinfo=NEW_YORK)
    abroad.save()
    Membership.objects.create(user=student, course=abroad, role=Role.STUDENT)
    slot = open_help_slot(course, ta)
    project_services.help_book(slot=slot, by=student, kind="assignment", topic="Gradient check")

    response = client_for(student).get(f"/ical/{student.calendar_token}.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    _strict_check(raw)
    cal = icalendar.Calendar.from_ical(raw)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    orals = events["DD2424: Project oral examination period"]
    assert orals["dtstart"].params["VALUE"] == "DATE" and orals["dtend"].params["VALUE"] == "DATE"
    assert orals.decoded("dtstart") == dt.date(2026, 5, 24)
    assert orals.decoded("dtend") == dt.date(2026, 6, 7)  # exclusive: the day after the last
    lecture = events["DD2424: Lecture 1"]
    assert lecture.decoded("dtend") - lecture.decoded("dtstart") == dt.timedelta(days=1)
    assert not isinstance(lecture.decoded("dtstart"), dt.datetime)
    help_event = next(e for name, e in events.items() if name.startswith("DD2424: Help session"))
    assert help_event["dtstart"].params["TZID"] == "Europe/Stockholm"
    assert help_event.decoded("dtstart") == slot.starts_at
    assert help_event.decoded("dtend") - help_event.decoded("dtstart") == dt.timedelta(minutes=15)
    deadline = events["DD2424: Project proposal deadline"]
    assert deadline.decoded("dtstart") == course.proposal_deadline == deadline.decoded("dtend")
    assert "DD2424: Assignment 1" in " ".join(events)
    abroad_deadline = events["DD2434: Final project report deadline"]
    assert abroad_deadline["dtstart"].params["TZID"] == "America/New_York"
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {"Europe/Stockholm", "America/New_York"}
    stockholm = next(tz for tz in cal.walk("VTIMEZONE") if str(tz["tzid"]) == "Europe/Stockholm")
    assert {c.name for c in stockholm.subcomponents} == {"STANDARD", "DAYLIGHT"}


def test_a_feed_without_events_is_still_a_valid_calendar(outsider: User, client) -> None:
    raw = client.get(f"/ical/{outsider.calendar_token}.ics").content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    vobject.readOne(raw.decode(), validate=True)
    IcsCalendarStream.calendar_from_ics(raw.decode())
