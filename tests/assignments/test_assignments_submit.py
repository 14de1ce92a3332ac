"""Students submit code and a PDF: release, soft deadlines, resubmission, and upload checks that store nothing."""

import datetime as dt
import os
import stat
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone

from assignments.models import Submission
from assignments.signals import submission_received
from coursesite.models import AuditLog


def stored_files(media) -> list[str]:  # type: ignore[no-untyped-def]
    return [os.path.join(d, f) for d, _, files in os.walk(media) for f in files]


def test_the_assignment_page_and_api_answer_404_before_the_release(client_for, student, assignment) -> None:
    assignment.released_at = timezone.now() + dt.timedelta(days=1)
    assignment.deadline_at = timezone.now() + dt.timedelta(days=9)
    assignment.save()
    client = client_for(student)
    assert client.get("/c/DD2424/assignments/1/").status_code == 404
    assert client.get("/api/courses/DD2424/assignments/1/").status_code == 404
    assert client.get("/api/courses/DD2424/assignments/1/submissions/").status_code == 404
    assert "One-layer" not in client.get("/c/DD2424/assignments/").content.decode()
    assert client.get("/api/courses/DD2424/assignments/").json() == []


def test_it_stores_loose_py_files_as_one_zip_and_sends_the_signal_after_commit(
    student, assignment, submit, py_file, django_capture_on_commit_callbacks
) -> None:
    received = []

    def receiver(sender, submission, **kwargs):  # type: ignore[no-untyped-def]
        received.append(submission)

    submission_received.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submission = submit(assignment, student, code=[py_file("assignment1.py"), py_file("utils.py", b"X = 1\n")])
    finally:
        submission_received.disconnect(receiver)
    assert received == [submission]
    assert submission.code.name.endswith(".zip")
    assert submission.code_files() == ["assignment1.py", "utils.py"]
    assert not submission.is_late
    assert submission.is_latest
    assert len(submission.code_sha256) == 64
    assert submission.report.name.endswith(".pdf")
    assert AuditLog.objects.filter(action="submission.create", target_id=str(submission.pk)).exists()


def test_a_zip_is_stored_as_is_and_unicode_names_work(student, assignment, submit, zip_file) -> None:
    upload = zip_file({"lösning/träning.py": b"print('hej')\n", "lösning/README.md": "# Läs mig\n".encode()})
    data = upload.read()
    upload.seek(0)
    submission = submit(assignment, student, code=[upload])
    with submission.code.open("rb") as handle:
        assert handle.read() == data
    assert sorted(submission.code_files()) == ["lösning/README.md", "lösning/träning.py"]


def test_after_the_deadline_a_submission_is_accepted_and_marked_late(
    client_for, student, late_assignment, py_file, pdf_file
):  # type: ignore[no-untyped-def]
    client = client_for(student)
    response = client.post("/c/DD2424/assignments/2/", {"code": [py_file()], "report": pdf_file()}, follow=True)
    assert response.status_code == 200
    submission = Submission.objects.get(student=student)
    assert submission.is_late
    assert "review of late work may not be timely" in response.content.decode()


def test_resubmitting_keeps_the_history_and_only_the_latest_is_latest(client_for, student, assignment, submit) -> None:
    first = submit(assignment, student)
    second = submit(assignment, student, code=[SimpleUploadedFile("assignment1.py", b"print(2)\n")])
    first.refresh_from_db()
    assert not first.is_latest
    assert second.is_latest
    page = client_for(student).get("/c/DD2424/assignments/1/").content.decode()
    assert page.count("/c/DD2424/assignments/1/submissions/") >= 2
    assert "not reviewed (another submission counts)" in page


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"/etc/passwd": b"x"}, "outside the archive"),
        ({"../escape.py": b"x"}, "outside the archive"),
        ({"a/../../escape.py": b"x"}, "outside the archive"),
        ({f"f{i}.py": b"" for i in range(2001)}, "limit is 2000"),
        ({}, "contains no files"),
    ],
)
def test_it_refuses_dangerous_zips_and_stores_nothing(
    student, assignment, submit, zip_file, media, entries, message
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        submit(assignment, student, code=[zip_file(entries)])
    assert Submission.objects.count() == 0
    assert stored_files(media) == []


def test_it_refuses_a_zip_with_a_symlink(student, assignment, submit, zip_file, media) -> None:
    link = zipfile.ZipInfo("data")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(ValidationError, match="symbolic link"):
        submit(assignment, student, code=[zip_file({"main.py": b"x"}, infos=[(link, "/etc/passwd")])])
    assert stored_files(media) == []


def test_it_refuses_a_zip_bomb(student, assignment, submit, media, tmp_path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.bin", "w", force_zip64=True) as out,
    ):
        block = b"\0" * (1024 * 1024)
        for _ in range(201):
            out.write(block)
    upload = SimpleUploadedFile("bomb.zip", path.read_bytes(), content_type="application/zip")
    with pytest.raises(ValidationError, match="unpacks to 201 MB; the limit is 200 MB"):
        submit(assignment, student, code=[upload])
    assert stored_files(media) == []


def test_it_refuses_code_over_50_mb(student, assignment, submit, media) -> None:
    upload = TemporaryUploadedFile("big.zip", "application/zip", 50 * 1024 * 1024 + 1, None)
    upload.seek(50 * 1024 * 1024)
    upload.write(b"x")
    upload.seek(0)
    with pytest.raises(ValidationError, match="limit is 50 MB"):
        submit(assignment, student, code=[upload])
    upload.close()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (SimpleUploadedFile("report.pdf", b"This is not a PDF at all", content_type="application/pdf"), "not a PDF"),
        (SimpleUploadedFile("report.pdf", b"%PDF-1.7\nbroken", content_type="application/pdf"), "could not be read"),
    ],
)
def test_it_refuses_a_report_that_is_not_a_readable_pdf(student, assignment, submit, media, report, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        submit(assignment, student, report=report)
    assert stored_files(media) == []


def test_it_refuses_other_file_types_with_a_clear_message_on_the_page(
    client_for, student, assignment, pdf_file, media
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(student).post(
        "/c/DD2424/assignments/1/",
        {"code": [SimpleUploadedFile("notes.docx", b"word")], "report": pdf_file()},
    )
    assert response.status_code == 400
    assert "notes.docx is not a .py or .ipynb file" in response.content.decode()
    assert stored_files(media) == []


def test_staff_cannot_submit_and_outsiders_see_nothing(client_for, ta, outsider, assignment, py_file, pdf_file) -> None:  # type: ignore[no-untyped-def]
    assert (
        client_for(ta).post("/c/DD2424/assignments/1/", {"code": [py_file()], "report": pdf_file()}).status_code == 403
    )
    assert client_for(outsider).get("/c/DD2424/assignments/1/").status_code == 404
    response = client_for(ta).post(
        "/api/courses/DD2424/assignments/1/submissions/", {"code": [py_file()], "report": pdf_file()}
    )
    assert response.status_code == 403
