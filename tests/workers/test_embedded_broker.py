"""The one-command demo's own configuration holds a burst: SQLite, the embedded SQLite broker, and the worker and
beat of `scripts/embedded-workers.sh` (real processes). 200 submissions arrive while the worker takes them; every
job ends with a result and the worker lives. Killing the worker (its whole tree) leaves beat alive, and the
watchdog it schedules takes the dead worker's job over once the worker is started again.

Most submissions are zips damaged inside (a bad CRC: accepted at upload, refused by the worker's unpacking with an
import error), so that a job costs milliseconds and the burst stays affordable; a few are real solutions graded by
the judge in the sandbox."""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .workers_support import LOAD, REPO, RIGHT, kill_tree, quick_suite_folder

SLOW_COST = b"import time\n\n\ndef ComputeCost(x):\n    time.sleep(0.5)\n    return x * x\n"
SUBMISSIONS, STUDENTS, GRADED = 200, 20, 4

SETUP = """
import datetime as dt
from pathlib import Path
from django.core.files.base import ContentFile
from django.utils import timezone
from assignments.models import Assignment
from coursesite.models import Course, Membership, Role, User
from workers.archives import zip_folder
from workers.services import suite_activate, suite_upload

now = timezone.now()
course = Course.objects.create(code="DD2424", name="Deep Learning", term="VT", first_lecture_on=now.date())
assignment = Assignment.objects.create(
    course=course, number=1, title="A1", released_at=now - dt.timedelta(days=1), deadline_at=now + dt.timedelta(days=5)
)
examiner = User.objects.create_user("examiner")
Membership.objects.create(user=examiner, course=course, role=Role.INSTRUCTOR)
for n in range({students}):
    Membership.objects.create(user=User.objects.create_user(f"s{{n:02d}}"), course=course, role=Role.STUDENT)
suite = suite_upload(assignment=assignment, upload=ContentFile(zip_folder(Path({suite!r})), name="s.zip"),
                     by=examiner, runs_per_day=1000)
suite_activate(suite=suite, by=examiner)  # uploads arrive as drafts
"""

SUBMIT = """
import sys
from django.core.files.uploadedfile import SimpleUploadedFile
from assignments.models import Assignment
from assignments.services import submission_create
from coursesite.models import User
from coursesite.uploads import minimal_pdf

assignment, report = Assignment.objects.get(number=1), minimal_pdf("burst")
for n, name in enumerate({files!r}):
    data = open(name, "rb").read()
    submission_create(
        assignment=assignment, student=User.objects.get(username=f"s{{n % {students}:02d}}"),
        code=[SimpleUploadedFile(name.rsplit("/", 1)[1], data)],
        report=SimpleUploadedFile("report.pdf", report, content_type="application/pdf"),
    )
"""


def damaged_zip() -> bytes:
    """A zip whose only member's bytes no longer match its CRC (a download cut and patched, say)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("assignment1.py", "def ComputeCost(x):\n    return x * x\n")
    data = bytearray(out.getvalue())
    data[data.index(b"ComputeCost")] ^= 0x20
    return bytes(data)


def embedded_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT")}
    env.update(
        DEBUG="1",
        COURSESITE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="coursesite.settings",
        COURSESITE_GRADING_HEARTBEAT_S="0.5",
        COURSESITE_GRADING_STALE_AFTER_S="3",
        COURSESITE_GRADING_WATCHDOG_EVERY_S="1",
        COURSESITE_GRADING_RETRY_DELAY_S="0.2",
    )
    return env


def shell(env: dict[str, str], code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "shell", "-v0", "-c", code], cwd=REPO, env=env)


def jobs(var: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(var / "db.sqlite3", timeout=20) as db:
        return db.execute("SELECT id, state, outcome FROM workers_gradingjob ORDER BY id").fetchall()


def wait_until(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s: {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0] != "Z"


def pid_of(var: Path, name: str, not_this: int = 0) -> int:
    def read() -> int:
        try:
            pid = int((var / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return 0
        return pid if pid != not_this and alive(pid) else 0

    return wait_until(read, 60, f"the {name} is running")


def test_a_burst_on_the_demo_configuration_ends_with_a_result_for_every_job_and_a_worker_crash_spares_beat(
    tmp_path: Path,
) -> None:
    # The state folder where the judge's uid reaches the suite cache inside it (pytest's tmp_path is 0700).
    var, files = Path(tempfile.mkdtemp(prefix="embedded-broker-")), tmp_path / "files"
    var.chmod(0o711)  # noqa: S103 (traverse only, as the site sets it)
    files.mkdir()
    env = embedded_env(var)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    suite = quick_suite_folder(tmp_path)
    assert shell(env, SETUP.format(students=STUDENTS, suite=str(suite))).wait() == 0
    (files / "damaged.zip").write_bytes(damaged_zip())
    (files / "assignment1.py").write_bytes(RIGHT)
    (files / "slow.py").write_bytes(LOAD + SLOW_COST)

    services = subprocess.Popen(["scripts/embedded-workers.sh"], cwd=REPO, env={**env, "WORKER_LOG_LEVEL": "WARNING"})
    try:
        worker, beat = pid_of(var, "worker"), pid_of(var, "beat")
        # Four submitting processes at once, while the worker takes the messages off the broker.
        names = [
            str(files / ("assignment1.py" if n % (SUBMISSIONS // GRADED) == 0 else "damaged.zip"))
            for n in range(SUBMISSIONS)
        ]
        burst = [shell(env, SUBMIT.format(files=names[n::4], students=STUDENTS)) for n in range(4)]
        assert [process.wait() for process in burst] == [0] * 4

        # Every job ends: graded, or superseded by the same student's newer submission while it waited.
        done = wait_until(
            lambda: (rows := jobs(var)) and all(state in ("finished", "skipped") for _, state, _ in rows) and rows,
            300,
            "every job of the burst ended",
        )
        assert len(done) == SUBMISSIONS
        assert all(outcome == "superseded" for _, state, outcome in done if state == "skipped")
        graded = {outcome for _, state, outcome in done if state == "finished"}
        assert graded <= {"import_error", "passed"}, graded
        with sqlite3.connect(var / "db.sqlite3") as db:  # each student's latest submission was graded
            latest = db.execute(
                "SELECT j.state FROM workers_gradingjob j WHERE j.id IN (SELECT MAX(j2.id) FROM workers_gradingjob j2"
                " JOIN assignments_submission s ON s.id = j2.submission_id GROUP BY s.student_id)"
            ).fetchall()
        assert latest and {state for (state,) in latest} == {"finished"}
        assert alive(worker), (var / "worker.log").read_text()[-3000:]
        assert "JSONDecodeError" not in (var / "worker.log").read_text()

        # A job is running when the worker's host dies: beat lives on, the watchdog takes the job over.
        slow = shell(env, SUBMIT.format(files=[str(files / "slow.py")], students=STUDENTS))
        assert slow.wait() == 0
        slow_id = jobs(var)[-1][0]
        wait_until(lambda: jobs(var)[-1][1] == "running", 60, "the slow job runs")
        kill_tree(worker)
        time.sleep(1)
        assert alive(beat) and not alive(worker)
        pid_of(var, "worker", not_this=worker)  # started again by embedded-workers.sh
        last = wait_until(lambda: (row := jobs(var)[-1])[1] == "finished" and row, 90, "the slow job is taken over")
        assert last == (slow_id, "finished", "passed")
        with sqlite3.connect(var / "db.sqlite3") as db:
            query = "SELECT tries, staff_notes FROM workers_gradingjob WHERE id = ?"
            tries, notes = db.execute(query, (slow_id,)).fetchone()
        # Taken over once: by the worker the script starts again under the same name (it takes its job back as it
        # starts), or by the watchdog in beat if that finds the heartbeat stale first (3 s here).
        assert tries == 2 and ("the worker running it was restarted" in notes or "stopped answering" in notes)
        assert alive(beat)
    finally:
        services.send_signal(signal.SIGTERM)
        try:
            services.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_tree(services.pid)
        shutil.rmtree(var, ignore_errors=True)
