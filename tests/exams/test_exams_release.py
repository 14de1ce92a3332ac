"""The questions are out at 10:00 course time on the session's day, to the second, also on daylight-saving days."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from coursesite.models import User
from exams.models import Exam

from .conftest import local, seat

# (day, 10:00 Stockholm in UTC): an ordinary day, the day summer time starts, the day it ends.
RELEASES = [
    (dt.date(2026, 5, 25), dt.datetime(2026, 5, 25, 8, 0, tzinfo=dt.UTC)),
    (dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC)),  # clocks went 02:00 -> 03:00 (CEST)
    (dt.date(2026, 10, 25), dt.datetime(2026, 10, 25, 9, 0, tzinfo=dt.UTC)),  # clocks went 03:00 -> 02:00 (CET)
]


def _urls(course_code: str, session_id: int) -> tuple[str, str]:
    return (
        f"/c/{course_code}/exams/sessions/{session_id}/questions.pdf",
        f"/api/courses/{course_code}/exams/sessions/{session_id}/questions/",
    )


@pytest.mark.parametrize(("day", "release_utc"), RELEASES, ids=["ordinary", "dst-starts", "dst-ends"])
def test_questions_appear_at_10_local_to_the_second(
    exam: Exam, examiner: User, student: User, client_for, clock, day, release_utc
) -> None:
    sitting = seat(exam, student, day, local(day.year, day.month, day.day, 15), examiner)
    session = sitting.session
    assert session.releases_at == release_utc
    page_url, api_url = _urls(exam.course.code, session.pk)
    alice = client_for(student)

    clock(release_utc - dt.timedelta(seconds=1))
    home = alice.get("/c/DD2424/exams/").content.decode()
    assert "questions.pdf" not in home
    assert "10:00" in home  # "The questions are published here at ... 10:00 CEST/CET"
    assert alice.get(page_url).status_code == 404
    assert alice.get(api_url).status_code == 404
    me = alice.get("/api/courses/DD2424/exams/").json()["me"]
    assert me["session"]["questions_url"] is None
    assert all(s["questions_url"] is None for s in alice.get("/api/courses/DD2424/exams/sessions/").json())

    clock(release_utc)
    home = alice.get("/c/DD2424/exams/").content.decode()
    assert page_url in home
    response = alice.get(page_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert alice.get(api_url).status_code == 200
    me = alice.get("/api/courses/DD2424/exams/").json()["me"]
    assert me["session"]["questions_url"].endswith(api_url)


def test_the_release_is_10_local_on_both_sides_of_a_dst_change(exam: Exam, examiner: User, student: User) -> None:
    before = seat(exam, student, dt.date(2026, 3, 28), local(2026, 3, 28, 15), examiner).session
    after = seat(exam, student, dt.date(2026, 3, 30), local(2026, 3, 30, 15), examiner).session
    assert before.releases_at == dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC)  # CET, UTC+1
    assert after.releases_at == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)  # CEST, UTC+2


def test_the_release_follows_the_course_time_zone(exam: Exam, examiner: User, student: User) -> None:
    exam.course.timezone = "America/New_York"
    exam.course.save()
    exam.refresh_from_db()
    session = seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 26, 15), examiner).session
    assert session.releases_at == dt.datetime(2026, 5, 25, 14, 0, tzinfo=dt.UTC)  # 10:00 EDT


def test_a_student_of_another_session_cannot_open_the_questions_even_after_release(
    exam: Exam, examiner: User, student: User, other_student: User, client_for, clock
) -> None:
    mine = seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 25, 15), examiner).session
    seat(exam, other_student, dt.date(2026, 5, 27), local(2026, 5, 27, 15), examiner)
    clock(local(2026, 5, 25, 10, 30))
    page_url, api_url = _urls("DD2424", mine.pk)
    assert client_for(student).get(page_url).status_code == 200
    assert client_for(other_student).get(page_url).status_code == 404
    assert client_for(other_student).get(api_url).status_code == 404


def test_staff_can_check_the_questions_before_the_release(
    exam: Exam, examiner: User, ta: User, student: User, client_for, clock
) -> None:
    session = seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 25, 15), examiner).session
    clock(local(2026, 5, 20, 12))
    page_url, _ = _urls("DD2424", session.pk)
    assert client_for(examiner).get(page_url).status_code == 200
    assert client_for(ta).get(page_url).status_code == 200


def test_outsiders_and_anonymous_visitors_never_get_the_questions(
    exam: Exam, examiner: User, student: User, outsider: User, client_for, client, clock
) -> None:
    session = seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 25, 15), examiner).session
    clock(local(2026, 5, 25, 12))
    page_url, api_url = _urls("DD2424", session.pk)
    assert client_for(outsider).get(page_url).status_code == 404
    assert client.get(page_url).status_code == 302  # to the sign-in page
    assert client.get(api_url).status_code in (401, 403)


def test_the_questions_file_has_a_random_name_and_no_media_url(
    exam: Exam, examiner: User, student: User, client_for, clock
) -> None:
    session = seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 25, 15), examiner).session
    name = session.questions_name
    assert name.startswith("exam-questions/")
    assert len(name.rsplit("/", 1)[1]) > 40  # 32 random bytes, not the content hash or the date
    assert default_storage.exists(name)
    clock(local(2026, 5, 25, 9, 59, 59))
    assert client_for(student).get(f"/{settings.MEDIA_URL}{name}").status_code == 404
    clock(local(2026, 5, 25, 10))
    assert name not in client_for(student).get("/c/DD2424/exams/").content.decode()
