"""Fixtures of the exam tests: a frozen exam clock, a course with 2026 exam dates, files in a temporary media root."""

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursesite.models import Course, Role, User
from coursesite.uploads import minimal_pdf
from exams import clock as exam_clock
from exams import services
from exams.models import Exam, ExamSession, Sitting
from tests.support import make_member

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """A wall-clock moment in Stockholm (the course's time zone)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=STOCKHOLM)


def pdf(text: str = "Answers", name: str = "answers.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf(text), content_type="application/pdf")


@pytest.fixture
def clock() -> Iterator[Callable[[dt.datetime], None]]:
    """Set the exam app's clock: `clock(local(2026, 5, 25, 10))`; it runs freely again after the test."""
    yield exam_clock.set_now
    exam_clock.set_now(None)


@pytest.fixture
def exam_course(course: Course) -> Course:
    """The course with the 2026 poll (20 April - 2 May) and exam period (25 May - 5 June)."""
    course.exam_poll_opens = local(2026, 4, 20, 9)
    course.exam_poll_closes = local(2026, 5, 2, 23, 59)
    course.exam_period_start = dt.date(2026, 5, 25)
    course.exam_period_end = dt.date(2026, 6, 5)
    course.save()
    return course


@pytest.fixture
def exam(exam_course: Course, examiner: User) -> Exam:
    exam = services.exam_for(course=exam_course)
    return services.exam_update(exam=exam, by=examiner, choice_cutoff=local(2026, 4, 13, 23, 59))


def seat(exam: Exam, student: User, day: dt.date, deadline: dt.datetime, by: User) -> Sitting:
    """Give `student` a session on `day` (creating it) with the questions uploaded; the clock must allow the choice."""
    session = ExamSession.objects.filter(exam=exam, day=day).first()
    if session is None:
        session = ExamSession.objects.create(exam=exam, day=day, deadline_at=deadline)
        session = services.questions_upload(session=session, upload=pdf("Questions", "questions.pdf"), by=by)
    exam_clock.set_now(exam.choice_cutoff - dt.timedelta(days=1))
    services.module_choose(course=exam.course, student=student, choice="exam")
    sitting, _ = Sitting.objects.update_or_create(exam=exam, student=student, defaults={"session": session})
    return sitting


@pytest.fixture
def carol(course: Course) -> User:
    return make_member(course, "carol", Role.STUDENT, "Carol Student")
