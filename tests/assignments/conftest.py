"""Fixtures of the assignment tests: a released assignment, uploads, and a private media folder."""

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assignments.models import Assignment
from coursesite.uploads import minimal_pdf

A1_CODE = b"import numpy as np\n\n\ndef EvaluateClassifier(X, W, b):\n    return W @ X + b\n"


@pytest.fixture
def late_assignment(course) -> Assignment:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return Assignment.objects.create(
        course=course,
        number=2,
        title="Two-layer network",
        released_at=now - dt.timedelta(days=20),
        deadline_at=now - dt.timedelta(days=1),
        bonus_max=3,
    )


@pytest.fixture
def py_file():  # type: ignore[no-untyped-def]
    def make(name: str = "assignment1.py", content: bytes = A1_CODE) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type="text/x-python")

    return make


@pytest.fixture
def pdf_file():  # type: ignore[no-untyped-def]
    def make(name: str = "report.pdf", text: str = "My report") -> SimpleUploadedFile:
        return SimpleUploadedFile(name, minimal_pdf(text), content_type="application/pdf")

    return make


@pytest.fixture
def zip_file():  # type: ignore[no-untyped-def]
    def make(entries: dict[str, bytes] | None = None, name: str = "code.zip", infos=None) -> SimpleUploadedFile:  # type: ignore[no-untyped-def]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in (entries if entries is not None else {"a1/main.py": A1_CODE}).items():
                archive.writestr(path, data)
            for info, data in infos or []:
                archive.writestr(info, data)
        return SimpleUploadedFile(name, out.getvalue(), content_type="application/zip")

    return make


@pytest.fixture
def submit(py_file, pdf_file):  # type: ignore[no-untyped-def]
    """Submit through the service (a .py file and a PDF unless given)."""
    from assignments import services

    def _submit(assignment, student, code=None, report=None, now=None):  # type: ignore[no-untyped-def]
        return services.submission_create(
            assignment=assignment,
            student=student,
            code=code if code is not None else [py_file()],
            report=report if report is not None else pdf_file(),
            now=now,
        )

    return _submit
