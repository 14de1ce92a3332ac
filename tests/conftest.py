"""Shared fixtures: a course with named people (the examiner, a TA, students, an outsider), and a real worker."""

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from coursesite.models import Course, Role, User
from tests.support import make_member, make_user, worker_env

if TYPE_CHECKING:
    from assignments.models import Assignment

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """Uploads go to a fresh folder per test (returned); a fast password hasher (its slowness buys nothing here)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def assignment(course: Course) -> "Assignment":
    """Assignment 1, released two days ago, due in five days, with up to 2 bonus points."""
    from assignments.models import Assignment

    now = timezone.now()
    return Assignment.objects.create(
        course=course,
        number=1,
        title="One-layer softmax classifier",
        released_at=now - dt.timedelta(days=2),
        deadline_at=now + dt.timedelta(days=5),
        bonus_max=2,
    )


@pytest.fixture
def course(db) -> Course:  # type: ignore[no-untyped-def]
    start = timezone.localdate() - dt.timedelta(days=10)
    return Course.objects.create(code="DD2424", name="Deep Learning in Data Science", term="VT", first_lecture_on=start)


@pytest.fixture
def examiner(course: Course) -> User:
    return make_member(course, "examiner", Role.INSTRUCTOR, "Ada Examiner")


@pytest.fixture
def ta(course: Course) -> User:
    return make_member(course, "tara", Role.TA, "Tara Assistant")


@pytest.fixture
def student(course: Course) -> User:
    return make_member(course, "alice", Role.STUDENT, "Alice Student")


@pytest.fixture
def other_student(course: Course) -> User:
    return make_member(course, "bob", Role.STUDENT, "Bob Student")


@pytest.fixture
def outsider(db) -> User:  # type: ignore[no-untyped-def]
    """Charlie has an account but is not in the course."""
    return make_user("charlie", "Charlie Outsider")


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def _client(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _client


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[Callable[..., subprocess.Popen]]:  # type: ignore[no-untyped-def]
    """Start real `celery worker` processes on the test database; they are stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(queues: str = "cpu", concurrency: int = 1, name: str | None = None, **env: str) -> subprocess.Popen:
        name = name or f"test-{len(started)}-{os.getpid()}@%h"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "coursesite",
                "worker",
                "-Q",
                queues,
                "-n",
                name,
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=REPO,
            env=worker_env(**env),
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
