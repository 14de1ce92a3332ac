"""Constants and host probes shared by the sandbox tests."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from workers.sandbox import Limits
from workers.sandbox.host import slot_range
from workers.sandbox.slots import slot_lock_path

RUNTIME = os.environ.get("COURSESITE_SANDBOX_RUNTIME", str(Path(__file__).resolve().parents[2] / ".runtime"))
# Bound at a fixed place inside, like the judge does, so no host path (e.g. a clone under /tmp) shows in the sandbox.
RUNTIME_INSIDE = "/opt/runtime"
RUNTIME_BIND = (RUNTIME, RUNTIME_INSIDE)
PYTHON = f"{RUNTIME_INSIDE}/bin/python"
# Small limits keep the adversarial cases fast on a 2-core machine.
SMALL = Limits(cpu_s=10, wall_s=10, memory_mb=512, procs=32, files=64, fsize_mb=16, output_kb=256, tmpfs_mb=32)


def _slot_busy(uid: int) -> bool:
    """Whether some job (perhaps another engineer's, running now) holds this slot uid."""
    fd = os.open(slot_lock_path(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def slot_processes() -> list[str]:
    """Processes with a slot uid whose slot no job holds: they outlived their job."""
    found = []
    base, count = slot_range()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        uid = int(fields.get("Uid", "0").split()[0])
        zombie = fields.get("State", "").strip().startswith("Z")  # dead, only awaiting its reaper
        if base <= uid < base + count and not zombie and not _slot_busy(uid):
            found.append(f"{entry} uid={uid}")
    return found


def job_cgroups() -> list[str]:
    out = []
    for ctrl in ("memory", "pids", "cpuacct", "cpu", ""):
        parent = os.path.join("/sys/fs/cgroup", ctrl, "coursesite-sandbox")
        if os.path.isdir(parent):
            # Only ours: job-<token>-<pid of the process that ran it>-<n>.
            out += [os.path.join(parent, d) for d in os.listdir(parent) if d.split("-")[2:3] == [str(os.getpid())]]
    return out
