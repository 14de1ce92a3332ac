"""One owner gives back what a job holds: after a failed start and after a job, no fd, slot or cgroup is left,
and the registry the process waits for at exit is empty again. And the verdict on how a job ended."""

from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from workers.sandbox import Limits, spawn
from workers.sandbox.teardown import LIVE
from workers.sandbox.verdict import Ending, classify


def _open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def test_a_start_that_fails_late_gives_back_everything(workdir: Path) -> None:
    before = _open_fds()
    # The GPU's device node is checked as bwrap's command line is built: after the slot, the cgroup, the
    # channel, the seccomp filter and the status pipe were made.
    with pytest.raises(ValueError, match="nvidia99"):
        spawn(["/bin/true"], workdir=str(workdir), gpu=99)
    with pytest.raises(ValueError, match="not a directory"):
        spawn(["/bin/true"], workdir=str(workdir / "missing"))
    assert _open_fds() == before
    assert not LIVE.teardowns


def test_a_job_that_ended_is_closed_and_forgotten(workdir: Path) -> None:
    before = _open_fds()
    job = spawn(["/bin/cat"], workdir=str(workdir), limits=Limits(wall_s=10))
    assert job.channel_in is not None and job.channel_out is not None and job.channel_socket is not None
    job.channel_in.close()
    assert job.wait().status == "ok"
    assert job.close(timeout=10)
    job.channel_out.close()
    job.channel_socket.close()
    assert _open_fds() == before
    assert not LIVE.teardowns


_STARTED = Ending(
    wait_status=0, cpu_s=0.1, oom_kills=0, started=True, kill_reason=None, stderr_tail="", exit_is_signal=True
)


def _ending(status: int, **overrides: Any) -> Ending:
    return dataclasses.replace(_STARTED, wait_status=status, **overrides)


def _exited(code: int) -> int:
    return code << 8  # a wait status of exit(code)


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        (_ending(_exited(0)), ("ok", 0, None)),
        (_ending(_exited(3)), ("exit_nonzero", 3, None)),
        (_ending(_exited(128 + signal.SIGSEGV)), ("signal", None, signal.SIGSEGV)),
        (_ending(_exited(128 + signal.SIGSEGV), exit_is_signal=False), ("exit_nonzero", 128 + signal.SIGSEGV, None)),
        (_ending(_exited(128 + signal.SIGKILL), cpu_s=10.0), ("cpu_limit", None, signal.SIGKILL)),
        (_ending(_exited(128 + signal.SIGKILL), oom_kills=1), ("memory", None, signal.SIGKILL)),
        (_ending(_exited(128 + signal.SIGKILL), kill_reason="timeout", oom_kills=1), ("memory", None, 9)),
        (_ending(_exited(128 + signal.SIGKILL), kill_reason="output_limit"), ("output_limit", None, 9)),
        (_ending(_exited(1), stderr_tail="Traceback ...\nMemoryError\n"), ("memory", 1, None)),
    ],
)
def test_the_verdict_on_how_a_job_ended(ending: Ending, expected: tuple[str, int | None, int | None]) -> None:
    verdict = classify(ending, Limits(cpu_s=10))
    assert (verdict.status, verdict.exit_code, verdict.signal) == expected
    assert verdict.note == ""


def test_a_program_that_never_started_is_the_sandboxs_error() -> None:
    verdict = classify(_ending(_exited(1), started=False), Limits())
    assert (verdict.status, verdict.note) == ("error", "sandbox failed to start")
