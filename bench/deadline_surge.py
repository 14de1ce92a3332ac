"""Benchmark: the last hour before a deadline, with faults: a surge of submissions against the whole stack.

    .venv/bin/python bench/deadline_surge.py [--students 400] [--workers W] [--minutes 10] [--seed 1] [--quick]

It starts everything itself: a fresh PostgreSQL database (BENCH_DATABASE_URL, default .../coursesite_surge),
a `redis-server` of its own on a free port (append-only, as in compose, so that it can be stopped and started
again), gunicorn, W `celery worker` processes of one slot each (default: the number of cores) and beat, set up as
production runs them (DEBUG off, collected static files, database connections kept for 60 s as compose sets). Each
student submits the A1 reference 1 to 3 times (seeded) at random moments within the window, through the
submissions API; every student who has submitted keeps their latest submission's page open the way a browser does:
it loads the page and then follows the page's own update mechanism (workers/static/workers/poll.js: the job's
`data-poll-url` with `If-None-Match`, waiting 1 s, then 1.5 times longer after each 304 up to 10 s, 1 s again after
a 200, and never less than the server's X-Poll-After; it stops when the fragment stops asking; like a browser, it
sends a GET again, once, when the server had closed the kept-alive connection it reused).
Faults in the same run: at 40 % of the window one worker (its whole process tree) is killed with SIGKILL and
started again 2 s later; at 60 % Redis is stopped for 10 s (submissions keep being accepted).

Printed: submissions accepted (and refused), lost (accepted, never ended with a result), jobs run, superseded,
the web's p95 latency of the polled student page, each student's wait from their latest submission to its result
(median, p95, max), the throughput against the compute limit and Jain's fairness index of the waits (also over the
waits no fault touched: one try, neither waiting nor running while a worker was dead or Redis down). Each job's
bare time is measured with the BLAS threads a worker slot gets (the workers are told the same). The
throughput ratio is the bare in-process time of the jobs run (each spread over its run) done while every worker slot
had a job to do, divided by the slots times that time: 1.0 when the autograder adds nothing to the bare work. The
ratio over the whole span (the summed bare time / slots, first start to last end) is printed too: when the queue
runs dry, the arrivals bound it, not the autograder. Also printed: the server's own time of the polls (gunicorn's
access log) and the CPU each part of the stack used (web, workers with everything they started, PostgreSQL's live
connections, the bench's own client; the rest by process name). The last line is one JSON object. `--quick` is
sized for a 2-core machine: 40 students, 2 workers, a 1.5-minute window and the one-test A1 check of
bench/grading_latency.py instead of the full A1 suite.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(1, str(ROOT))
from grading_latency import SUITE_TEST, SUITE_TOML, free_port  # noqa: E402

from workers.judge.threads import cores_per_slot  # noqa: E402 -- plain Python, no Django
from workers.sandbox.teardown import become_subreaper, reap_orphan  # noqa: E402 -- no Django either

PY = str(ROOT / ".venv" / "bin" / "python")
RUNTIME = str(ROOT / ".runtime" / "bin" / "python")
A1 = ROOT / "workers" / "suites" / "dd2424" / "a1"
REFERENCE = A1 / "solutions" / "reference.py"
FINAL = ("finished", "error", "skipped")

SETUP = """
import datetime as dt, json
from pathlib import Path
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from accounts.services import token_create
from assignments.models import Assignment
from coursesite.models import Course, Membership, Role, User
from workers.archives import zip_folder
from workers.services import suite_activate, suite_upload

now = timezone.now()
course = Course.objects.create(code="DD2424", name="Deep Learning", term="VT", first_lecture_on=now.date())
assignment = Assignment.objects.create(course=course, number=1, title="A1", released_at=now - dt.timedelta(days=1),
                                       deadline_at=now + dt.timedelta(hours=1))
examiner = User.objects.create_user("examiner")
Membership.objects.create(user=examiner, course=course, role=Role.INSTRUCTOR)
suite = suite_upload(assignment=assignment, upload=ContentFile(zip_folder(Path(SUITE)), name="suite.zip"),
                     by=examiner, runs_per_day=1000)
suite_activate(suite=suite, by=examiner)  # uploads arrive as drafts
people = []
for n in range(STUDENTS):
    user = User.objects.create_user(f"s{n:03d}")
    Membership.objects.create(user=user, course=course, role=Role.STUDENT)
    client = Client()
    client.force_login(user)
    people.append({"token": token_create(user=user, name="surge")[1], "session": client.cookies["sessionid"].value})
print("PEOPLE " + json.dumps(people))
"""

RESULTS = """
SELECT j.submission_id, u.username, j.state, j.outcome, extract(epoch FROM j.received_at),
       extract(epoch FROM j.running_at), extract(epoch FROM j.finished_at), extract(epoch FROM j.error_at), j.tries
FROM workers_gradingjob j JOIN assignments_submission s ON s.id = j.submission_id
JOIN coursesite_user u ON u.id = s.student_id WHERE j.trigger = 'submission'
"""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def jain(values: list[float]) -> float:
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values)) if values and any(values) else 1.0


def saturated_throughput(ran: list[list[Any]], workers: int, bare: float) -> tuple[float, float]:
    """(ratio, seconds): the bare work done while every slot had a job to do (at least `workers` jobs received and
    not yet ended), against `workers` slots doing bare work all that time. Each job's bare time is spread evenly
    over its run. Outside those stretches the arrivals, not the autograder, set the pace."""
    edges = sorted({t for row in ran for t in (row[4], row[6] or row[7])})
    saturated: list[tuple[float, float]] = []
    for start, end in zip(edges, edges[1:], strict=False):
        mid = (start + end) / 2
        if sum(1 for row in ran if row[4] <= mid < (row[6] or row[7])) >= workers:
            if saturated and saturated[-1][1] == start:
                saturated[-1] = (saturated[-1][0], end)
            else:
                saturated.append((start, end))
    seconds = sum(end - start for start, end in saturated)
    work = 0.0
    for row in ran:
        began, ended = row[5], row[6] or row[7]
        if ended <= began:
            continue
        inside = sum(max(0.0, min(ended, end) - max(began, start)) for start, end in saturated)
        work += bare * inside / (ended - began)
    return (work / (workers * seconds) if seconds else 0.0), seconds


def proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(name, parent pid, CPU seconds: user + system, with that of its reaped children) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
        fields = text.rsplit(")", 1)[1].split()
        ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return text[text.index("(") + 1 : text.rindex(")")], int(fields[1]), ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def every_process() -> dict[int, tuple[str, int, float]]:
    """proc_stat of every process on the machine, kernel threads too."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(int(entry))) is not None:
            found[int(entry)] = stat
    return found


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time of the live processes `pids` (with that of their reaped children)."""
    return sum(stat[2] for pid in pids if (stat := proc_stat(pid)) is not None)


def every_process_cpu() -> dict[int, tuple[str, float]]:
    """{pid: (name without its numbers or kernel-thread suffix, CPU seconds)} of every process on the machine."""
    return {pid: (re.sub(r"[/:-].*|\d+$", "", name) or "?", cpu) for pid, (name, _, cpu) in every_process().items()}


def machine_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (all but idle and iowait), from /proc/stat."""
    with open("/proc/stat") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """`pid` and every process below it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for child, (_, parent, _) in every_process().items():
        children.setdefault(parent, []).append(child)
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Stack:
    """The processes of the bench: Redis, gunicorn, the workers and beat, on a fresh database."""

    def __init__(self, var: Path, workers: int, suite: Path, students: int) -> None:
        self.var, self.count, self.processes = var, workers, []  # type: ignore[var-annotated]
        self.gone: dict[str, float] = collections.defaultdict(float)  # CPU seconds of processes stopped on purpose
        self.redis_port = free_port()
        self.redis_argv = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""]
        self.redis_argv += ["--appendonly", "yes", "--dir", str(var), "--daemonize", "no"]
        (var / "media").mkdir()
        database = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coursesite_surge")
        name, admin = database.rsplit("/", 1)[1], database.rsplit("/", 1)[0] + "/postgres"
        code = (
            f"import psycopg; c = psycopg.connect('{admin}', autocommit=True); "
            f"c.execute('DROP DATABASE IF EXISTS {name} WITH (FORCE)'); c.execute('CREATE DATABASE {name}')"
        )
        subprocess.run([PY, "-c", code], check=True)
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        self.env.update(
            DATABASE_URL=database,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            COURSESITE_VAR_DIR=str(var),
            MEDIA_ROOT=str(var / "media"),
            # As in production (DEBUG off: no query log, compressed static files), on plain HTTP on 127.0.0.1.
            DEBUG="0",
            SECRET_KEY=os.urandom(24).hex(),
            SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(var / "static"),
            LOG_LEVEL="WARNING",
            DATABASE_CONN_MAX_AGE="60",  # as compose: no connection set-up per request
            # A dead worker's job is taken over within ~20 s, a job the broker never got is sent again as soon.
            COURSESITE_GRADING_HEARTBEAT_S="2",
            COURSESITE_GRADING_STALE_AFTER_S="15",
            COURSESITE_GRADING_WATCHDOG_EVERY_S="5",
            COURSESITE_GRADING_RETRY_DELAY_S="1",
            COURSESITE_GRADING_RESEND_AFTER_S="2",
            # W worker processes of one slot each on this host: each student gets its share of the cores.
            COURSESITE_JUDGE_STUDENT_THREADS=str(cores_per_slot(workers)),
        )
        self.redis = self._start(self.redis_argv, "redis")
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        setup = f"SUITE = {str(suite)!r}\nSTUDENTS = {students}\n" + SETUP
        out = self.manage_shell(setup)
        self.people = json.loads(out.split("PEOPLE ", 1)[1].splitlines()[0])
        self.port = free_port()
        cores = os.cpu_count() or 2
        gunicorn = [PY, "-m", "gunicorn", "-w", str(max(2, cores)), "-k", "gthread"]
        gunicorn += [
            "--threads",
            "8",
            "--timeout",
            "120",
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--access-logfile",
            str(var / "access.log"),
            "--access-logformat",
            "%(U)s %(s)s %(D)s",  # path, status, microseconds in the server (from the request read to the reply)
            "coursesite.wsgi",
        ]
        self.gunicorn = self._start(gunicorn, "gunicorn")
        self.workers = [self.start_worker(n) for n in range(workers)]
        beat = [PY, "-m", "celery", "-A", "coursesite", "beat", "--schedule", str(var / "celerybeat-schedule")]
        self.beat = self._start([*beat, "--loglevel", "WARNING"], "beat")

    def _start(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        with (self.var / f"{log}.log").open("ab") as out:
            process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def manage_shell(self, code: str) -> str:
        argv = [PY, "manage.py", "shell", "-v0", "-c", code]
        return subprocess.run(argv, cwd=ROOT, env=self.env, check=True, capture_output=True, text=True).stdout

    def rows(self) -> list[list[Any]]:
        """Every submission's grading job: submission, student, state, outcome, epoch times, tries."""
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"]) as db:
            return [[float(v) if isinstance(v, Decimal) else v for v in row] for row in db.execute(RESULTS)]

    def start_worker(self, n: int) -> subprocess.Popen[bytes]:
        argv = [PY, "-m", "celery", "-A", "coursesite", "worker", "-Q", "cpu,rerun", "--concurrency", "1"]
        argv += ["-n", f"surge{n}@%h", "--loglevel", "WARNING"]
        return self._start(argv, f"worker{n}")

    def kill_worker(self, n: int) -> None:
        pids = tree(self.workers[n].pid)
        self.gone["workers"] += cpu_seconds(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.workers[n].wait()
        for pid in pids[1:]:  # parents first (tree's order): each one's children are the bench's once it is dead
            reap_orphan(pid, timeout=10)

    def stop_redis(self) -> None:
        self.gone["redis"] += cpu_seconds([self.redis.pid])
        subprocess.run(["redis-cli", "-p", str(self.redis_port), "shutdown"], capture_output=True)
        self.redis.wait(timeout=30)

    def start_redis(self) -> None:
        self.redis = self._start(self.redis_argv, "redis")

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far by part of the stack (a killed worker and a stopped Redis: until they were stopped)."""
        parts = {
            "web": cpu_seconds(tree(self.gunicorn.pid)),
            "workers": sum(cpu_seconds(tree(worker.pid)) for worker in self.workers),
            "beat": cpu_seconds(tree(self.beat.pid)),
            "redis": cpu_seconds([self.redis.pid]),
            "client": sum(os.times()[:2]),
            "postgres": cpu_seconds(self.backends()),  # its live connections only (kept: DATABASE_CONN_MAX_AGE)
        }
        parts = {part: seconds + self.gone[part] for part, seconds in parts.items()}
        parts["rest"] = machine_cpu_seconds() - sum(parts.values())  # closed connections, the kernel's own threads
        return parts

    def ours(self) -> set[int]:
        """The pids of the bench's own parts (counted by name in `cpu`)."""
        roots = [self.gunicorn.pid, self.beat.pid, self.redis.pid, os.getpid(), *(w.pid for w in self.workers)]
        return {pid for root in roots for pid in tree(root)} | set(self.backends())

    def backends(self) -> list[int]:
        """PostgreSQL's processes serving the bench's database."""
        name, found = self.env["DATABASE_URL"].rsplit("/", 1)[1], []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as handle:
                        words = handle.read().replace(b"\0", b" ").split()
                except OSError:
                    continue
                if words[:1] == [b"postgres:"] and name.encode() in words[1:4]:  # "postgres: 15/main: user db ..."
                    found.append(int(entry))
        return found

    def server_ms(self, marker: str) -> list[float]:
        """The server's own time (gunicorn's access log) of each request whose path holds `marker`."""
        times = []
        with (self.var / "access.log").open() as log:
            for line in log:
                parts = line.split()
                if len(parts) == 3 and marker in parts[0] and parts[2].isdigit():
                    times.append(int(parts[2]) / 1000)
        return times

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                for pid in tree(process.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass


def calm(seconds: str | None) -> float:
    """The server's least wait before the next poll (X-Poll-After, data-poll-after), as poll.js reads it."""
    value = int(seconds) if seconds and seconds.isdigit() else 0
    return float(min(value, 60))


class Student:
    """One student: submits through the API, and keeps the latest submission's page open like a browser."""

    POLL_URL = re.compile(r'data-poll-url="([^"]+)"')
    POLL_ETAG = re.compile(r'data-etag="([^"]+)"')
    POLL_AFTER = re.compile(r'data-poll-after="([^"]+)"')
    FIRST_S, MAX_S, GROWTH = 1.0, 10.0, 1.5  # as poll.js

    def __init__(self, base: str, person: dict[str, Any], report: bytes, code: bytes, stats: dict[str, Any]) -> None:
        self.base, self.report, self.code, self.stats = base, report, code, stats
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {person['token']}"
        self.browser = requests.Session()
        # A browser sends a GET again, once, when the server closed the kept-alive connection just as it was reused.
        retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=["GET"], raise_on_status=False)
        self.browser.mount("http://", HTTPAdapter(max_retries=retry))
        self.browser.cookies.set("sessionid", person["session"], domain="127.0.0.1")
        self.latest: int | None = None
        self.changed = threading.Event()

    def submit(self) -> None:
        files: dict[str, tuple[str, bytes, str] | tuple[str, bytes]] = {
            "code": ("assignment1.py", self.code, "text/x-python"),
            "report": ("report.pdf", self.report),
        }
        started = time.perf_counter()
        try:
            response = self.api.post(f"{self.base}/api/courses/DD2424/assignments/1/submissions/", files=files)
        except requests.RequestException as error:
            self.stats["refused"].append(str(error))
            return
        self.stats["submit_ms"].append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            self.stats["refused"].append(f"{response.status_code} {response.text[:200]}")
            return
        self.stats["accepted"].append(response.json()["id"])
        self.latest = response.json()["id"]
        self.changed.set()

    def watch(self, stop: threading.Event) -> None:
        """The browser tab: the submission's page, then its fragment's own polling, until it stops asking."""
        while not stop.is_set():
            self.changed.wait(0.5)
            if self.latest is None or not self.changed.is_set():
                continue
            self.changed.clear()
            url = f"{self.base}/c/DD2424/assignments/1/submissions/{self.latest}/"
            etag, interval = None, 1.0
            while not stop.is_set() and not self.changed.is_set():
                started = time.perf_counter()
                headers = {"HX-Request": "true"} if "/workers/jobs/" in url else {}
                if etag:
                    headers["If-None-Match"] = etag
                try:
                    response = self.browser.get(url, headers=headers, timeout=60)
                except requests.RequestException as error:
                    self.stats["poll_errors"] += 1
                    self.stats["poll_error_kinds"][type(error).__name__] += 1
                    time.sleep(1)
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if response.raw.retries is not None and response.raw.retries.history:
                    self.stats["poll_retried"] += 1
                if "/workers/jobs/" in url:
                    self.stats["poll_ms"].append(elapsed)
                after = calm(response.headers.get("X-Poll-After"))
                if response.status_code == 304:
                    self.stats["not_modified"] += 1
                    interval = max(min(self.MAX_S, interval * self.GROWTH), after)
                elif response.status_code != 200:
                    self.stats["poll_errors"] += 1
                    self.stats["poll_error_kinds"][f"HTTP {response.status_code}"] += 1
                    interval = self.MAX_S
                else:
                    found = self.POLL_URL.search(response.text)
                    if found is None:
                        break  # the page stopped asking: the result is there
                    if "/workers/jobs/" in url:
                        etag = response.headers.get("ETag")
                    else:  # the page itself: the fragment's first ETag (and its calm) are in its markup
                        given = self.POLL_ETAG.search(response.text)
                        etag = given.group(1) if given else None
                        given = self.POLL_AFTER.search(response.text)
                        after = calm(given.group(1) if given else None)
                    url = self.base + found.group(1)
                    interval = max(self.FIRST_S, after)
                self.changed.wait(interval)


def bare_seconds(suite: Path, workers: int, runs: int = 5) -> float:
    """The bare in-process time of one job (the suite on the reference, no judge or sandbox), with the BLAS
    threads one worker slot gets: the fastest of `runs` (the machine's noise only adds to it; the fastest is the
    strictest limit to measure the workers against)."""
    code = f"""
import importlib.util, sys, tempfile
from pathlib import Path
sys.path.insert(0, {str(ROOT / "bench")!r})
import pytest
from judge_overhead import InProcessCaller
from workers.judge.judge import pytest_args
from workers.judge.plugin import JudgePlugin
from workers.judge.suite import load_suite
suite = load_suite(Path({str(suite)!r}))
with tempfile.TemporaryDirectory() as scratch, open(Path(scratch) / "r.jsonl", "w") as results:
    plugin = JudgePlugin(suite, InProcessCaller(Path({str(REFERENCE)!r})), results, Path(scratch) / "figures",
                         student_data_dir=str(suite.public_data))
    sys.exit(pytest.main([*pytest_args(suite), "-q", "-p", "no:cacheprovider"], plugins=[plugin]))
"""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "HOME": "/tmp"}
    threads = str(cores_per_slot(workers))
    env |= {name: threads for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([RUNTIME, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="40 students, 2 workers, 1.5 minutes, one-test suite")
    args = parser.parse_args()
    students = args.students or (40 if args.quick else 400)
    workers = args.workers or (2 if args.quick else os.cpu_count() or 2)
    window = 60 * (args.minutes or (1.5 if args.quick else 10))

    var = Path(tempfile.mkdtemp(prefix="bench-surge-"))
    var.chmod(0o711)  # noqa: S103 (traverse only: the judge's uid reaches the suite cache)
    if args.quick:
        suite = var / "suite"
        (suite / "tests").mkdir(parents=True)
        (suite / "suite.toml").write_text(SUITE_TOML)
        (suite / "tests" / "test_check.py").write_text(SUITE_TEST)
    else:
        suite = A1
    subprocess.run([RUNTIME, "-m", "workers.suites.build_data"], cwd=ROOT, check=True, capture_output=True)
    bare = bare_seconds(suite, workers)
    print(f"bare in-process time of one job: {bare:.2f} s", flush=True)
    become_subreaper()  # a killed worker's orphans come here, not to init, which would count their CPU again
    stack = Stack(var, workers, suite, students)
    try:
        run(stack, args.seed, window, workers, bare)
    finally:
        stack.close()
        shutil.rmtree(var, ignore_errors=True)


def run(stack: Stack, seed: int, window: float, workers: int, bare: float) -> None:
    base = f"http://127.0.0.1:{stack.port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/accounts/login/", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
    from coursesite.uploads import minimal_pdf

    stats: dict[str, Any] = {
        "accepted": [],
        "refused": [],
        "submit_ms": [],
        "poll_ms": [],
        "poll_errors": 0,
        "poll_retried": 0,  # sent again on a fresh connection (the kept-alive one was closed), as a browser does
        "poll_error_kinds": collections.Counter(),
        "not_modified": 0,
        "fault_windows": [],  # (epoch from, epoch to): a worker killed until started again; Redis down until up
    }
    code, report = REFERENCE.read_bytes(), minimal_pdf("Surge")
    people = [Student(base, person, report, code, stats) for person in stack.people]
    rng = random.Random(seed)
    events = sorted((rng.uniform(0, window), n) for n in range(len(people)) for _ in range(rng.randint(1, 3)))
    stop = threading.Event()
    watchers = [threading.Thread(target=person.watch, args=(stop,), daemon=True) for person in people]
    for watcher in watchers:
        watcher.start()
    faults: list[str] = []

    def kill_a_worker() -> None:
        time.sleep(window * 0.4)
        killed = time.time()
        stack.kill_worker(0)
        faults.append(f"{time.monotonic() - began:.0f} s: worker 0 killed with SIGKILL")
        time.sleep(2)
        stack.workers[0] = stack.start_worker(0)
        stats["fault_windows"].append((killed, time.time()))

    def stop_redis() -> None:
        time.sleep(window * 0.6)
        down = time.time()
        stack.stop_redis()
        faults.append(f"{time.monotonic() - began:.0f} s: Redis stopped for 10 s")
        time.sleep(10)
        stack.start_redis()
        stats["fault_windows"].append((down, time.time()))

    began, cpu_before, everything_before = time.monotonic(), stack.cpu(), every_process_cpu()
    for fault in (kill_a_worker, stop_redis):
        threading.Thread(target=fault, daemon=True).start()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for at, n in events:
            time.sleep(max(0.0, began + at - time.monotonic()))
            pool.submit(people[n].submit)
    print(f"surge sent: {len(events)} submissions by {len(people)} students in {window:.0f} s", flush=True)

    # Drain: wait until every accepted submission's job has ended (or nothing moved for a long while).
    last_change, last_done, rows = time.monotonic(), -1, []
    while True:
        rows = stack.rows()
        done = sum(1 for row in rows if row[2] in FINAL)
        if done != last_done:
            last_change, last_done = time.monotonic(), done
        if done == len(stats["accepted"]) == len(rows) or time.monotonic() - last_change > 180:
            break
        time.sleep(3)
    time.sleep(1.5)  # the open pages see the last results
    stop.set()
    cpu_after, elapsed = stack.cpu(), time.monotonic() - began
    stats["cpu"] = {part: round(cpu_after[part] - cpu_before[part], 1) for part in cpu_after}
    stats["cpu_elapsed_s"] = elapsed
    others: dict[str, float] = collections.defaultdict(float)  # the rest, by process name
    ours = stack.ours()
    for pid, (name, seconds) in every_process_cpu().items():
        if pid not in ours:
            before = everything_before.get(pid)
            others[name] += seconds - (before[1] if before and before[0] == name else 0.0)
    largest = sorted(others.items(), key=lambda item: -item[1])[:6]
    stats["cpu_rest_by_name"] = {name: round(seconds, 1) for name, seconds in largest}
    report_figures(stats, rows, workers, bare, faults, stack)


def report_figures(
    stats: dict[str, Any], rows: list[list[Any]], workers: int, bare: float, faults: list[str], stack: Stack
) -> None:
    by_submission = {row[0]: row for row in rows}
    accepted = stats["accepted"]
    # An infrastructure error that stayed one after every try is no result either.
    lost = [s for s in accepted if s not in by_submission or by_submission[s][2] not in ("finished", "skipped")]
    superseded = [row for row in rows if row[3] == "superseded"]
    ran = [row for row in rows if row[5] is not None and row[3] != "superseded" and (row[6] or row[7])]
    latest: dict[str, list[Any]] = {}
    for row in sorted(rows, key=lambda row: row[0]):
        latest[row[1]] = row
    waits = [row[6] - row[4] for row in latest.values() if row[2] == "finished" and row[6] is not None]
    # The waits no fault touched: one try, and waiting or running at no moment of a fault (a worker killed until it
    # was started again, Redis down until it was up).
    untouched = [
        row[6] - row[4]
        for row in latest.values()
        if row[2] == "finished"
        and row[6] is not None
        and row[8] == 1
        and not any(row[4] <= until and row[6] >= since for since, until in stats["fault_windows"])
    ]
    starts = [row[5] for row in ran]
    ends = [row[6] or row[7] for row in ran if row[6] or row[7]]
    span = (max(ends) - min(starts)) if starts and ends else 0.0
    span_ratio = (len(ran) * bare / workers) / span if span else 0.0
    ratio, saturated_s = saturated_throughput(ran, workers, bare)
    runs = [(row[6] or row[7]) - row[5] for row in ran]
    served = stack.server_ms("/workers/jobs/")
    figures = {
        "submissions": len(accepted),
        "refused": len(stats["refused"]),
        "lost": len(lost),
        "jobs_run": len(ran),
        "superseded": len(superseded),
        "web_p95_ms": round(percentile(stats["poll_ms"], 0.95), 1),
        "web_median_ms": round(percentile(stats["poll_ms"], 0.5), 1),
        "polls": len(stats["poll_ms"]),
        "web_server_p95_ms": round(percentile(served, 0.95), 1),
        "not_modified": stats["not_modified"],
        "poll_errors": stats["poll_errors"],
        "poll_retried": stats["poll_retried"],
        "submit_p95_ms": round(percentile(stats["submit_ms"], 0.95), 1),
        "wait_median_s": round(statistics.median(waits), 1) if waits else None,
        "wait_p95_s": round(percentile(waits, 0.95), 1),
        "max_wait_s": round(max(waits), 1) if waits else None,
        "throughput_ratio": round(ratio, 3),
        "saturated_s": round(saturated_s, 1),
        "throughput_span_ratio": round(span_ratio, 3),
        "job_run_median_s": round(statistics.median(runs), 2) if runs else None,
        "fairness": round(jain(waits), 3),
        "fairness_untouched": round(jain(untouched), 3),
        "untouched": len(untouched),
        "workers": workers,
        "bare_job_s": round(bare, 2),
        "beat_alive": stack.beat.poll() is None,
        "cpu_s": stats["cpu"],
    }
    for fault in faults:
        print(f"fault at {fault}")
    if stats["poll_error_kinds"]:
        print(f"poll errors by kind: {dict(stats['poll_error_kinds'])}")
    if stats["refused"]:
        print(f"refused (first 3): {stats['refused'][:3]}")
    if lost:
        print(f"lost submissions: {lost[:20]} states {[by_submission.get(s, [None] * 4)[2:4] for s in lost[:20]]}")
    print(f"submissions accepted   : {figures['submissions']} (refused {figures['refused']})")
    print(f"lost                   : {figures['lost']}")
    print(f"jobs run / superseded  : {figures['jobs_run']} / {figures['superseded']}")
    print(
        f"web, polled page       : p95 {figures['web_p95_ms']} ms, median {figures['web_median_ms']} ms "
        f"({figures['polls']} polls, {figures['not_modified']} not modified, {figures['poll_errors']} errors, "
        f"{figures['poll_retried']} sent again on a fresh connection)"
    )
    print(f"  in the server        : p95 {figures['web_server_p95_ms']} ms (gunicorn's own time, {len(served)} polls)")
    print(f"submit (API) p95       : {figures['submit_p95_ms']} ms")
    print(
        f"wait for latest result : median {figures['wait_median_s']} s, p95 {figures['wait_p95_s']} s, "
        f"max {figures['max_wait_s']} s"
    )
    print(
        f"throughput ratio       : {figures['throughput_ratio']} (bare work done while every one of the {workers} "
        f"slots had a job, {figures['saturated_s']} s of the run, against {workers} slots doing bare work)"
    )
    print(
        f"  over the whole span  : {figures['throughput_span_ratio']} ({figures['jobs_run']} jobs x {bare:.2f} s bare "
        f"/ {workers} slots, first start to last end: bounded by the arrivals when the queue runs dry)"
    )
    print(f"  a job in its slot    : median {figures['job_run_median_s']} s (claimed to result), {bare:.2f} s bare")
    print(f"fairness (Jain)        : {figures['fairness']}")
    print(
        f"  without the faults   : {figures['fairness_untouched']} (the {figures['untouched']} latest results no fault "
        "touched: one try, not waiting or running while a worker was dead or Redis down)"
    )
    cores = (os.cpu_count() or 1) * stats["cpu_elapsed_s"]
    shares = ", ".join(f"{part} {seconds:.0f} s ({seconds / cores:.0%})" for part, seconds in stats["cpu"].items())
    print(f"CPU by part (of {cores:.0f} core-seconds): {shares}")
    print(f"  the rest's live processes, by name (s): {stats['cpu_rest_by_name']}")
    print(f"beat alive at the end  : {figures['beat_alive']}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
