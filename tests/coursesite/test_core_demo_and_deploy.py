"""The demo course loads idempotently; production settings pass the deploy checks; the compose file validates."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from assignments.models import Assignment
from coursesite.models import Course, Membership, Role, User

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_course_has_every_date_and_loads_twice_without_duplicates(db) -> None:
    call_command("load_demo_course", "--start", "2026-03-18")
    call_command("load_demo_course", "--start", "2026-03-18")

    course = Course.objects.get(code="DD2424")
    assert course.name == "Deep Learning in Data Science"
    assert Membership.objects.filter(course=course, role=Role.STUDENT).count() == 30
    assert Membership.objects.filter(course=course, role=Role.TA).count() == 3
    assert User.objects.get(username="examiner").memberships.get().role == Role.INSTRUCTOR
    a1 = Assignment.objects.get(course=course, number=1)
    local = a1.released_at.astimezone(course.tz)
    assert (local.date(), local.hour) == (dt.date(2026, 3, 22), 17)
    assert a1.deadline_at.astimezone(course.tz).date() == dt.date(2026, 4, 11)
    assert Assignment.objects.get(number=4).deadline_at.astimezone(course.tz).date() == dt.date(2026, 5, 10)
    assert course.proposal_deadline.astimezone(course.tz).date() == dt.date(2026, 4, 13)
    assert course.report_deadline.astimezone(course.tz).date() == dt.date(2026, 5, 19)
    assert (course.orals_start, course.orals_end) == (dt.date(2026, 5, 24), dt.date(2026, 6, 6))
    assert course.exam_poll_opens.astimezone(course.tz).date() == dt.date(2026, 4, 20)
    assert course.exam_poll_closes.astimezone(course.tz).date() == dt.date(2026, 5, 2)
    assert User.objects.get(username="student07").check_password(os.environ.get("DEMO_PASSWORD", "demo"))


def test_production_settings_pass_the_deploy_checks() -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 20 + "production-secret-key-long-enough-and-random-9f8e7d"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process; never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {**os.environ, "DEBUG": "0"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_the_compose_file_validates() -> None:
    compose = Path(sys.executable).parent / "docker-compose"
    env = {**os.environ, "SECRET_KEY": "s", "POSTGRES_PASSWORD": "p"}
    result = subprocess.run(
        [str(compose), "-f", "docker-compose.yml", "config", "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr


def test_the_api_schema_has_no_warnings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--fail-on-warn", "--file", os.devnull],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
