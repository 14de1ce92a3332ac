"""Help sessions: availability cut into slots, group and individual bookings, limits, cancelling, agenda, iCal."""

import datetime as dt

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coursesite.errors import NotFound
from projects import selectors, services
from projects.models import HelpBooking, HelpSlot

from .conftest import form_group

REFUSAL = "project help is booked by your whole group of 3"


def _publish(course, ta, days: int = 2, start: int = 13, end: int = 14) -> list[HelpSlot]:
    availability = services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=days),
        start=dt.time(start),
        end=dt.time(end),
        place="Room 4523",
    )
    return list(availability.slots.order_by("starts_at"))


def test_availability_is_cut_into_15_minute_slots(course, ta) -> None:
    slots = _publish(course, ta, start=13, end=14)
    assert len(slots) == 4
    assert {s.ends_at - s.starts_at for s in slots} == {dt.timedelta(minutes=15)}
    assert timezone.localtime(slots[0].starts_at, course.tz).time() == dt.time(13)


def test_the_slot_length_is_configurable_and_overlaps_are_refused(course, ta, examiner) -> None:
    services.project_settings_update(course=course, by=examiner, help_slot_minutes=20)
    assert len(_publish(course, ta, start=13, end=14)) == 3
    with pytest.raises(ValidationError, match="already have help slots"):
        _publish(course, ta, start=13, end=15)
    with pytest.raises(ValidationError, match="end time must be after"):
        _publish(course, ta, start=15, end=15)


def test_an_individual_project_help_booking_is_refused_with_the_course_words(course, ta, student, other_student):
    slot = _publish(course, ta)[0]
    with pytest.raises(ValidationError) as refused:
        services.help_book(slot=slot, by=student, kind="project", topic="Our model")
    assert refused.value.messages == [REFUSAL]
    form_group(course, student, other_student)  # an incomplete group is refused the same way
    with pytest.raises(ValidationError, match=REFUSAL):
        services.help_book(slot=slot, by=student, kind="project", topic="Our model")
    assert not HelpBooking.objects.exists()


def test_a_complete_group_books_project_help_naming_all_three(complete_group, ta, student) -> None:
    slot = _publish(complete_group.course, ta)[0]
    booking = services.help_book(slot=slot, by=student, kind="project", topic="Loss plateaus")
    assert booking.group == complete_group
    assert sorted(a.user.username for a in booking.attendees.all()) == ["alice", "bob", "carol"]


def test_one_student_books_assignment_help(course, ta, student) -> None:
    slot = _publish(course, ta)[0]
    booking = services.help_book(slot=slot, by=student, kind="assignment", topic="A2 gradient check")
    assert [a.user.username for a in booking.attendees.all()] == ["alice"]
    assert booking.group is None


def test_a_slot_is_never_booked_twice(course, ta, student, other_student) -> None:
    slot = _publish(course, ta)[0]
    services.help_book(slot=slot, by=student, kind="assignment", topic="A1")
    with pytest.raises(ValidationError, match="just been taken"):
        services.help_book(slot=slot, by=other_student, kind="assignment", topic="A1")


def test_at_most_one_upcoming_booking_per_student_and_group(complete_group, ta, student, carol, examiner) -> None:
    slots = _publish(complete_group.course, ta)
    services.help_book(slot=slots[0], by=student, kind="assignment", topic="A1")
    with pytest.raises(ValidationError, match="You already have 1 upcoming"):
        services.help_book(slot=slots[1], by=student, kind="assignment", topic="A2")
    with pytest.raises(ValidationError, match="alice already has 1 upcoming"):
        services.help_book(slot=slots[1], by=carol, kind="project", topic="Our project")
    services.project_settings_update(course=complete_group.course, by=examiner, max_upcoming_bookings=2)
    services.help_book(slot=slots[1], by=carol, kind="project", topic="Our project")
    with pytest.raises(ValidationError, match="upcoming"):
        services.help_book(slot=slots[2], by=student, kind="project", topic="Again")


def test_a_booking_is_cancelled_until_two_hours_before_and_frees_the_slot(course, ta, student, other_student):
    slot = _publish(course, ta)[0]
    booking = services.help_book(slot=slot, by=student, kind="assignment", topic="A1")
    with pytest.raises(NotFound, match="Only the people booked"):  # another student's booking
        services.help_cancel(booking=booking, by=other_student)
    services.help_cancel(booking=booking, by=student)
    services.help_book(slot=slot, by=other_student, kind="assignment", topic="A1")  # free again

    HelpSlot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() + dt.timedelta(minutes=90))
    late = HelpBooking.objects.get(slot=slot, cancelled_at__isnull=True)
    with pytest.raises(ValidationError, match="until 2 hours before"):
        services.help_cancel(booking=late, by=other_student)


def test_the_ta_agenda_shows_who_is_coming_and_why_and_attendance_is_optional(complete_group, ta, student, client_for):
    course = complete_group.course
    slots = _publish(course, ta, days=1)
    booking = services.help_book(slot=slots[1], by=student, kind="project", topic="Loss plateaus")
    day = timezone.localdate() + dt.timedelta(days=1)
    agenda = list(selectors.ta_agenda(course=course, ta=ta, day=day))
    assert len(agenda) == 4
    assert [a.user.username for a in agenda[1].active_bookings[0].attendees.all()] == ["alice", "bob", "carol"]

    services.help_attendance_note(booking=booking, by=ta, attended=False, note="Only two came")
    booking.refresh_from_db()
    assert booking.attended is False

    page = client_for(ta).get(f"/c/{course.code}/projects/help/").content.decode()
    assert "Loss plateaus" in page and "Carol Student" in page


def test_bookings_appear_in_the_ical_feeds_of_the_ta_and_every_member(complete_group, ta, student, client_for):
    course = complete_group.course
    slot = _publish(course, ta)[0]
    services.help_book(slot=slot, by=student, kind="project", topic="Loss plateaus")
    for person in [ta, *[m.user for m in complete_group.members.all()]]:
        feed = client_for(person).get(f"/ical/{person.calendar_token}.ics").content
        events = [e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT") if "Help session" in str(e["summary"])]
        assert len(events) == 1, person.username
        assert events[0].decoded("dtstart") == slot.starts_at
        assert "Loss plateaus" in str(events[0]["description"])


def test_a_booking_does_not_show_in_other_students_calendars(complete_group, ta, student, dave, client_for) -> None:
    slot = _publish(complete_group.course, ta)[0]
    services.help_book(slot=slot, by=student, kind="project", topic="Loss plateaus")
    feed = client_for(dave).get(f"/ical/{dave.calendar_token}.ics").content.decode()
    assert "Help session" not in feed


def test_students_book_and_see_the_refusal_on_the_page(course, ta, student, client_for) -> None:
    slot = _publish(course, ta)[0]
    client = client_for(student)
    url = f"/c/{course.code}/projects/help/"
    refused = client.post(f"{url}slots/{slot.pk}/book/", {"kind": "project", "topic": "Project"})
    assert refused.status_code == 400
    assert REFUSAL in refused.content.decode()
    booked = client.post(f"{url}slots/{slot.pk}/book/", {"kind": "assignment", "topic": "A3 batch norm"})
    assert booked.status_code == 302
    assert "A3 batch norm" in client.get(url).content.decode()
    assert "Help session" in client.get(f"/c/{course.code}/").content.decode()


def test_the_ta_dashboard_shows_todays_agenda(complete_group, ta, student, client_for) -> None:
    slot = _publish(complete_group.course, ta)[0]
    services.help_book(slot=slot, by=student, kind="project", topic="Loss plateaus")
    now = timezone.now()
    HelpSlot.objects.filter(pk=slot.pk).update(
        starts_at=now + dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=16)
    )
    page = client_for(ta).get(f"/c/{complete_group.course.code}/").content.decode()
    assert "Alice Student, Bob Student, Carol Student: Loss plateaus" in page


def test_the_course_wide_calendar_has_no_personal_bookings(complete_group, ta, student) -> None:
    from projects.hooks import calendar_events

    services.help_book(slot=_publish(complete_group.course, ta)[0], by=student, kind="project", topic="Loss")
    assert calendar_events(complete_group.course, None) == []
