"""The sandbox's public value types: resource limits, the outcome of a job, errors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

STATUSES = (
    "ok",
    "exit_nonzero",
    "timeout",
    "cpu_limit",
    "memory",
    "signal",
    "output_limit",
    "error",
)


class SandboxUnavailable(RuntimeError):
    """The host lacks the minimum isolation (no network, own uid or user namespace, rlimits)."""


@dataclass(frozen=True)
class Limits:
    cpu_s: float = 60
    wall_s: float = 120
    memory_mb: int = 2048
    procs: int = 64
    files: int = 256
    fsize_mb: int = 64
    output_kb: int = 1024
    tmpfs_mb: int = 256  # /tmp and /dev/shm, each
    # What the job may write into /work, on top of the files it is given (copied in), and files and folders it
    # may create in each of /work, /tmp and /dev/shm. All three are tmpfs: their pages count against memory_mb.
    work_mb: int = 256
    work_files: int = 8192
    # The job's CPU priority (nice, 0-19): below the web server's and the worker's own, so that pages stay quick
    # while the cores are busy grading; a job on an idle machine runs as fast as before. Not a suite's to set.
    nice: int = 10


@dataclass
class Outcome:
    status: str
    exit_code: int | None
    signal: int | None
    cpu_s: float
    wall_s: float
    max_rss_kb: int
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    isolation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
