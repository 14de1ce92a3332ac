"""Withdrawing published help time: by its TA or the examiner, refused while booked, on the page and in the API."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from coursesite.models import AuditLog, Course, Role
from projects import selectors, services, urls
from projects.models import HelpAvailability, HelpBooking, HelpSlot
from tests.support import make_member

BOOKED = "so this time cannot be withdrawn"


def _publish(course, ta, days: int = 2, start: int = 13, end: int = 14) -> HelpAvailability:
    return services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=days),
        start=dt.time(start),
        end=dt.time(end),
        place="Room 4523",
    )


def _page(course) -> str:
    return f"/c/{course.code}/projects/help/"


def _withdraw_url(course, availability_id: int) -> str:
    return f"/c/{course.code}/projects/help/availability/{availability_id}/withdraw/"


CONFIRMED = {"confirmed": "yes"}


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_ta_withdraws_their_time_and_its_slots_leave_the_listing(course, ta, student, client_for) -> None:
    kept = _publish(course, ta, days=3)
    gone = _publish(course, ta, days=2)
    tara = client_for(ta)
    page = tara.get(_page(course)).content.decode()
    assert _withdraw_url(course, gone.pk) in page
    assert "csrfmiddlewaretoken" in page

    response = tara.post(_withdraw_url(course, gone.pk))  # asked first
    assert "Withdraw " in response.content.decode() and "Yes, withdraw these times" in response.content.decode()
    assert HelpAvailability.objects.filter(pk=gone.pk).exists()
    response = tara.post(_withdraw_url(course, gone.pk), CONFIRMED, follow=True)

    assert response.status_code == 200
    assert "Withdrawn: those slots are no longer offered." in response.content.decode()
    assert not HelpAvailability.objects.filter(pk=gone.pk).exists()
    assert not HelpSlot.objects.filter(availability_id=gone.pk).exists()
    free = [s.pk for s in selectors.help_slots_upcoming(course=course)]
    assert free == list(kept.slots.order_by("starts_at").values_list("pk", flat=True))
    student_page = client_for(student).get(_page(course)).content.decode()
    assert student_page.count('/book/" class="book"') == 4
    assert AuditLog.objects.filter(action="help_availability.withdraw", target_id=str(gone.pk)).count() == 1


def test_another_ta_is_refused_and_nothing_changes(course, ta, client_for) -> None:
    availability = _publish(course, ta)
    other_ta = make_member(course, "tom", Role.TA, "Tom Assistant")

    refused = client_for(other_ta).post(_withdraw_url(course, availability.pk), CONFIRMED)

    assert refused.status_code == 403
    assert availability.slots.count() == 4
    assert _withdraw_url(course, availability.pk) not in client_for(other_ta).get(_page(course)).content.decode()


def test_a_student_is_refused(course, ta, student, client_for) -> None:
    availability = _publish(course, ta)
    assert client_for(student).post(_withdraw_url(course, availability.pk), CONFIRMED).status_code == 403
    base = f"/api/courses/{course.code}/projects/help/availability"
    assert _api(student).post(f"{base}/{availability.pk}/withdraw/").status_code == 403
    assert _api(student).get(f"{base}/").status_code == 403
    assert HelpAvailability.objects.filter(pk=availability.pk).exists()


def test_the_examiner_withdraws_any_tas_time(course, ta, examiner, client_for) -> None:
    availability = _publish(course, ta)
    ada = client_for(examiner)
    assert _withdraw_url(course, availability.pk) in ada.get(_page(course)).content.decode()

    assert ada.post(_withdraw_url(course, availability.pk), CONFIRMED).status_code == 302

    assert not HelpAvailability.objects.filter(pk=availability.pk).exists()


def test_time_with_a_booked_slot_is_refused_with_the_booked_time_named(course, ta, student, client_for) -> None:
    availability = _publish(course, ta)
    slot = availability.slots.order_by("starts_at")[1]
    services.help_book(slot=slot, by=student, kind="assignment", topic="A2 gradient check")

    refused = client_for(ta).post(_withdraw_url(course, availability.pk), CONFIRMED)

    assert refused.status_code == 400
    page = refused.content.decode()
    assert BOOKED in page
    assert timezone.localtime(slot.starts_at, course.tz).strftime("%H:%M") in page
    assert availability.slots.count() == 4
    assert not AuditLog.objects.filter(action="help_availability.withdraw").exists()


def test_time_whose_booking_was_cancelled_can_be_withdrawn(course, ta, student, client_for) -> None:
    availability = _publish(course, ta, days=3)
    booking = services.help_book(
        slot=availability.slots.first(), by=student, kind="assignment", topic="A2 gradient check"
    )
    services.help_cancel(booking=booking, by=student)

    assert client_for(ta).post(_withdraw_url(course, availability.pk), CONFIRMED).status_code == 302
    assert not HelpAvailability.objects.filter(pk=availability.pk).exists()


def test_a_missing_or_foreign_id_gives_404(course, ta, examiner, client_for) -> None:
    availability = _publish(course, ta)
    other_course = Course.objects.create(code="DD9999", name="Other", term="VT", first_lecture_on=timezone.localdate())
    other_examiner = make_member(other_course, "examiner2", Role.INSTRUCTOR)
    missing = availability.pk + 1000
    assert client_for(ta).post(_withdraw_url(course, missing), CONFIRMED).status_code == 404
    api_url = f"/api/courses/{course.code}/projects/help/availability/{missing}/withdraw/"
    assert _api(ta).post(api_url).status_code == 404
    foreign = client_for(other_examiner).post(_withdraw_url(other_course, availability.pk), CONFIRMED)
    assert foreign.status_code == 404
    assert HelpAvailability.objects.filter(pk=availability.pk).exists()


def test_the_page_only_withdraws_with_a_post(course, ta, client_for) -> None:
    availability = _publish(course, ta)
    assert client_for(ta).get(_withdraw_url(course, availability.pk)).status_code == 405
    assert HelpAvailability.objects.filter(pk=availability.pk).exists()


def test_the_api_lists_and_withdraws_published_time(course, ta, examiner, student) -> None:
    base = f"/api/courses/{course.code}/projects/help"
    mine = _publish(course, ta)
    other_ta = make_member(course, "tom", Role.TA, "Tom Assistant")
    theirs = _publish(course, other_ta, days=3)
    services.help_book(slot=theirs.slots.first(), by=student, kind="assignment", topic="A1")
    tara, tom, ada = _api(ta), _api(other_ta), _api(examiner)

    listed = tara.get(f"{base}/availability/").json()
    assert [(a["id"], a["ta"], a["slots"], a["booked"]) for a in listed] == [(mine.pk, "tara", 4, 0)]
    assert [a["booked"] for a in ada.get(f"{base}/availability/").json()] == [0, 1]

    assert tom.post(f"{base}/availability/{mine.pk}/withdraw/").status_code == 403
    refused = ada.post(f"{base}/availability/{theirs.pk}/withdraw/")
    assert refused.status_code == 400
    assert BOOKED in refused.json()["detail"]

    withdrawn = tara.post(f"{base}/availability/{mine.pk}/withdraw/")
    assert withdrawn.status_code == 204
    assert tara.get(f"{base}/availability/").json() == []
    assert {s["ta"] for s in _api(student).get(f"{base}/slots/").json()} == {"Tom Assistant"}
    assert tara.post(f"{base}/availability/{mine.pk}/withdraw/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_withdrawing_while_students_book_never_loses_a_booking(course, ta) -> None:
    assert connection.vendor == "postgresql"
    availability = _publish(course, ta, start=10, end=11)
    slots = list(availability.slots.order_by("starts_at"))
    students = [make_member(course, f"s{i:02d}", Role.STUDENT) for i in range(len(slots))]
    barrier = threading.Barrier(len(slots) + 1)
    outcomes: dict[str, str] = {}

    def attempt(name: str, action) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            action()
            outcomes[name] = "done"
        except ValidationError as exc:
            outcomes[name] = exc.messages[0]
        except Exception as exc:  # noqa: BLE001
            outcomes[name] = repr(exc)
        finally:
            connections.close_all()

    def book(index: int):  # type: ignore[no-untyped-def]
        return lambda: services.help_book(slot=slots[index], by=students[index], kind="assignment", topic="A1")

    threads = [threading.Thread(target=attempt, args=(f"book{i}", book(i))) for i in range(len(slots))]
    withdraw = lambda: services.help_availability_withdraw(availability=availability, by=ta)  # noqa: E731
    threads.append(threading.Thread(target=attempt, args=("withdraw", withdraw)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    booked = [name for name, outcome in outcomes.items() if name.startswith("book") and outcome == "done"]
    assert len(outcomes) == len(threads)
    assert HelpBooking.objects.filter(cancelled_at__isnull=True).count() == len(booked)
    if outcomes["withdraw"] == "done":
        assert booked == []
        assert not HelpSlot.objects.exists()
        assert {outcomes[f"book{i}"] for i in range(len(slots))} == {"That slot is no longer offered; choose another."}
    else:
        assert booked
        assert BOOKED in outcomes["withdraw"]
        assert HelpSlot.objects.count() == len(slots)


def test_the_withdraw_endpoint_is_in_the_schema() -> None:
    schema = SchemaGenerator(patterns=urls.urlpatterns).get_schema(request=None, public=True)
    validate_schema(schema)
    withdraw = schema["paths"]["/api/courses/{code}/projects/help/availability/{availability_id}/withdraw/"]["post"]
    assert set(withdraw["responses"]) == {"204"}
    assert "ProjectHelpAvailabilityList" in schema["components"]["schemas"]
