"""Benchmark: submit-to-final-result time of a trivial passing A1 submission through the real server, broker, worker.

    .venv/bin/python bench/grading_latency.py [--runs 20] [--modes redis,embedded]

For each mode it starts a fresh database, gunicorn and one `celery worker`, uploads a one-test A1 suite (the
student's ComputeCost against the formula; the full A1 suite trains for seconds), then submits the A1 reference
solution through the submissions API `--runs` times, polling the grading API every 10 ms until the job has ended.
Modes: `redis` (PostgreSQL of BENCH_DATABASE_URL + Redis of BENCH_REDIS_URL) and `embedded` (SQLite + the
embedded SQLite broker, the one-command demo's defaults). Prints the median and the spread of each; target with Redis:
under 1 s.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
REFERENCE = ROOT / "workers" / "suites" / "dd2424" / "a1" / "solutions" / "reference.py"
FINAL = {"finished", "error", "skipped"}

SUITE_TOML = """name = "A1 latency check"
assignment = "DD2424/1"
queue = "cpu"
required = ["ComputeCost"]

[limits]
per_test_timeout_s = 20
import_timeout_s = 20

[tests.test_compute_cost]
points = 1
"""

SUITE_TEST = """import numpy as np


def test_compute_cost(student):
    rng = np.random.default_rng(0)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 5)), np.zeros((3, 1))
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    S = W @ X + b
    P = np.exp(S - S.max(axis=0)) / np.exp(S - S.max(axis=0)).sum(axis=0)
    expected = -np.mean(np.log((Y * P).sum(axis=0))) + 0.1 * np.sum(W * W)
    assert abs(float(student.ComputeCost(X, Y, W, b, 0.1)) - expected) < 1e-8
"""

SETUP = """
import datetime as dt
from pathlib import Path
from django.core.files.base import ContentFile
from django.utils import timezone
from accounts.services import token_create
from assignments.models import Assignment
from coursesite.models import Course, Membership, Role, User
from workers.archives import zip_folder
from workers.services import suite_activate, suite_upload

course, _ = Course.objects.get_or_create(code="DD2424", defaults={"name": "Deep Learning", "term": "VT"})
now = timezone.now()
assignment, _ = Assignment.objects.get_or_create(
    course=course, number=1,
    defaults={"title": "A1", "released_at": now - dt.timedelta(days=1), "deadline_at": now + dt.timedelta(days=9)},
)
examiner, _ = User.objects.get_or_create(username="bench-examiner")
student, _ = User.objects.get_or_create(username="bench-student")
Membership.objects.get_or_create(user=examiner, course=course, defaults={"role": Role.INSTRUCTOR})
Membership.objects.get_or_create(user=student, course=course, defaults={"role": Role.STUDENT})
upload = ContentFile(zip_folder(Path(SUITE)), name="suite.zip")
suite_activate(suite=suite_upload(assignment=assignment, upload=upload, by=examiner, runs_per_day=1000), by=examiner)
print("TOKEN", token_create(user=student, name="bench")[1])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def multipart(files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b""
    for field, name, data, content_type in files:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def call(url: str, token: str, data: bytes | None = None, content_type: str = "") -> dict[str, Any]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")  # noqa: S310
    request.add_header("Authorization", f"Token {token}")
    if content_type:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own local server)
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def submit_and_wait(
    base: str, token: str, code: bytes, report: bytes, timeout: float = 120
) -> tuple[float, dict[str, Any]]:
    body, content_type = multipart(
        [("code", "assignment1.py", code, "text/x-python"), ("report", "report.pdf", report, "application/pdf")]
    )
    started = time.perf_counter()
    created = call(f"{base}/api/courses/DD2424/assignments/1/submissions/", token, body, content_type)
    url = f"{base}/api/courses/DD2424/workers/submissions/{created['id']}/grading/"
    while time.perf_counter() - started < timeout:
        job = call(url, token)["job"]
        if job and job["state"] in FINAL:
            return time.perf_counter() - started, job
        time.sleep(0.01)
    raise RuntimeError(f"no final result within {timeout} s")


def run_mode(mode: str, runs: int) -> list[float]:
    var = Path(tempfile.mkdtemp(prefix=f"bench-latency-{mode}-"))
    suite = var / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "suite.toml").write_text(SUITE_TOML)
    (suite / "tests" / "test_latency.py").write_text(SUITE_TEST)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(COURSESITE_VAR_DIR=str(var), DEBUG="1", LOG_LEVEL="WARNING")
    if mode == "redis":
        database = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coursesite_bench")
        name = database.rsplit("/", 1)[1]
        admin = database.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(
            [
                PY,
                "-c",
                f"import psycopg; c = psycopg.connect('{admin}', autocommit=True); "
                f"c.execute('DROP DATABASE IF EXISTS {name}'); c.execute('CREATE DATABASE {name}')",
            ],
            check=True,
        )
        env.update(
            DATABASE_URL=database, CELERY_BROKER_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
        )
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PY, "manage.py", "shell", "-v0", "-c", f"SUITE = {str(suite)!r}\n" + SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = out.split("TOKEN", 1)[1].split()[0]
    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "coursesite.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            PY,
            "-m",
            "celery",
            "-A",
            "coursesite",
            "worker",
            "-Q",
            "cpu",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
        from coursesite.uploads import minimal_pdf

        code, report = REFERENCE.read_bytes(), minimal_pdf("Latency")
        for _ in range(2):  # warm-up: the worker fetches and unpacks the suite once
            submit_and_wait(base, token, code, report)
        times = []
        for _ in range(runs):
            seconds, job = submit_and_wait(base, token, code, report)
            if job["outcome"] != "passed":
                raise RuntimeError(f"the reference solution did not pass: {job}")
            times.append(seconds)
        return times
    finally:
        for process in (worker, server):
            process.terminate()
        for process in (worker, server):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--modes", default="redis,embedded")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        times = run_mode(mode, args.runs)
        print(
            f"{mode:>8}: submit-to-final-result median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)",
            flush=True,
        )


if __name__ == "__main__":
    main()
