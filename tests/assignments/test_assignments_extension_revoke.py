"""Revoking a student's extension: work after the assignment's own deadline is late again, and it is audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assignments import services
from assignments.models import Extension
from coursesite.models import AuditLog

API = "/api/courses/DD2424/assignments/2/extensions/"
PAGE = "/c/DD2424/assignments/2/extensions/"


@pytest.fixture
def extension(examiner, student, late_assignment) -> Extension:  # type: ignore[no-untyped-def]
    return services.extension_grant(
        assignment=late_assignment,
        student=student,
        deadline_at=timezone.now() + dt.timedelta(days=2),
        reason="Ill",
        by=examiner,
    )


def test_revoking_marks_work_after_the_assignment_deadline_late_again_and_writes_audit(
    examiner, student, late_assignment, extension, submit
) -> None:  # type: ignore[no-untyped-def]
    submission = submit(late_assignment, student)
    assert not submission.is_late
    services.extension_revoke(extension=extension, by=examiner)
    submission.refresh_from_db()
    assert submission.is_late
    assert not Extension.objects.filter(assignment=late_assignment, student=student).exists()
    entry = AuditLog.objects.get(action="extension.revoke")
    assert entry.actor == examiner
    assert entry.target_id == str(extension.pk)
    assert entry.data["student"] == "alice"
    assert entry.data["assignment"] == 2
    assert entry.data["reason"] == "Ill"
    assert entry.data["granted_by"] == examiner.username
    assert entry.data["deadline_at"] == extension.deadline_at.isoformat()
    assert submit(late_assignment, student).is_late


def test_revoking_keeps_work_before_the_assignment_deadline_on_time(examiner, student, assignment, submit) -> None:  # type: ignore[no-untyped-def]
    submission = submit(assignment, student)
    assert not submission.is_late
    extension = services.extension_grant(
        assignment=assignment, student=student, deadline_at=assignment.deadline_at + dt.timedelta(days=3), by=examiner
    )
    services.extension_revoke(extension=extension, by=examiner)
    submission.refresh_from_db()
    assert not submission.is_late


def test_it_refuses_a_ta_or_a_student_and_keeps_the_extension(ta, student, extension, client_for) -> None:  # type: ignore[no-untyped-def]
    for user in (ta, student):
        with pytest.raises(PermissionDenied):
            services.extension_revoke(extension=extension, by=user)
        assert client_for(user).delete(API + "alice/").status_code == 403
        assert client_for(user).post(PAGE + "alice/revoke/").status_code == 403
    assert Extension.objects.filter(pk=extension.pk).exists()
    assert not AuditLog.objects.filter(action="extension.revoke").exists()


def test_the_examiner_revokes_through_the_api(
    examiner, student, late_assignment, extension, submit, client_for
) -> None:  # type: ignore[no-untyped-def]
    submission = submit(late_assignment, student)
    client = client_for(examiner)
    assert client.get(API).json()[0]["student"] == "alice"
    response = client.delete(API + "alice/")
    assert response.status_code == 204
    assert client.get(API).json() == []
    submission.refresh_from_db()
    assert submission.is_late
    assert AuditLog.objects.filter(action="extension.revoke", actor=examiner).count() == 1


def test_revoking_a_missing_extension_is_a_404_not_a_500(
    examiner, student, other_student, extension, client_for
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(examiner)
    assert client.delete(API + "bob/").status_code == 404
    assert client.delete(API + "nobody/").status_code == 404
    assert client.delete("/api/courses/DD2424/assignments/9/extensions/alice/").status_code == 404
    assert client.post(PAGE + "bob/revoke/").status_code == 404
    assert client.delete(API + "alice/").status_code == 204
    assert client.delete(API + "alice/").status_code == 404
    assert client.post(PAGE + "alice/revoke/").status_code == 404


def test_the_instructor_revokes_on_the_page_with_a_confirmation(
    examiner, ta, student, late_assignment, extension, client_for
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(examiner)
    page = client.get("/c/DD2424/assignments/2/").content.decode()
    assert f'action="{PAGE}alice/revoke/"' in page
    assert "Revoke extension" in page and "confirm(" in page
    assert "Revoke extension" not in client_for(ta).get("/c/DD2424/assignments/2/").content.decode()
    assert client.get(PAGE + "alice/revoke/").status_code == 405
    response = client.post(PAGE + "alice/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == "/c/DD2424/assignments/2/"
    assert "extension was revoked" in response.content.decode()
    assert not Extension.objects.filter(pk=extension.pk).exists()
    assert AuditLog.objects.filter(action="extension.revoke").count() == 1


def test_the_openapi_schema_documents_revoking(client_for, student) -> None:  # type: ignore[no-untyped-def]
    schema = client_for(student).get("/api/schema/", {"format": "json"}).json()
    revoke = schema["paths"]["/api/courses/{code}/assignments/{number}/extensions/{student}/"]
    assert "204" in revoke["delete"]["responses"]
