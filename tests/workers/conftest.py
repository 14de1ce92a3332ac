"""Fixtures of the autograder tests: a released assignment, a quick real suite, submissions, and real workers."""

import signal
import subprocess
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.models import Assignment, Submission
from coursesite.models import User
from coursesite.uploads import minimal_pdf
from workers.archives import zip_folder

from .workers_support import RIGHT, kill_tree, purge_grading_queues, quick_suite_folder, zip_upload


@pytest.fixture
def quick_suite_zip(tmp_path) -> bytes:  # type: ignore[no-untyped-def]
    return zip_folder(quick_suite_folder(tmp_path))


@pytest.fixture
def quick_suite(assignment, examiner, quick_suite_zip):  # type: ignore[no-untyped-def]
    from workers import services

    draft = services.suite_upload(assignment=assignment, upload=zip_upload(quick_suite_zip), by=examiner)
    return services.suite_activate(suite=draft, by=examiner)  # uploads are drafts


@pytest.fixture
def submit() -> Callable[..., Submission]:
    """Submit a .py file and a PDF report through the assignments service (the signal enqueues grading)."""
    from assignments import services

    def _submit(assignment: Assignment, student: User, code: bytes = RIGHT, name: str = "assignment1.py") -> Submission:
        return services.submission_create(
            assignment=assignment,
            student=student,
            code=[SimpleUploadedFile(name, code, content_type="text/x-python")],
            report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
        )

    return _submit


@pytest.fixture
def grading_worker(celery_worker, media, settings):  # type: ignore[no-untyped-def]
    """A real worker on the test database and the test's media folder, after emptying this test broker's queues."""
    purge_grading_queues()

    started = []

    def start(queues: str = "cpu", **env: str) -> subprocess.Popen:
        env.setdefault("MEDIA_ROOT", str(media))
        env.setdefault("COURSESITE_GRADING_HEARTBEAT_S", "0.5")
        process = celery_worker(queues, **env)
        started.append(process)
        return process

    yield start
    for process in started:  # a cold shutdown: nothing is left to finish, and a warm one takes seconds
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_tree(process.pid)
