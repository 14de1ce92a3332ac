"""Per-job unprivileged uids (slots), each held through a lock file so concurrent jobs never share one."""

from __future__ import annotations

import fcntl
import os
import time

from . import host
from .limits import SandboxUnavailable


def slot_lock_path(uid: int) -> str:
    """The lock file a job holds while it runs as `uid` (keyed by uid, so workers of one container with
    different ranges never block each other, and overlapping ranges still never share a uid)."""
    return os.path.join(host.state_dir(), "slots", f"uid-{uid}.lock")


class Slot:
    """A per-job unprivileged uid, held through a lock file so concurrent jobs never share one."""

    def __init__(self, wall_s: float) -> None:
        base, count = host.slot_range()
        os.makedirs(os.path.dirname(slot_lock_path(base)), mode=0o700, exist_ok=True)
        deadline = time.monotonic() + max(wall_s, 30)
        while True:
            for index in range(count):
                fd = os.open(slot_lock_path(base + index), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self.index, self._fd = index, fd
                self.uid = base + index if os.geteuid() == 0 else os.getuid()
                return
            if time.monotonic() > deadline:
                raise SandboxUnavailable("all sandbox slots are busy")
            time.sleep(0.05)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
