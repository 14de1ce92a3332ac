"""The course's time zone on its pages and API (CourseTimezoneMiddleware): a course in New York shows and reads
moments in New York time while the server's zone (TIME_ZONE) is Stockholm, and the server's zone is back after."""

import datetime as dt
import pickle
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from coursesite.models import Course, User
from coursesite.timezones import CourseZone, course_code_of

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
DEADLINE = dt.datetime(2030, 7, 1, 23, 59, tzinfo=NEW_YORK)  # 05:59 on 2 July in Stockholm


@pytest.fixture
def new_york(course: Course) -> Course:
    assert settings.TIME_ZONE == "Europe/Stockholm"
    course.timezone = "America/New_York"
    course.proposal_deadline = DEADLINE
    course.save()
    return course


def test_a_course_page_shows_times_in_the_courses_zone(new_york: Course, student: User, client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(student).get("/c/DD2424/").content.decode()
    assert "Mon 1 Jul 2030, 23:59 EDT" in page
    assert "05:59" not in page
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # restored after the request


def test_the_course_dates_form_shows_and_reads_moments_in_the_courses_zone(
    new_york: Course, examiner: User, client_for
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(examiner)
    page = client.get("/c/DD2424/settings/").content.decode()
    assert 'value="2030-07-01T23:59"' in page
    response = client.post(
        "/c/DD2424/settings/", {"proposal_deadline": "2030-07-02T08:30", "proposal_approval_days": "5"}
    )
    assert response.status_code == 302
    new_york.refresh_from_db()
    assert new_york.proposal_deadline == dt.datetime(2030, 7, 2, 8, 30, tzinfo=NEW_YORK)


def test_a_course_api_answers_with_times_in_the_courses_zone(new_york: Course, student: User, client_for) -> None:  # type: ignore[no-untyped-def]
    events = client_for(student).get("/api/courses/DD2424/calendar/").json()
    deadline = next(event for event in events if event["title"] == "Project proposal deadline")
    assert deadline["starts_at"] == "2030-07-01T23:59:00-04:00"


def test_pages_outside_a_course_keep_the_servers_zone(new_york: Course, student: User, client_for) -> None:  # type: ignore[no-untyped-def]
    courses = client_for(student).get("/api/courses/").json()
    assert [c["timezone"] for c in courses] == ["America/New_York"]
    assert course_code_of("/api/courses/") is None and course_code_of("/c/DD2424/insight/") == "DD2424"


def test_the_course_zone_reads_the_course_once_and_pickles_as_its_zoneinfo(
    new_york: Course, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    zone = CourseZone("DD2424")
    with django_assert_num_queries(1):
        local = DEADLINE.astimezone(dt.UTC).astimezone(zone)
        assert (local.hour, local.minute, local.strftime("%Z"), str(zone)) == (23, 59, "EDT", "America/New_York")
        assert local == DEADLINE and local.utcoffset() == dt.timedelta(hours=-4)
    assert pickle.loads(pickle.dumps(zone)) == NEW_YORK
    assert str(CourseZone("NOPE")) == settings.TIME_ZONE  # no such course: the server's zone (the page is a 404)
