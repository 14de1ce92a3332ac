"""Plain helpers for tests: named users, polling, and the environment of worker processes."""

import datetime as dt
import os
import socket
import subprocess
import time
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from coursesite.models import Course, Membership, User
from projects import services as project_services
from projects.models import HelpSlot


def make_user(username: str, full_name: str = "", password: str = "pw") -> User:
    user = User.objects.create_user(username, f"{username}@example.edu", password, full_name=full_name or username)
    return user


def make_member(course: Course, username: str, role: str, full_name: str = "") -> User:
    user = make_user(username, full_name)
    Membership.objects.create(user=user, course=course, role=role)
    return user


def open_help_slot(course: Course, ta: User) -> HelpSlot:
    """The first slot of an hour of help the TA publishes two days from today (13:00-14:00, Room 4523)."""
    availability = project_services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=2),
        start=dt.time(13),
        end=dt.time(14),
        place="Room 4523",
    )
    return availability.slots.order_by("starts_at").first()


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process that talks to this test session's database and broker."""
    env = dict(os.environ)
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER'] or 'postgres'}:{settings['PASSWORD'] or ''}@"
            f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{settings['NAME']}"
    # The worker reads uploads through the same storage as the test's web side.
    env["MEDIA_ROOT"] = str(django_settings.MEDIA_ROOT)
    env.update(extra)
    return env


def wait_for(condition: Callable[[], object], timeout: float = 60, interval: float = 0.1) -> object:
    """Poll until `condition()` is truthy; fail the test with a clear message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_ready_server(argv: list[str], *, env: dict[str, str], what: str, cwd: str | None = None, quiet: bool = False):  # type: ignore[no-untyped-def]
    """Start a test server process that prints "ready <url>" on its first line; (process, url), or fail saying so."""
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None, text=True
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"{what} did not start: {line!r}")
    return process, line.split()[1]


def stop_server(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    process.wait(timeout=10)
