"""The course dates page: the examiner edits the course-wide dates (validated, audited), TAs read them, students not;
the calendar shows whole-day periods to their real last day, and times with their zone."""

import datetime as dt
import zoneinfo

import pytest

from coursesite import calendar
from coursesite.models import AuditLog, Course, User

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

DATES = {
    "first_lecture_on": "2026-03-18",
    "proposal_deadline": "2026-04-13T23:59",
    "proposal_approval_days": "5",
    "report_deadline": "2026-05-19T23:59",
    "orals_start": "2026-05-24",
    "orals_end": "2026-06-06",
    "exam_poll_opens": "2026-04-20T09:00",
    "exam_poll_closes": "2026-05-02T23:59",
    "exam_period_start": "2026-05-25",
    "exam_period_end": "2026-06-05",
}


def test_the_examiner_saves_the_dates_in_the_course_time_zone_and_it_is_audited(
    course: Course, examiner: User, client_for
) -> None:
    client = client_for(examiner)
    assert "Course dates" in client.get("/c/DD2424/").content.decode()  # in the navigation

    response = client.post("/c/DD2424/settings/", DATES)

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.proposal_deadline == dt.datetime(2026, 4, 13, 23, 59, tzinfo=STOCKHOLM)
    assert course.orals_end == dt.date(2026, 6, 6)
    assert course.exam_poll_closes == dt.datetime(2026, 5, 2, 23, 59, tzinfo=STOCKHOLM)
    row = AuditLog.objects.get(action="course_dates.update")
    assert row.actor == examiner
    assert row.data["before"]["orals_end"] is None
    assert row.data["after"]["proposal_deadline"] == "2026-04-13 23:59 CEST"
    audit = client.get("/c/DD2424/audit/").content.decode()
    assert "changed the course dates: " in audit and "orals end from None to 2026-06-06" in audit
    page = client.get("/c/DD2424/settings/").content.decode()
    assert 'value="2026-04-13T23:59"' in page and 'value="2026-06-06"' in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"orals_end": "2026-05-20"}, "orals_end", "The oral period ends before it starts"),
        ({"exam_poll_closes": "2026-04-19T09:00"}, "exam_poll_closes", "The exam date poll ends before it starts"),
        ({"exam_period_end": "2026-05-01"}, "exam_period_end", "The exam period ends before it starts"),
        ({"orals_start": ""}, "orals_start", "needs both its first and its last moment"),
        ({"report_deadline": "2026-04-01T12:00"}, "report_deadline", "due before the project proposal"),
        ({"exam_poll_closes": "2026-05-26T12:00"}, "exam_poll_closes", "must close before the exam period starts"),
        ({"orals_end": "6 June"}, "orals_end", "Enter a valid date"),
    ],
)
def test_dates_that_do_not_make_sense_are_refused_in_words_and_nothing_is_stored(
    course: Course, examiner: User, client_for, changes, field, words
) -> None:
    response = client_for(examiner).post("/c/DD2424/settings/", DATES | changes)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}-errors"' in page and words in page
    assert f'value="{(DATES | changes)["proposal_deadline"]}"' in page  # what was typed stays in the form
    course.refresh_from_db()
    assert course.orals_start is None and course.proposal_deadline is None
    assert not AuditLog.objects.filter(action="course_dates.update").exists()


def test_a_ta_reads_the_dates_but_cannot_change_them_and_students_do_not_see_the_page(
    course: Course, ta: User, student: User, client_for
) -> None:
    page = client_for(ta).get("/c/DD2424/settings/")
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.content.decode() and "Save the dates" not in page.content.decode()
    assert client_for(ta).post("/c/DD2424/settings/", DATES).status_code == 403
    assert client_for(student).get("/c/DD2424/settings/").status_code == 403
    assert client_for(student).post("/c/DD2424/settings/", DATES).status_code == 403
    assert "Course dates" not in client_for(student).get("/c/DD2424/").content.decode()
    course.refresh_from_db()
    assert course.orals_start is None


def test_the_calendar_shows_a_period_to_its_last_day_and_moments_with_their_zone(
    course: Course, examiner: User, student: User, client_for
) -> None:
    client_for(examiner).post("/c/DD2424/settings/", DATES)

    page = client_for(student).get("/c/DD2424/calendar/").content.decode()

    assert "Sun 24 May – Sat 6 Jun 2026" in page  # the last day of the orals, not the day after
    assert "7 Jun" not in page
    assert "Mon 25 May – Fri 5 Jun 2026" in page
    assert "Mon 13 Apr 2026, 23:59 CEST" in page
    assert "Wed 18 Mar 2026</td>" in page  # a whole day has no time


def test_event_when_reads_every_kind_of_event() -> None:
    def at(*args: int) -> dt.datetime:
        return dt.datetime(*args, tzinfo=STOCKHOLM)

    one_day = calendar.CalendarEvent("x", at(2026, 3, 18), at(2026, 3, 19), all_day=True)
    across_years = calendar.CalendarEvent("x", at(2026, 12, 30), at(2027, 1, 3), all_day=True)
    slot = calendar.CalendarEvent("x", at(2026, 2, 3, 10), at(2026, 2, 3, 10, 15))
    overnight = calendar.CalendarEvent("x", at(2026, 5, 25, 10), at(2026, 5, 26, 15))
    deadline = calendar.CalendarEvent("x", dt.datetime(2026, 4, 13, 21, 59, tzinfo=dt.UTC))
    assert calendar.event_when(one_day, STOCKHOLM) == "Wed 18 Mar 2026"
    assert calendar.event_when(across_years, STOCKHOLM) == "Wed 30 Dec 2026 – Sat 2 Jan 2027"
    assert calendar.event_when(slot, STOCKHOLM) == "Tue 3 Feb 2026, 10:00–10:15 CET"
    assert calendar.event_when(overnight, STOCKHOLM) == "Mon 25 May 2026, 10:00 – Tue 26 May 2026, 15:00 CEST"
    assert calendar.event_when(deadline, STOCKHOLM) == "Mon 13 Apr 2026, 23:59 CEST"
