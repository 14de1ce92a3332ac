"""Helpers of the autograder tests (shared with the browser test): a quick real suite, solutions, process control."""

import io
import os
import signal
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

REPO = Path(__file__).resolve().parents[2]
A1_SUITE = REPO / "workers" / "suites" / "dd2424" / "a1"

# A real suite, small enough that a job takes about a second: three tests of each visibility and a figure.
QUICK_TOML = """
name = "Quick A1 check"
assignment = "DD2424/1"
queue = "cpu"
required = ["ComputeCost", "LoadScale"]

[limits]
per_test_timeout_s = 20
import_timeout_s = 15

[tests.test_cost_visible]
points = 1

[tests.test_cost_hidden]
points = 2
visibility = "hidden"

[tests.test_cost_secret]
points = 3
visibility = "secret"
"""

QUICK_TESTS = """
import matplotlib.pyplot as plt


def test_cost_visible(student, student_data, figure):
    # The student reads the public data mounted read-only in the sandbox.
    assert float(student.LoadScale(f"{student_data}/scale.txt")) == 1.0, "LoadScale should read the number in the file"
    values = [float(student.ComputeCost(x)) for x in (0.0, 1.0, 2.0, 3.0)]
    fig, ax = plt.subplots()
    ax.plot(values)
    ax.set_title("cost curve")
    figure("cost_curve", fig)
    assert values[3] == 9.0, f"ComputeCost(3) returned {values[3]}, expected 9"


def test_cost_hidden(student):
    got = float(student.ComputeCost(4.0))
    assert got == 16.0, f"HIDDEN-DETAIL ComputeCost(4) returned {got}"


def test_cost_secret(student):
    got = float(student.ComputeCost(5.0))
    assert got == 25.0, f"SECRET-DETAIL ComputeCost(5) returned {got}"
"""

# Solutions as students would upload them.
LOAD = b"def LoadScale(path):\n    with open(path) as handle:\n        return float(handle.read())\n\n\n"
RIGHT = LOAD + b"def ComputeCost(x):\n    return x * x\n"
WRONG_LARGE = LOAD + b"def ComputeCost(x):\n    return x * x if x < 3.5 else 0.0\n"
SLOW = LOAD + b"import time\n\n\ndef ComputeCost(x):\n    time.sleep(1.5)\n    return x * x\n"


def quick_suite_folder(root: Path, *, assignment: str = "DD2424/1", toml: str = QUICK_TOML) -> Path:
    folder = root / "quick-suite"
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "public_data").mkdir(exist_ok=True)
    (folder / "public_data" / "scale.txt").write_text("1.0\n")
    (folder / "hidden_data").mkdir(exist_ok=True)
    (folder / "hidden_data" / "answers.txt").write_text("never in the sandbox\n")
    (folder / "suite.toml").write_text(toml.replace('"DD2424/1"', f'"{assignment}"'))
    (folder / "tests" / "test_quick.py").write_text(QUICK_TESTS)
    return folder


def zip_upload(data: bytes, name: str = "suite.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def purge_grading_queues() -> None:
    """Empty this test broker's grading queues, so a message from an earlier run cannot reach a new worker."""
    from coursesite.celery import app

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in ("cpu", "cpu-again", "rerun", "gpu", "gpu-again", "gpu-rerun"):
            channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            channel.queue_purge(queue)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """kill -9 a worker and everything it started, as when its host dies."""
    for process in [pid, *descendants(pid)]:
        try:
            os.kill(process, signal.SIGKILL)
        except ProcessLookupError:
            pass


def recorded_job(submission, *, state: str = "finished", outcome: str = "failed", tests=(), notes=(), **fields):  # type: ignore[no-untyped-def]
    """A job with its per-test rows as the worker records them (no judge run: for pages that show results).
    `tests` are (name, status, reason, message, points, max_points, seconds)."""
    from workers.models import GradingJob, Suite, TestResult

    spec = {name: {"points": top, "visibility": "visible"} for name, _, _, _, _, top, _ in tests}
    suite = Suite.objects.filter(assignment=submission.assignment).first() or Suite.objects.create(
        assignment=submission.assignment,
        version=1,
        archive="suites/x.zip",
        sha256="0" * 64,
        name="A1",
        tests=spec,
        max_score=sum(s["points"] for s in spec.values()),
    )
    finished = state == "finished"
    job = GradingJob.objects.create(
        submission=submission,
        suite=suite,
        state=state,
        outcome=outcome if finished else "",
        score=sum(t[4] for t in tests) if finished else None,
        max_score=suite.max_score if finished else None,
        notes=list(notes),
        **fields,
    )
    for position, (name, status, reason, message, points, top, seconds) in enumerate(tests):
        TestResult.objects.create(
            job=job, position=position, name=name, status=status, reason=reason, message=message,
            points=points, max_points=top, seconds=seconds,
        )  # fmt: skip
    return job
