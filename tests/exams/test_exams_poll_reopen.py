"""The examiner reopens the exam date poll (page and API): votes kept, a new closing moment; refused after picking."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coursesite.models import AuditLog, User
from exams import rules, services
from exams.models import Exam, PollVote

from .conftest import local

OPEN = local(2026, 4, 25, 12)


@pytest.fixture
def voter(exam: Exam, student: User, clock) -> User:
    clock(local(2026, 4, 1))
    services.module_choose(course=exam.course, student=student, choice="exam")
    clock(OPEN)
    services.poll_vote(course=exam.course, student=student, answers={dt.date(2026, 5, 25): "yes"})
    return student


def test_the_examiner_reopens_a_closed_poll_and_the_votes_stay(
    exam: Exam, examiner: User, voter: User, client_for, clock
) -> None:
    services.poll_close(exam=exam, by=examiner)
    clock(local(2026, 4, 26, 9))
    page = client_for(examiner).get("/c/DD2424/exams/").content.decode()
    assert "Reopen the poll" in page

    response = client_for(examiner).post("/c/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-04T12:00"})

    assert response.status_code == 302
    exam.refresh_from_db()
    assert exam.poll_closed_at is None
    assert exam.course.exam_poll_closes == local(2026, 5, 4, 12)
    assert rules.poll_open(exam=exam, now=local(2026, 5, 3, 12))
    assert PollVote.objects.filter(student=voter).count() == 1
    services.poll_vote(course=exam.course, student=voter, answers={dt.date(2026, 5, 25): "no"})
    row = AuditLog.objects.get(action="poll.reopen")
    assert row.data == {"old_closes": "Sat 2 May 2026, 23:59 CEST", "closes": "Mon 4 May 2026, 12:00 CEST"}


def test_a_poll_past_its_closing_date_reopens_through_the_api(exam: Exam, examiner: User, client_for, clock) -> None:
    clock(local(2026, 5, 3, 9))  # closed by its date
    response = client_for(examiner).post(
        "/api/courses/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-06T18:00"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    exam.refresh_from_db()
    assert exam.course.exam_poll_closes == local(2026, 5, 6, 18)
    assert rules.poll_open(exam=exam, now=local(2026, 5, 3, 9))


def test_reopening_is_refused_in_words_for_a_past_moment_after_picking_and_for_others(
    exam: Exam, examiner: User, voter: User, ta: User, client_for, clock
) -> None:
    clock(local(2026, 5, 3, 9))
    response = client_for(examiner).post("/c/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-03T08:00"})
    assert response.status_code == 400
    assert "choose a closing moment in the future" in response.content.decode()
    response = client_for(examiner).post("/c/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-30T08:00"})
    assert response.status_code == 400
    assert "must close before the exam period starts" in response.content.decode()
    for person in (voter, ta):
        page = client_for(person).post("/c/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-06T18:00"})
        api = client_for(person).post("/api/courses/DD2424/exams/poll/reopen/", {"closes_at": "2026-05-06T18:00"})
        assert (page.status_code, api.status_code) == (403, 403)

    services.sessions_pick(exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(15), by=examiner)
    with pytest.raises(ValidationError, match="already picked"):
        services.poll_reopen(exam=exam, closes_at=local(2026, 5, 6, 18), by=examiner)
    assert "Reopen the poll" not in client_for(examiner).get("/c/DD2424/exams/").content.decode()
    exam.refresh_from_db()
    assert exam.poll_closed_at is not None and exam.course.exam_poll_closes == local(2026, 5, 2, 23, 59)
