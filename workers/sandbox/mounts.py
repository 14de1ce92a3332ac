"""A job's writable folders (/work, /tmp, /dev/shm) as size- and file-count-capped tmpfs mounts of its own.

The job's first process, still root, enters a mount namespace of its own, mounts the three tmpfs there and copies
the work dir in, before it drops to the slot uid and execs bubblewrap, which binds them. Nothing is mounted in the
worker's namespace: the mounts end with the job's last process, whatever happens to the worker, and what the
student writes never reaches the host's disk. tmpfs pages are charged to the memory cgroup of the process that
writes them (the job's, which the first process joins before copying), so they also count against memory_mb.
"""

from __future__ import annotations

import ctypes
import os
import stat
from dataclasses import dataclass

from .limits import Limits

_CLONE_NEWNS = 0x00020000
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MB = 1024 * 1024
FOLDERS = ("work", "tmp", "shm")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


# Loaded here, in the worker: enter() runs in a forked child, where nothing should be loaded.
_LIBC = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


@dataclass(frozen=True)
class Plan:
    """What the job's first process mounts: one tmpfs per folder under `root`, owned by `uid`. The work folder
    holds the files given to the job (`given`: bytes in whole pages, files and folders) plus room for `work_mb`
    and `files` more: a submission never fails to fit, and what the student writes is capped."""

    root: str
    uid: int
    work_mb: int
    tmpfs_mb: int
    files: int
    given: tuple[int, int] = (0, 0)

    @classmethod
    def for_job(cls, root: str, uid: int, limits: Limits, workdir: str) -> Plan:
        return cls(root, uid, limits.work_mb, limits.tmpfs_mb, limits.work_files, measure(workdir))

    def options(self) -> dict[str, bytes]:
        def opts(size: int, files: int, mode: str) -> bytes:
            return f"size={size},nr_inodes={files},mode={mode},uid={self.uid},gid={self.uid}".encode()

        given_bytes, given_files = self.given
        return {
            "work": opts(self.work_mb * _MB + given_bytes, self.files + given_files, "0700"),
            "tmp": opts(self.tmpfs_mb * _MB, self.files, "1777"),
            "shm": opts(self.tmpfs_mb * _MB, self.files, "1777"),
        }


def measure(top: str) -> tuple[int, int]:
    """(bytes in whole pages, files and folders) that copying `top` into a tmpfs takes, its root included."""
    totals = [0, 1]
    _walk(top, None, 0, totals)
    return totals[0], totals[1]


def enter(plan: Plan, workdir: str | None) -> None:
    """In the job's first process, as root: a private mount namespace with the capped tmpfs, `workdir` copied
    into the work one. Never propagates a mount to the worker (everything is made private first)."""
    libc = _LIBC
    _check(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "making the job's mounts private")
    for name, options in plan.options().items():
        target = os.path.join(plan.root, name).encode()
        _check(libc.mount(b"coursesite-" + name.encode(), target, b"tmpfs", _MS_NOSUID | _MS_NODEV, options), name)
    if workdir is not None:
        copy_tree(workdir, os.path.join(plan.root, "work"), plan.uid)


def copy_tree(src: str, dst: str, uid: int) -> None:
    """Copy directories, regular files and symlinks (as links, never followed) from `src` into `dst`, owned by
    `uid`; sockets, fifos and devices are left out. A file with other names elsewhere (a hard link) keeps its
    owner and mode, as the worker found it: its content may be a secret of whoever owns it."""
    _walk(src, dst, uid, [0, 0])


def _listing(fd: int) -> list[tuple[str, os.stat_result]]:
    with os.scandir(fd) as entries:
        return [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]


def _walk(src_path: str, dst_path: str | None, uid: int, totals: list[int]) -> None:
    """Depth-first through `src_path` without recursion and with two directory fds at any depth (a level is
    entered by name, left through ".."): a submission nested thousands deep costs neither the stack nor fds.
    With `dst_path`, copies into it; always adds bytes and entries to `totals`."""
    src = os.open(src_path, _DIR_FLAGS)
    dst = os.open(dst_path, _DIR_FLAGS) if dst_path is not None else -1
    levels = [_listing(src)]
    modes: list[int] = []  # of the directories entered, applied on the way out
    try:
        while levels:
            if not levels[-1]:
                levels.pop()
                if not modes:
                    break  # the top itself: done
                mode = modes.pop()
                if dst >= 0:
                    os.fchown(dst, uid, uid)
                    os.fchmod(dst, mode | 0o700)
                    dst = _move(dst, "..")
                src = _move(src, "..")
                continue
            name, st = levels[-1].pop()
            totals[1] += 1
            mode = stat.S_IMODE(st.st_mode) & 0o777  # no setuid, setgid or sticky bits
            if stat.S_ISDIR(st.st_mode):
                child = os.open(name, _DIR_FLAGS, dir_fd=src)
                if os.fstat(child).st_ino != st.st_ino:
                    os.close(child)
                    continue  # replaced since it was listed
                os.close(src)
                src = child
                if dst >= 0:
                    os.mkdir(name, 0o700, dir_fd=dst)
                    dst = _move(dst, name)
                levels.append(_listing(src))
                modes.append(mode)
            elif stat.S_ISREG(st.st_mode):
                totals[0] += -(-st.st_size // _PAGE) * _PAGE
                if dst >= 0:
                    _copy_file(src, dst, name, st, uid, mode)
            elif stat.S_ISLNK(st.st_mode) and dst >= 0:
                os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
                os.chown(name, uid, uid, dir_fd=dst, follow_symlinks=False)
    finally:
        os.close(src)
        if dst >= 0:
            os.close(dst)


def _move(fd: int, name: str) -> int:
    """The directory `name` relative to `fd` (never through a symlink), closing `fd`."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _copy_file(sfd: int, dfd: int, name: str, st: os.stat_result, uid: int, mode: int) -> None:
    src = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=sfd)
    try:
        now = os.fstat(src)
        if not stat.S_ISREG(now.st_mode) or now.st_ino != st.st_ino:
            return  # replaced since it was listed
        dst = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
        try:
            while os.sendfile(dst, src, None, 1 << 24) > 0:
                pass
            owner = uid if now.st_nlink == 1 else now.st_uid
            os.fchown(dst, owner, uid if now.st_nlink == 1 else now.st_gid)
            os.fchmod(dst, mode)
        finally:
            os.close(dst)
    finally:
        os.close(src)
