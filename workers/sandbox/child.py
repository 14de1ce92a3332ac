"""The job's child process before it execs bwrap: its rlimits, and its setup while still root (cgroup, own
folders, file descriptors, then the slot uid for good); and the work dir handed to the slot uid."""

from __future__ import annotations

import fcntl
import math
import os
import resource
from collections.abc import Callable

from .limits import Limits

# Headroom of RLIMIT_AS over memory_mb: allocators and thread stacks reserve address
# space they never touch (torch alone maps ~1.5 GB); the cgroup is the real memory cap.
AS_HEADROOM_MB = 4096


def chown_tree(top: str, uid: int) -> None:
    """Give the job's uid its work dir. Never follows symlinks, and skips hard-linked files
    (chowning one would chown its other names, which may lie outside the work dir)."""
    os.chown(top, uid, uid, follow_symlinks=False)
    os.chmod(top, 0o700)
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and st.st_nlink > 1:
                    continue
                if st.st_uid != uid:
                    os.chown(entry.path, uid, uid, follow_symlinks=False)


def rlimits(limits: Limits, gpu: int | None) -> list[tuple[int, int, int]]:
    cpu = max(1, math.ceil(limits.cpu_s))
    fsize = limits.fsize_mb * 1024 * 1024
    out = [
        # SIGXCPU at the soft limit, SIGKILL a second later if it is caught.
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        # Counted per real uid, so per slot; bwrap's own two processes count too.
        (resource.RLIMIT_NPROC, limits.procs + 2, limits.procs + 2),
        (resource.RLIMIT_NOFILE, limits.files, limits.files),
        (resource.RLIMIT_FSIZE, fsize, fsize),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if gpu is None:
        # Never on CUDA jobs: the CUDA allocator reserves huge virtual ranges.
        cap = (limits.memory_mb + AS_HEADROOM_MB) * 1024 * 1024
        out.append((resource.RLIMIT_AS, cap, cap))
    return out


def make_preexec(
    procs_files: list[str],
    rlimits: list[tuple[int, int, int]],
    fd_map: dict[int, int],
    uid: int | None,
    folders: Callable[[], None] | None = None,
    error_fd: int = -1,
    nice: int = 0,
) -> Callable[[], None]:
    """The forked child's setup, still as root: join the cgroup, mount and fill the job's own folders (charged to
    its cgroup), place fds, set rlimits and the CPU priority, then drop to the slot uid for good before exec'ing
    bwrap."""

    def preexec() -> None:
        pid = str(os.getpid()).encode()
        for path in procs_files:
            fd = os.open(path, os.O_WRONLY)
            # v1's tasks file: 0, this very thread (see JobCgroup.procs_files); v2's cgroup.procs: the pid.
            os.write(fd, b"0" if path.endswith("/tasks") else pid)
            os.close(fd)
        if folders is not None:
            try:
                folders()
            except BaseException as exc:
                # subprocess reports only "Exception occurred in preexec_fn"; the parent reads the reason here.
                os.write(error_fd, str(exc).encode(errors="replace")[:4000])
                raise
        # Park sources above every target first, so placing one never clobbers another.
        parked = {target: fcntl.fcntl(src, fcntl.F_DUPFD_CLOEXEC, 100) for target, src in fd_map.items()}
        for target, src in parked.items():
            os.dup2(src, target, inheritable=True)
        # Popen runs with close_fds=False: its own closing would first mark pass_fds inheritable, by their numbers
        # in the parent, where another thread may just have closed one (EBADF). Every inheritable fd but the
        # targets is closed here instead; the rest are close-on-exec.
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 2 and fd not in parked:
                try:
                    if os.get_inheritable(fd):
                        os.close(fd)
                except OSError:
                    pass  # the directory's own fd, closed already
        for res, soft, hard in rlimits:
            resource.setrlimit(res, (soft, hard))
        if nice > 0:
            os.nice(min(nice, 19))
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        os.umask(0o022)

    return preexec
