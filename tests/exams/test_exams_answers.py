"""Answer uploads: accepted from the release until the hard deadline (to the second), then refused, except with an
individual, audited extension."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from coursesite.models import AuditLog, User
from exams import services
from exams.models import Answer, Exam

from .conftest import local, pdf, seat

# The session on the day summer time ends: the deadline 15:00 CET is 14:00 UTC.
DAY = dt.date(2026, 10, 25)
DEADLINE = local(2026, 10, 25, 15)


def _stored_files(media) -> list:  # type: ignore[no-untyped-def]
    folder = media / "exam-answers"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_uploads_are_taken_until_the_deadline_second_and_refused_from_it(
    exam: Exam, examiner: User, student: User, client_for, clock, media
) -> None:
    seat(exam, student, DAY, DEADLINE, examiner)
    alice = client_for(student)
    assert DEADLINE == dt.datetime(2026, 10, 25, 14, 0, tzinfo=dt.UTC)

    clock(DEADLINE - dt.timedelta(seconds=1))
    response = alice.post("/c/DD2424/exams/answer/", {"answer": pdf("first")})
    assert response.status_code == 302
    answer = Answer.objects.get(sitting__student=student)
    assert answer.uploaded_at == DEADLINE - dt.timedelta(seconds=1)
    files = _stored_files(media)
    assert len(files) == 1

    clock(DEADLINE)
    response = alice.post("/c/DD2424/exams/answer/", {"answer": pdf("too late")})
    assert response.status_code == 400
    assert "The deadline for exam answers was Sun 25 Oct 2026, 15:00 CET" in response.content.decode()
    assert _stored_files(media) == files  # nothing stored
    answer.refresh_from_db()
    assert answer.uploaded_at == DEADLINE - dt.timedelta(seconds=1)

    response = alice.post("/api/courses/DD2424/exams/answer/", {"answer": pdf("too late")}, format="multipart")
    assert response.status_code == 400
    assert "no longer accepted" in str(response.json())
    assert _stored_files(media) == files


def test_a_student_replaces_the_answer_before_the_deadline(
    exam: Exam, examiner: User, student: User, client_for, clock
) -> None:
    seat(exam, student, DAY, DEADLINE, examiner)
    clock(local(2026, 10, 25, 11))
    alice = client_for(student)
    assert alice.post("/api/courses/DD2424/exams/answer/", {"answer": pdf("v1")}).status_code == 201
    clock(local(2026, 10, 25, 14, 30))
    response = alice.post("/api/courses/DD2424/exams/answer/", {"answer": pdf("v2")})
    assert response.status_code == 201
    answer = Answer.objects.get(sitting__student=student)
    assert answer.sha256 == response.json()["sha256"]
    assert answer.uploaded_at == local(2026, 10, 25, 14, 30)
    assert AuditLog.objects.filter(action="exam_answer.upload").count() == 2
    own = alice.get(f"/c/DD2424/exams/answers/{answer.sitting_id}.pdf")
    assert own.status_code == 200


def test_no_upload_before_the_questions_are_out(exam: Exam, examiner: User, student: User, client_for, clock) -> None:
    seat(exam, student, DAY, DEADLINE, examiner)
    clock(local(2026, 10, 25, 9, 59, 59))
    response = client_for(student).post("/c/DD2424/exams/answer/", {"answer": pdf()})
    assert response.status_code == 400
    assert "The exam has not started" in response.content.decode()
    assert not Answer.objects.exists()


def test_an_individual_extension_lets_one_student_upload_after_the_deadline(
    exam: Exam, examiner: User, student: User, other_student: User, client_for, clock
) -> None:
    mine = seat(exam, student, DAY, DEADLINE, examiner)
    seat(exam, other_student, DAY, DEADLINE, examiner)
    clock(local(2026, 10, 20, 12))
    response = client_for(examiner).put(
        f"/api/courses/DD2424/exams/sittings/{mine.pk}/extension/",
        {"until": "2026-10-25T17:00:00+01:00", "reason": "Accommodation: 50% extra time"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    entry = AuditLog.objects.get(action="exam_extension.grant")
    assert entry.actor == examiner
    assert entry.data["reason"] == "Accommodation: 50% extra time"
    assert entry.data["student"] == "alice"

    clock(local(2026, 10, 25, 16, 59, 59))
    assert client_for(student).post("/c/DD2424/exams/answer/", {"answer": pdf()}).status_code == 302
    assert Answer.objects.get(sitting=mine).under_extension
    assert client_for(other_student).post("/c/DD2424/exams/answer/", {"answer": pdf()}).status_code == 400
    clock(local(2026, 10, 25, 17))
    assert client_for(student).post("/c/DD2424/exams/answer/", {"answer": pdf("later")}).status_code == 400


def test_only_the_examiner_grants_extensions_with_a_reason(
    exam: Exam, examiner: User, ta: User, student: User, client_for, clock
) -> None:
    sitting = seat(exam, student, DAY, DEADLINE, examiner)
    url = f"/api/courses/DD2424/exams/sittings/{sitting.pk}/extension/"
    data = {"until": "2026-10-25T17:00:00+01:00", "reason": "x"}
    assert client_for(ta).put(url, data, content_type="application/json").status_code == 403
    assert client_for(student).put(url, data, content_type="application/json").status_code == 403
    with pytest.raises(ValidationError, match="reason"):
        services.extension_grant(sitting=sitting, until=local(2026, 10, 25, 17), reason=" ", by=examiner)
    with pytest.raises(ValidationError, match="after the session's deadline"):
        services.extension_grant(sitting=sitting, until=DEADLINE, reason="r", by=examiner)
    response = client_for(examiner).delete(url)
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="exam_extension.revoke").exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("answers.pdf", b"just text, renamed"), "not a PDF"),
        (SimpleUploadedFile("answers.pdf", b""), "empty"),
    ],
)
def test_anything_but_a_readable_pdf_is_refused(
    exam: Exam, examiner: User, student: User, client_for, clock, upload, message
) -> None:
    seat(exam, student, DAY, DEADLINE, examiner)
    clock(local(2026, 10, 25, 12))
    response = client_for(student).post("/c/DD2424/exams/answer/", {"answer": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Answer.objects.exists()


def test_other_students_cannot_read_an_answer(
    exam: Exam, examiner: User, student: User, other_student: User, client_for, clock
) -> None:
    sitting = seat(exam, student, DAY, DEADLINE, examiner)
    clock(local(2026, 10, 25, 12))
    services.answer_upload(sitting=sitting, upload=pdf(), by=student)
    assert client_for(other_student).get(f"/c/DD2424/exams/answers/{sitting.pk}.pdf").status_code == 404
    assert client_for(examiner).get(f"/c/DD2424/exams/answers/{sitting.pk}.pdf").status_code == 200
