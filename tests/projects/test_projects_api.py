"""The projects REST API: the whole flow through HTTP, refusals as 4xx with words, and a valid OpenAPI schema."""

import datetime as dt

from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from coursesite.models import AuditLog
from projects import selectors, urls
from projects.models import OralSlot

from .conftest import pdf_upload


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_whole_project_flow_through_the_api(dated_course, examiner, ta, student, other_student, carol) -> None:
    base = f"/api/courses/{dated_course.code}/projects"
    alice, bob, carol_api, ada, tara = _api(student), _api(other_student), _api(carol), _api(examiner), _api(ta)

    group = alice.post(f"{base}/groups/", {"name": "Alpha"}, format="json").json()
    for invitee, client in (("bob", bob), ("carol", carol_api)):
        assert alice.post(f"{base}/groups/{group['id']}/invitations/", {"username": invitee}).status_code == 201
        invitation = client.get(f"{base}/invitations/").json()[0]
        assert client.post(f"{base}/invitations/{invitation['id']}/answer/", {"accept": True}).status_code == 200

    proposal = alice.post(
        f"{base}/groups/{group['id']}/proposals/",
        {"title": "GANs", "description": "We train a GAN.", "pdf": pdf_upload("Proposal", "proposal.pdf")},
        format="multipart",
    )
    assert proposal.status_code == 201, proposal.content
    assert proposal.json()["due_on"] == str(timezone.localdate() + dt.timedelta(days=5))
    assert [p["title"] for p in ada.get(f"{base}/proposals/queue/").json()] == ["GANs"]
    assert alice.get(f"{base}/proposals/queue/").status_code == 403
    decided = ada.post(f"{base}/proposals/{proposal.json()['id']}/decision/", {"approve": True}, format="json")
    assert decided.json()["status"] == "approved"

    compute = bob.post(f"{base}/groups/{group['id']}/compute/", {"account": "dd-alpha", "applied_on": "2026-04-01"})
    assert compute.json()["compute_account"] == "dd-alpha"
    report = carol_api.post(f"{base}/groups/{group['id']}/report/", {"report": pdf_upload()}, format="multipart")
    assert report.status_code == 201 and report.json()["late"] is False

    slots = ada.post(
        f"{base}/orals/", {"day": str(dated_course.orals_start), "start": "09:00", "count": 2}, format="json"
    ).json()
    assert alice.post(f"{base}/orals/{slots[0]['id']}/book/").status_code == 200
    assert alice.get(f"{base}/groups/{group['id']}/").json()["oral_starts_at"] is not None

    availability = tara.post(
        f"{base}/help/availability/",
        {"date": str(timezone.localdate() + dt.timedelta(days=1)), "start": "10:00", "end": "10:30", "place": "Zoom"},
        format="json",
    )
    assert availability.json()["slots"] == 2
    free = alice.get(f"{base}/help/slots/").json()
    booking = bob.post(f"{base}/help/slots/{free[0]['id']}/book/", {"kind": "project", "topic": "Loss"}, format="json")
    assert booking.status_code == 201
    assert sorted(booking.json()["attendees"]) == ["alice", "bob", "carol"]
    assert [b["topic"] for b in carol_api.get(f"{base}/help/bookings/").json()] == ["Loss"]
    agenda = tara.get(f"{base}/help/agenda/", {"date": str(timezone.localdate() + dt.timedelta(days=1))}).json()
    assert agenda[0]["booking"]["topic"] == "Loss" and agenda[1]["booking"] is None
    noted = tara.post(f"{base}/help/bookings/{booking.json()['id']}/attendance/", {"attended": True}, format="json")
    assert noted.json()["attended"] is True

    grading = {
        "grade": "B",
        "members": [
            {"username": "alice", "confirmed": True},
            {"username": "bob", "confirmed": True},
            {"username": "carol", "confirmed": False, "note": "absent"},
        ],
    }
    early = ada.post(f"{base}/groups/{group['id']}/grade/", grading, format="json")
    assert early.status_code == 400
    assert "grade it once the oral is over" in early.json()["detail"]
    # The oral takes place (its slot now lies in the past), and the group can be graded.
    OralSlot.objects.filter(pk=slots[0]["id"]).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=timezone.now() - dt.timedelta(minutes=30)
    )
    grade = ada.post(f"{base}/groups/{group['id']}/grade/", grading, format="json")
    assert grade.status_code == 200, grade.content
    results = selectors.project_results(course=dated_course)
    assert [results[u.pk].grade for u in (student, other_student, carol)] == ["B", "B", "Fx"]
    assert AuditLog.objects.filter(course=dated_course).count() >= 12


def test_refusals_are_400s_with_words_and_nothing_is_stored(course, ta, student) -> None:
    base = f"/api/courses/{course.code}/projects"
    tara, alice = _api(ta), _api(student)
    day = str(timezone.localdate() + dt.timedelta(days=1))
    tara.post(f"{base}/help/availability/", {"date": day, "start": "10:00", "end": "10:15", "place": "Zoom"})
    slot = alice.get(f"{base}/help/slots/").json()[0]
    refused = alice.post(f"{base}/help/slots/{slot['id']}/book/", {"kind": "project", "topic": "Our project"})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "project help is booked by your whole group of 3"}

    group = alice.post(f"{base}/groups/", {}).json()
    fake = alice.post(
        f"{base}/groups/{group['id']}/report/",
        {"report": pdf_upload()},
        format="multipart",
    )
    assert fake.status_code == 400
    assert "approved proposal" in fake.json()["detail"]


def test_outsiders_get_404_and_students_cannot_publish(course, student, outsider) -> None:
    assert _api(outsider).get(f"/api/courses/{course.code}/projects/groups/").status_code == 404
    day = str(timezone.localdate() + dt.timedelta(days=1))
    published = _api(student).post(
        f"/api/courses/{course.code}/projects/help/availability/",
        {"date": day, "start": "10:00", "end": "10:15", "place": "x"},
    )
    assert published.status_code == 403


def test_the_settings_are_read_by_all_and_changed_by_the_instructor(course, examiner, student) -> None:
    url = f"/api/courses/{course.code}/projects/settings/"
    assert _api(student).get(url).json()["group_size"] == 3
    assert _api(student).put(url, {"help_slot_minutes": 20}, format="json").status_code == 403
    changed = _api(examiner).put(url, {"help_slot_minutes": 20, "unconfirmed_result": "F"}, format="json")
    assert changed.json()["help_slot_minutes"] == 20
    bad = _api(examiner).put(url, {"unconfirmed_result": "Z"}, format="json")
    assert bad.status_code == 400


def test_the_openapi_schema_of_projects_is_valid_with_unique_component_names() -> None:
    schema = SchemaGenerator(patterns=urls.urlpatterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert len(schema["paths"]) == 30
    assert "ProjectGroupOutput" in schema["components"]["schemas"]
