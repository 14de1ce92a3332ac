"""The date poll: students who chose the exam answer yes / if need be / no while it is open; the examiner reads the
table, closes it and picks dates; students are seated by their votes and told by email."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from coursesite.models import AuditLog, Role, User
from exams import selectors, services
from exams.models import CandidateDate, Exam, PollVote, Sitting
from tests.support import make_member

from .conftest import local

OPEN = local(2026, 4, 25, 12)


@pytest.fixture
def voters(exam: Exam, student: User, other_student: User, carol: User, clock) -> list[User]:
    clock(local(2026, 4, 1))
    for s in (student, other_student, carol):
        services.module_choose(course=exam.course, student=s, choice="exam")
    return [student, other_student, carol]


def test_candidate_dates_default_to_the_weekdays_of_the_exam_period(exam: Exam) -> None:
    days = [c.day for c in CandidateDate.objects.filter(exam=exam)]
    assert days[0] == dt.date(2026, 5, 25) and days[-1] == dt.date(2026, 6, 5)
    assert len(days) == 10
    assert all(d.weekday() < 5 for d in days)


def test_a_student_votes_and_edits_while_the_poll_is_open(exam: Exam, voters, client_for, clock) -> None:
    alice = client_for(voters[0])
    clock(OPEN)
    page = alice.get("/c/DD2424/exams/").content.decode()
    assert 'name="day-2026-05-25"' in page
    response = alice.post("/c/DD2424/exams/poll/", {"day-2026-05-25": "yes", "day-2026-05-26": "no"})
    assert response.status_code == 302
    response = alice.put(
        "/api/courses/DD2424/exams/poll/",
        {"answers": [{"day": "2026-05-26", "answer": "maybe"}]},
        content_type="application/json",
    )
    assert response.status_code == 200
    mine = {c["day"]: c["mine"] for c in response.json()["candidates"]}
    assert mine["2026-05-25"] == "yes" and mine["2026-05-26"] == "maybe" and mine["2026-05-27"] == ""
    assert response.json()["candidates"][0]["yes"] is None  # students do not see the totals


@pytest.mark.parametrize(
    "moment",
    [local(2026, 4, 20, 8, 59, 59), local(2026, 5, 2, 23, 59)],
    ids=["a-second-before-opening", "at-closing"],
)
def test_votes_are_refused_outside_the_poll_window(exam: Exam, voters, client_for, clock, moment) -> None:
    clock(moment)
    response = client_for(voters[0]).post("/c/DD2424/exams/poll/", {"day-2026-05-25": "yes"})
    assert response.status_code == 400
    assert "The exam date poll is not open." in response.content.decode()
    assert not PollVote.objects.exists()


def test_only_students_who_chose_the_exam_vote(exam: Exam, client_for, clock) -> None:
    clock(local(2026, 4, 1))
    bob = make_member(exam.course, "dora", Role.STUDENT)
    services.module_choose(course=exam.course, student=bob, choice="project")
    clock(OPEN)
    response = client_for(bob).post("/c/DD2424/exams/poll/", {"day-2026-05-25": "yes"})
    assert response.status_code == 400
    assert "Only students who chose the exam" in response.content.decode()


def test_a_vote_for_a_date_outside_the_poll_is_refused(exam: Exam, voters, clock) -> None:
    clock(OPEN)
    with pytest.raises(ValidationError, match="not one of the poll's dates"):
        services.poll_vote(course=exam.course, student=voters[0], answers={dt.date(2026, 5, 30): "yes"})


def test_the_examiner_sees_the_table_with_totals(exam: Exam, examiner: User, voters, client_for, clock) -> None:
    clock(OPEN)
    day1, day2 = dt.date(2026, 5, 25), dt.date(2026, 5, 26)
    services.poll_vote(course=exam.course, student=voters[0], answers={day1: "yes", day2: "no"})
    services.poll_vote(course=exam.course, student=voters[1], answers={day1: "maybe", day2: "yes"})
    services.poll_vote(course=exam.course, student=voters[2], answers={day1: "yes"})
    table = selectors.poll_table(exam=exam)
    assert table.totals[0] == {"yes": 2, "maybe": 1, "no": 0}
    assert table.totals[1] == {"yes": 1, "maybe": 0, "no": 1}
    page = client_for(examiner).get("/c/DD2424/exams/").content.decode()
    assert "2 / 1 / 0" in page and "Alice Student" in page
    api = client_for(examiner).get("/api/courses/DD2424/exams/poll/").json()
    assert api["candidates"][0] == {"day": "2026-05-25", "mine": "", "yes": 2, "maybe": 1, "no": 0}


def test_a_withdrawn_students_votes_leave_the_table_and_the_counts(exam: Exam, voters, clock) -> None:
    from coursesite.models import Membership
    from exams.selectors import staff_counts

    clock(OPEN)
    day1 = dt.date(2026, 5, 25)
    services.poll_vote(course=exam.course, student=voters[0], answers={day1: "yes"})
    services.poll_vote(course=exam.course, student=voters[1], answers={day1: "yes"})
    before = staff_counts(course=exam.course)
    Membership.objects.filter(course=exam.course, user=voters[0]).update(withdrawn_at=timezone.now())

    table = selectors.poll_table(exam=exam)
    assert voters[0] not in [row.student for row in table.rows]
    assert table.totals[0]["yes"] == 1
    assert staff_counts(course=exam.course).chose_exam == before.chose_exam - 1


def test_closing_the_poll_stops_votes(exam: Exam, examiner: User, voters, client_for, clock) -> None:
    clock(OPEN)
    assert client_for(voters[0]).post("/api/courses/DD2424/exams/poll/close/").status_code == 403
    assert client_for(examiner).post("/c/DD2424/exams/poll/close/").status_code == 302
    with pytest.raises(ValidationError, match="not open"):
        services.poll_vote(course=exam.course, student=voters[0], answers={dt.date(2026, 5, 25): "yes"})


def test_picking_dates_seats_students_by_their_votes_and_emails_them(
    exam: Exam, examiner: User, voters, client_for, clock, django_capture_on_commit_callbacks
) -> None:
    alice, bob, carol = voters
    clock(OPEN)
    day1, day2 = dt.date(2026, 5, 25), dt.date(2026, 5, 28)
    services.poll_vote(course=exam.course, student=alice, answers={day1: "no", day2: "yes"})
    services.poll_vote(course=exam.course, student=bob, answers={day1: "yes", day2: "no"})
    # carol did not vote: she goes where there is room
    clock(local(2026, 5, 3, 9))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(examiner).post(
            "/c/DD2424/exams/sessions/pick/",
            {"days": ["2026-05-25", "2026-05-28"], "deadline_time": "15:00", "deadline_days_after": "0"},
        )
    assert response.status_code == 302
    seats = {s.student.username: s.session.day for s in Sitting.objects.select_related("student", "session")}
    assert seats["alice"] == day2 and seats["bob"] == day1 and seats["carol"] in (day1, day2)
    assert exam.sessions.get(day=day1).deadline_at == local(2026, 5, 25, 15)
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.edu", "bob@example.edu", "carol@example.edu"]
    to_alice = next(m for m in mail.outbox if m.to == ["alice@example.edu"])
    assert "Thursday 28 May 2026" in to_alice.body
    assert "Thu 28 May 2026, 10:00 CEST" in to_alice.body
    exam.refresh_from_db()
    assert exam.poll_closed_at == local(2026, 5, 3, 9)
    assert AuditLog.objects.filter(action="exam_session.pick").count() == 1


def test_a_student_changes_to_another_picked_date_before_the_questions_are_out(
    exam: Exam, examiner: User, voters, client_for, clock, django_capture_on_commit_callbacks
) -> None:
    clock(local(2026, 5, 3, 9))
    s1, s2 = services.sessions_pick(
        exam=exam, days=[dt.date(2026, 5, 25), dt.date(2026, 5, 28)], deadline_time=dt.time(15), by=examiner
    )
    alice = client_for(voters[0])
    target = s2 if Sitting.objects.get(student=voters[0]).session_id == s1.pk else s1
    assert alice.post("/c/DD2424/exams/my-session/", {"session": target.pk}).status_code == 302
    assert Sitting.objects.get(student=voters[0]).session == target
    clock(local(2026, 5, 25, 10))
    other = s1 if target == s2 else s2
    response = alice.post("/c/DD2424/exams/my-session/", {"session": other.pk})
    assert response.status_code == 400
    assert Sitting.objects.get(student=voters[0]).session == target


def test_a_student_who_chooses_the_exam_after_the_pick_gets_a_seat_and_an_email(
    exam: Exam, examiner: User, voters, clock, django_capture_on_commit_callbacks
) -> None:
    clock(local(2026, 4, 2))
    services.sessions_pick(exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(15), by=examiner)
    late = make_member(exam.course, "erik", Role.STUDENT)
    with django_capture_on_commit_callbacks(execute=True):
        services.module_choose(course=exam.course, student=late, choice="exam")
    assert Sitting.objects.get(student=late).session.day == dt.date(2026, 5, 25)
    assert [m.to for m in mail.outbox] == [["erik@example.edu"]]


def test_picking_the_same_date_twice_is_refused(exam: Exam, examiner: User, clock) -> None:
    clock(local(2026, 5, 3, 9))
    services.sessions_pick(exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(15), by=examiner)
    with pytest.raises(ValidationError, match="already an exam session"):
        services.sessions_pick(exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(15), by=examiner)


def test_a_deadline_before_the_release_is_refused(exam: Exam, examiner: User, clock) -> None:
    clock(local(2026, 5, 3, 9))
    with pytest.raises(ValidationError, match="after the questions are released"):
        services.sessions_pick(exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(9), by=examiner)
