"""The course calendar: every important date, gathered from each app, as a page and an iCal feed."""

import datetime as dt

import icalendar
from django.conf import settings

from .hooks import CalendarEvent, registry
from .models import Course, Membership, User


def _day_start(course: Course, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=course.tz)


def course_dates(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    """The course-wide dates kept on the course itself."""
    events: list[CalendarEvent] = []
    if course.first_lecture_on:
        events.append(CalendarEvent("Lecture 1", _day_start(course, course.first_lecture_on), kind="lecture"))
    if course.proposal_deadline:
        events.append(CalendarEvent("Project proposal deadline", course.proposal_deadline, kind="deadline"))
    if course.report_deadline:
        events.append(CalendarEvent("Final project report deadline", course.report_deadline, kind="deadline"))
    if course.orals_start and course.orals_end:
        events.append(
            CalendarEvent(
                "Project oral examination period",
                _day_start(course, course.orals_start),
                _day_start(course, course.orals_end) + dt.timedelta(days=1),
                kind="period",
            )
        )
    if course.exam_poll_opens:
        events.append(CalendarEvent("Exam date poll opens", course.exam_poll_opens, kind="poll"))
    if course.exam_poll_closes:
        events.append(CalendarEvent("Exam date poll closes", course.exam_poll_closes, kind="poll"))
    if course.exam_period_start and course.exam_period_end:
        events.append(
            CalendarEvent(
                "Candidate exam dates",
                _day_start(course, course.exam_period_start),
                _day_start(course, course.exam_period_end) + dt.timedelta(days=1),
                kind="period",
            )
        )
    return events


def course_events(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    events: list[CalendarEvent] = []
    for provider in registry.calendar:
        events.extend(provider(course, membership))
    return sorted(events, key=lambda event: event.starts_at)


def personal_feed(user: User) -> bytes:
    """An iCal document with the events of every course the user is in."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//coursesite//course calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"coursesite: {user.username}")
    memberships = Membership.objects.filter(user=user).select_related("course")
    stamp = dt.datetime.now(dt.UTC)
    for membership in memberships:
        course = membership.course
        for index, event in enumerate(course_events(course, membership)):
            entry = icalendar.Event()
            uid = event.uid or f"{course.code}-{event.kind}-{index}-{event.starts_at:%Y%m%dT%H%M}"
            entry.add("uid", f"{uid}@coursesite")
            entry.add("dtstamp", stamp)
            entry.add("summary", f"{course.code}: {event.title}")
            entry.add("dtstart", event.starts_at)
            entry.add("dtend", event.ends_at or event.starts_at)
            if event.description:
                entry.add("description", event.description)
            if event.url:
                entry.add("url", f"{settings.SITE_URL}{event.url}")
            cal.add_component(entry)
    return cal.to_ical()
