"""Parallel requests cannot both succeed: two examiners picking the same date, or seating the same students."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from coursesite.models import Course, Role, User
from exams import services
from exams.models import ExamSession, Sitting
from tests.support import make_member

from .conftest import local


@pytest.mark.django_db(transaction=True)
def test_two_examiners_picking_the_same_date_at_once_make_one_session(clock) -> None:
    course = Course.objects.create(code="DD2424", name="DL", exam_period_start=dt.date(2026, 5, 25))
    examiners = [make_member(course, f"ex{i}", Role.INSTRUCTOR) for i in range(2)]
    clock(local(2026, 4, 1))
    students = [make_member(course, f"s{i}", Role.STUDENT) for i in range(4)]
    for s in students:
        services.module_choose(course=course, student=s, choice="exam")
    exam = services.exam_for(course=course)
    clock(local(2026, 5, 3))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def pick(by: User) -> None:
        try:
            barrier.wait()
            services.sessions_pick(
                exam=exam, days=[dt.date(2026, 5, 25)], deadline_time=dt.time(15), by=by, notify=False
            )
            outcomes.append("picked")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=pick, args=(e,)) for e in examiners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Mon 25 May 2026 is already an exam session.", "picked"]
    assert ExamSession.objects.count() == 1
    assert Sitting.objects.count() == 4
