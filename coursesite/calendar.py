"""The course calendar: every important date, gathered from each app, as a page and an iCal feed."""

import datetime as dt

import icalendar
from django.conf import settings
from django.utils import timezone

from .hooks import CalendarEvent, registry
from .models import Course, Membership, User


def _days(course: Course, title: str, first: dt.date, last: dt.date | None = None, **extra: str) -> CalendarEvent:
    """Whole days, `first` to `last` included (one day when `last` is None)."""
    starts = dt.datetime.combine(first, dt.time(0, 0), tzinfo=course.tz)
    ends = dt.datetime.combine((last or first) + dt.timedelta(days=1), dt.time(0, 0), tzinfo=course.tz)
    return CalendarEvent(title, starts, ends, all_day=True, **extra)


def course_dates(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    """The course-wide dates kept on the course itself."""
    events: list[CalendarEvent] = []
    if course.first_lecture_on:
        events.append(_days(course, "Lecture 1", course.first_lecture_on, kind="lecture"))
    if course.proposal_deadline:
        events.append(CalendarEvent("Project proposal deadline", course.proposal_deadline, kind="deadline"))
    if course.report_deadline:
        events.append(CalendarEvent("Final project report deadline", course.report_deadline, kind="deadline"))
    if course.orals_start and course.orals_end:
        events.append(
            _days(course, "Project oral examination period", course.orals_start, course.orals_end, kind="period")
        )
    if course.exam_poll_opens:
        events.append(CalendarEvent("Exam date poll opens", course.exam_poll_opens, kind="poll"))
    if course.exam_poll_closes:
        events.append(CalendarEvent("Exam date poll closes", course.exam_poll_closes, kind="poll"))
    if course.exam_period_start and course.exam_period_end:
        events.append(
            _days(course, "Candidate exam dates", course.exam_period_start, course.exam_period_end, kind="period")
        )
    return events


def event_when(event: CalendarEvent, tz: dt.tzinfo | None = None) -> str:
    """When an event is, as people read it, in the zone `tz` (default: the active one, the course's on its pages):
    whole days with their last day (not the exclusive end), times with their end and zone
    ("Tue 2 Jun 2026, 10:00–10:15 CEST")."""
    start = timezone.localtime(event.starts_at, tz)
    if event.all_day:
        last = (timezone.localtime(event.ends_at, tz) - dt.timedelta(days=1)).date() if event.ends_at else start.date()
        if last <= start.date():
            return f"{start:%a} {start.day} {start:%b %Y}"
        first = f"{start:%a} {start.day} {start:%b}" + ("" if last.year == start.year else f" {start:%Y}")
        return f"{first} – {last:%a} {last.day} {last:%b %Y}"
    text = f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
    if event.ends_at and event.ends_at > event.starts_at:
        end = timezone.localtime(event.ends_at, tz)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%a} {end.day} {end:%b %Y, %H:%M}"
    return f"{text} {start:%Z}"


def course_events(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    events: list[CalendarEvent] = []
    for provider in registry.calendar:
        events.extend(provider(course, membership))
    return sorted(events, key=lambda event: event.starts_at)


def personal_feed(user: User) -> bytes:
    """An iCal document (RFC 5545) with the events of every course the user is in: whole days as all-day events
    (DATE values, DTEND the day after the last), moments and timed events in the course's time zone, with the
    VTIMEZONE of every TZID used."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//coursesite//course calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"coursesite: {user.username}")
    memberships = Membership.objects.filter(user=user).select_related("course")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    moments: list[dt.datetime] = []
    for membership in memberships:
        course = membership.course
        tz = course.tz
        for index, event in enumerate(course_events(course, membership)):
            entry = icalendar.Event()
            uid = event.uid or f"{course.code}-{event.kind}-{index}-{event.starts_at:%Y%m%dT%H%M}"
            entry.add("uid", f"{uid}@coursesite")
            entry.add("dtstamp", stamp)
            entry.add("summary", f"{course.code}: {event.title}")
            start = timezone.localtime(event.starts_at, tz)
            end = timezone.localtime(event.ends_at, tz) if event.ends_at else start
            if event.all_day:
                entry.add("dtstart", start.date())
                entry.add("dtend", max(end.date(), start.date() + dt.timedelta(days=1)))
                entry.add("transp", "TRANSPARENT")  # a period of the course does not make anyone busy
            else:
                entry.add("dtstart", start.replace(microsecond=0))
                entry.add("dtend", max(end, start).replace(microsecond=0))
            moments += [start, end]
            if event.description:
                entry.add("description", event.description)
            if event.url:
                entry.add("url", f"{settings.SITE_URL}{event.url}")
            cal.add_component(entry)
    if moments:
        # Transitions a year either side of the events: enough for any client, without 70 years of them.
        cal.add_missing_timezones(
            first_date=min(moments).date() - dt.timedelta(days=366),
            last_date=max(moments).date() + dt.timedelta(days=366),
        )
    document: bytes = cal.to_ical()
    return document
