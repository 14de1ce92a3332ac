"""Many parallel attempts on one help slot yield exactly one booking (PostgreSQL, threads)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from coursesite.models import Role
from projects import services
from projects.models import HelpBooking
from tests.support import make_member


@pytest.mark.django_db(transaction=True)
def test_many_parallel_attempts_on_one_slot_give_exactly_one_booking(course, ta) -> None:
    assert connection.vendor == "postgresql"
    availability = services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(10),
        end=dt.time(10, 15),
        place="Room 4523",
    )
    slot = availability.slots.get()
    students = [make_member(course, f"s{i:02d}", Role.STUDENT) for i in range(10)]
    barrier = threading.Barrier(len(students))
    outcomes: list[str] = []

    def book(index: int) -> None:
        try:
            barrier.wait()
            services.help_book(slot=slot, by=students[index], kind="assignment", topic=f"question {index}")
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(len(students))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("booked") == 1
    assert set(outcomes) == {"booked", "That slot has just been taken; choose another."}
    assert HelpBooking.objects.filter(slot=slot, cancelled_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_student_booking_two_slots_at_once_gets_only_one(course, ta, student) -> None:
    availability = services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(10),
        end=dt.time(11),
        place="Room 4523",
    )
    slots = list(availability.slots.all())
    barrier = threading.Barrier(len(slots))
    outcomes: list[str] = []

    def book(index: int) -> None:
        try:
            barrier.wait()
            services.help_book(slot=slots[index], by=student, kind="assignment", topic="A1")
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(len(slots))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("booked") == 1
    assert HelpBooking.objects.filter(booked_by=student).count() == 1
