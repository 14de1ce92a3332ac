"""A job's writable folders (/work, /tmp, /dev/shm) as size- and file-count-capped tmpfs mounts of its own.

The job's first process, still root, enters a mount namespace of its own, mounts the three tmpfs there and copies
the work dir in, before it drops to the slot uid and execs bubblewrap, which binds them. Nothing is mounted in the
worker's namespace: the mounts end with the job's last process, whatever happens to the worker, and what the
student writes never reaches the host's disk. tmpfs pages are charged to the memory cgroup of the process that
writes them (the job's, which the first process joins before copying), so they also count against memory_mb.
"""

from __future__ import annotations

import ctypes
import functools
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
FOLDERS = ("work", "tmp", "shm")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WorkdirTooLarge(ValueError):
    """The files given to a job do not fit its working folder's caps."""


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


@dataclass(frozen=True)
class Plan:
    """What the job's first process mounts: one tmpfs per folder under `root`, owned by `uid`."""

    root: str
    uid: int
    work_mb: int
    tmpfs_mb: int
    files: int

    @classmethod
    def for_job(cls, root: str, uid: int, limits: Limits) -> Plan:
        return cls(root, uid, limits.work_mb, limits.tmpfs_mb, limits.work_files)

    def options(self) -> dict[str, bytes]:
        def opts(mb: int, mode: str) -> bytes:
            return f"size={mb}m,nr_inodes={self.files},mode={mode},uid={self.uid},gid={self.uid}".encode()

        return {
            "work": opts(self.work_mb, "0700"),
            "tmp": opts(self.tmpfs_mb, "1777"),
            "shm": opts(self.tmpfs_mb, "1777"),
        }


def measure(top: str) -> tuple[int, int]:
    """(bytes in whole pages, files and folders) that copying `top` into a tmpfs takes, its root included."""
    size, count = 0, 1
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                count += 1
                if stat.S_ISDIR(st.st_mode):
                    stack.append(entry.path)
                elif stat.S_ISREG(st.st_mode):
                    size += -(-st.st_size // _PAGE) * _PAGE
    return size, count


def check_fits(workdir: str, limits: Limits) -> None:
    size, count = measure(workdir)
    if size > limits.work_mb * 1024 * 1024 or count > limits.work_files:
        raise WorkdirTooLarge(
            f"the job's files take {size / 2**20:.1f} MB in {count} files and folders, more than its working "
            f"folder holds ({limits.work_mb} MB, {limits.work_files} files and folders)"
        )


def enter(plan: Plan, workdir: str | None) -> None:
    """In the job's first process, as root: a private mount namespace with the capped tmpfs, `workdir` copied
    into the work one. Never propagates a mount to the worker (everything is made private first)."""
    libc = _libc()
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
    sfd = os.open(src, _DIR_FLAGS)
    try:
        dfd = os.open(dst, _DIR_FLAGS)
        try:
            _copy_dir(sfd, dfd, uid)
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)


def _copy_dir(sfd: int, dfd: int, uid: int) -> None:
    with os.scandir(sfd) as entries:
        items = [(entry.name, entry.stat(follow_symlinks=False)) for entry in entries]
    for name, st in items:
        mode = stat.S_IMODE(st.st_mode) & 0o777  # no setuid, setgid or sticky bits
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(name, 0o700, dir_fd=dfd)
            child_s = os.open(name, _DIR_FLAGS, dir_fd=sfd)
            try:
                child_d = os.open(name, _DIR_FLAGS, dir_fd=dfd)
                try:
                    _copy_dir(child_s, child_d, uid)
                    os.fchown(child_d, uid, uid)
                    os.fchmod(child_d, mode | 0o700)
                finally:
                    os.close(child_d)
            finally:
                os.close(child_s)
        elif stat.S_ISREG(st.st_mode):
            _copy_file(sfd, dfd, name, st, uid, mode)
        elif stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(name, dir_fd=sfd), name, dir_fd=dfd)
            os.chown(name, uid, uid, dir_fd=dfd, follow_symlinks=False)


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
