"""The exam's API schema, the demo course's exam, and what the exam puts on the dashboard and calendar."""

import datetime as dt

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from coursesite.demo import load_demo_course
from coursesite.hooks import registry
from coursesite.models import Course, User
from exams import demo, selectors, services
from exams.models import Exam, ExamSession, ModuleChoice, PollVote, Sitting
from exams.urls import urlpatterns

from .conftest import local, seat


def test_the_exam_api_is_in_a_valid_openapi_schema() -> None:
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert "/api/courses/{code}/exams/sessions/{session_id}/questions/" in schema["paths"]
    assert "/api/courses/{code}/exams/sittings/{sitting_id}/mark/" in schema["paths"]
    names = schema["components"]["schemas"]
    assert "ExamPollOutput" in names and "ExamSittingOutput" in names


def test_the_demo_has_a_poll_with_votes_and_a_picked_date_and_loads_twice(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "demo", [(30, demo.extend_demo)])
    start = dt.date(2026, 3, 18)
    load_demo_course(start=start)
    load_demo_course(start=start)
    course = Course.objects.get(code="DD2424")
    choices = selectors.module_choices(course=course)
    exam_students = {u.pk for u in User.objects.filter(username__in=[f"student{i}" for i in range(16, 31)])}
    assert {pk for pk, choice in choices.items() if choice == "exam"} == exam_students
    assert list(choices.values()).count("project") == 15
    exam = Exam.objects.get(course=course)
    assert exam.poll_closed_at is not None
    assert PollVote.objects.filter(candidate__exam=exam).count() == 15 * 10
    assert PollVote.objects.filter(answer="no").exists() and PollVote.objects.filter(answer="maybe").exists()
    session = ExamSession.objects.get(exam=exam)
    assert course.exam_period_start <= session.day <= course.exam_period_end
    assert session.questions_name
    assert Sitting.objects.filter(exam=exam).count() == 15
    assert ModuleChoice.objects.count() == 30


def test_a_student_is_told_to_choose_and_then_to_vote(exam: Exam, student: User, client_for, clock) -> None:
    clock(local(2026, 4, 1))
    page = client_for(student).get("/c/DD2424/").content.decode()
    assert "Choose the project or the exam" in page
    services.module_choose(course=exam.course, student=student, choice="exam")
    clock(local(2026, 4, 21))
    page = client_for(student).get("/c/DD2424/").content.decode()
    assert "Vote on the exam date" in page
    assert 'href="/c/DD2424/exams/"' in page


def test_the_dashboard_says_when_the_questions_are_out_and_when_answers_are_due(
    exam: Exam, examiner: User, student: User, client_for, clock
) -> None:
    seat(exam, student, dt.date(2026, 3, 29), local(2026, 3, 29, 15), examiner)
    clock(local(2026, 3, 29, 9))
    page = client_for(student).get("/c/DD2424/").content.decode()
    assert "Exam questions out at Sun 29 Mar 2026, 10:00 CEST" in page
    clock(local(2026, 3, 29, 10))
    page = client_for(student).get("/c/DD2424/").content.decode()
    assert "Upload your answers before Sun 29 Mar 2026, 15:00 CEST" in page


def test_staff_see_the_counts_on_the_dashboard(
    exam: Exam, examiner: User, student: User, other_student: User, client_for, clock
) -> None:
    clock(local(2026, 4, 1))
    services.module_choose(course=exam.course, student=other_student, choice="project")
    seat(exam, student, dt.date(2026, 5, 25), local(2026, 5, 25, 15), examiner)
    page = client_for(examiner).get("/c/DD2424/").content.decode()
    assert "1 chose the exam, 1 the project, 0 undecided" in page
    assert "0 answers handed in, 0 to mark" in page


def test_the_session_is_in_the_calendar_and_the_ical_feed(
    exam: Exam, examiner: User, student: User, other_student: User, client_for
) -> None:
    seat(exam, student, dt.date(2026, 10, 25), local(2026, 10, 25, 15), examiner)
    page = client_for(student).get("/c/DD2424/calendar/").content.decode()
    assert "Exam questions out" in page and "Exam answers due" in page
    feed = client_for(student).get(f"/ical/{student.calendar_token}.ics").content.decode()
    assert "DD2424: Exam questions out" in feed
    assert "20261025T100000" in feed  # 10:00 local, in the course's zone
    other_feed = client_for(other_student).get(f"/ical/{other_student.calendar_token}.ics").content.decode()
    assert "Exam questions out" not in other_feed
    assert "Exam questions out (25 Oct session)" in client_for(examiner).get("/c/DD2424/calendar/").content.decode()
