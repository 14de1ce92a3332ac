"""Everything a job holds on the host, given back in one place (Teardown), and the registry of jobs whose
teardown is not over yet, which the process waits for at exit (LIVE)."""

from __future__ import annotations

import atexit
import ctypes
import functools
import os
import select
import socket
import threading
import time
from collections.abc import Sequence
from typing import IO

from . import bwrap as bw
from . import cgroups
from .slots import Slot

_PR_SET_CHILD_SUBREAPER = 36
# How long a process that exits waits, in all, for the teardowns still running.
TEARDOWN_AT_EXIT_S = 10.0


class Teardown:
    """What one job holds and must give back: the mount points bwrap makes in the host's work dir, its cgroup,
    its slot (hence its uid) and its own file descriptors; and, only when the start fails, the channel's ends
    (once the job started they are the caller's). Registered in LIVE from its creation until `closed` is set."""

    def __init__(self) -> None:
        self.mountpoints: list[str] = []
        self.slot: Slot | None = None
        self.cgroup: cgroups.JobCgroup | None = None
        self.fds: list[int] = []
        self.channel: list[IO[bytes] | socket.socket] = []
        self.closed = threading.Event()
        LIVE.add(self)

    def own(self, fd: int) -> int:
        """`fd` is closed with the job."""
        self.fds.append(fd)
        return fd

    def close_fd(self, fd: int) -> None:
        """Close one of the job's own fds now (it is done with)."""
        self.fds.remove(fd)
        os.close(fd)

    def remove_mountpoints(self) -> None:
        """As soon as the job has ended: the caller reads the work dir next."""
        paths, self.mountpoints = self.mountpoints, []
        remove_mountpoints(paths)

    def release(self, inner_pid: int | None = None, grace_s: float = 0.0) -> None:
        """After the job ended: the namespace's pid 1 (`inner_pid`) waited for, the cgroup removed, and only then
        the slot (its uid is reused once every member is gone); the job's fds closed last."""
        try:
            if inner_pid is not None:
                reap_orphan(inner_pid, grace_s)
            if self.cgroup is not None:
                self.cgroup.remove()
        finally:
            self._let_go()

    def abandon(self) -> None:
        """A start that failed: nothing ran, so everything is given back at once, the channel's ends too."""
        try:
            if self.cgroup is not None:
                self.cgroup.remove()
        finally:
            channel, self.channel = self.channel, []
            for end in channel:
                end.close()
            self._let_go()

    def _let_go(self) -> None:
        if self.slot is not None:
            self.slot.release()
        fds, self.fds = self.fds, []
        for fd in fds:
            os.close(fd)
        self.closed.set()
        LIVE.discard(self)


class LiveJobs:
    """The teardowns not over yet. A job's teardown (namespace, cgroup, slot) ends on its monitor thread after
    the Outcome is returned; a process that exits right after, like the judge or the command line, would cut it
    short and leave the cgroup behind. At exit, every teardown still running is waited for (up to
    TEARDOWN_AT_EXIT_S in all)."""

    def __init__(self) -> None:
        self.teardowns: set[Teardown] = set()

    def add(self, teardown: Teardown) -> None:
        if not self.teardowns:  # (re)registered last, so it runs before the handlers registered meanwhile
            atexit.unregister(self.wait_all)
            atexit.register(self.wait_all)
        self.teardowns.add(teardown)

    def discard(self, teardown: Teardown) -> None:
        self.teardowns.discard(teardown)

    def wait_all(self, timeout: float = TEARDOWN_AT_EXIT_S) -> None:
        deadline = time.monotonic() + timeout
        for teardown in list(self.teardowns):
            teardown.closed.wait(max(deadline - time.monotonic(), 0))


LIVE = LiveJobs()


def mountpoints_to_clean(workdir: str, readonly: Sequence[tuple[str, str]]) -> list[str]:
    """bwrap creates mount points for binds nested under /work inside the host work dir;
    list the ones that do not exist yet so they can be removed after the job."""
    created = []
    for _, dest in readonly:
        if not dest.startswith(bw.SANDBOX_WORKDIR + "/"):
            continue
        path = workdir
        for part in os.path.relpath(dest, bw.SANDBOX_WORKDIR).split(os.sep):
            path = os.path.join(path, part)
            if not os.path.lexists(path):
                created.append(path)
    return created


def remove_mountpoints(paths: list[str]) -> None:
    for path in sorted(set(paths), key=len, reverse=True):
        try:
            st = os.lstat(path)
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            elif st.st_size == 0 and not os.path.islink(path):
                os.unlink(path)
        except OSError:
            pass


@functools.cache
def become_subreaper() -> bool:
    """bwrap's outer process exits as soon as its pid-1 reaper reports the exit code, so
    that reaper is orphaned for a moment. As a child subreaper the worker inherits it and
    can wait for it, so a job is over only when its pid namespace is gone (and no zombie
    waits on a container init that never reaps)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except OSError:
        return False


def reap_orphan(pid: int, timeout: float) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.poll(timeout * 1000)
        try:
            os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
        except ChildProcessError:
            pass  # not our child (no subreaper): the host's init reaps it
    finally:
        os.close(pidfd)
