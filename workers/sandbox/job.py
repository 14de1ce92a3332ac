"""Starts, watches, limits and classifies one sandboxed job (run/spawn and the Job handle)."""

from __future__ import annotations

import atexit
import ctypes
import errno
import fcntl
import functools
import json
import math
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

from . import bwrap as bw
from . import cgroups, host, mounts, seccomp
from .limits import Limits, Outcome, SandboxUnavailable

# Headroom of RLIMIT_AS over memory_mb: allocators and thread stacks reserve address
# space they never touch (torch alone maps ~1.5 GB); the cgroup is the real memory cap.
_AS_HEADROOM_MB = 4096
_CPU_POLL_S = 0.2
_KILL_GRACE_S = 5.0
_SECCOMP_FD = 5
_STATUS_FD = 6
_PR_SET_CHILD_SUBREAPER = 36


def slot_lock_path(uid: int) -> str:
    """The lock file a job holds while it runs as `uid` (keyed by uid, so workers of one container with
    different ranges never block each other, and overlapping ranges still never share a uid)."""
    return os.path.join(host.state_dir(), "slots", f"uid-{uid}.lock")


class _Slot:
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


def _chown_tree(top: str, uid: int) -> None:
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


def _mountpoints_to_clean(workdir: str, readonly: Sequence[tuple[str, str]]) -> list[str]:
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


def _remove_mountpoints(paths: list[str]) -> None:
    for path in sorted(set(paths), key=len, reverse=True):
        try:
            st = os.lstat(path)
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            elif st.st_size == 0 and not os.path.islink(path):
                os.unlink(path)
        except OSError:
            pass


def _rlimits(limits: Limits, gpu: int | None) -> list[tuple[int, int, int]]:
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
        cap = (limits.memory_mb + _AS_HEADROOM_MB) * 1024 * 1024
        out.append((resource.RLIMIT_AS, cap, cap))
    return out


def _make_preexec(
    procs_files: list[str],
    rlimits: list[tuple[int, int, int]],
    fd_map: dict[int, int],
    uid: int | None,
    folders: Callable[[], None] | None = None,
    error_fd: int = -1,
) -> Callable[[], None]:
    """The forked child's setup, still as root: join the cgroup, mount and fill the job's own folders (charged to
    its cgroup), place fds, set rlimits, then drop to the slot uid for good before exec'ing bwrap."""

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
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        os.umask(0o022)

    return preexec


_live_jobs: set[Job] = set()
_TEARDOWN_AT_EXIT_S = 10.0


def _track(job: Job) -> None:
    """A job's teardown (namespace, cgroup, slot) ends on its monitor thread after the Outcome is returned; a
    process that exits right after, like the judge or the command line, would cut it short and leave the cgroup
    behind. At exit, every job still tearing down is waited for (up to a few seconds in all)."""
    if not _live_jobs:
        atexit.unregister(_wait_for_teardowns)
        atexit.register(_wait_for_teardowns)
    _live_jobs.add(job)


def _wait_for_teardowns() -> None:
    deadline = time.monotonic() + _TEARDOWN_AT_EXIT_S
    for job in list(_live_jobs):
        job.close(timeout=max(deadline - time.monotonic(), 0))


@functools.cache
def _become_subreaper() -> bool:
    """bwrap's outer process exits as soon as its pid-1 reaper reports the exit code, so
    that reaper is orphaned for a moment. As a child subreaper the worker inherits it and
    can wait for it, so a job is over only when its pid namespace is gone (and no zombie
    waits on a container init that never reaps)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except OSError:
        return False


def _reap_orphan(pid: int, timeout: float) -> None:
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


def _require_isolation() -> dict[str, Any]:
    info = host.isolation()
    if info["ok"]:
        return info
    if host.insecure_allowed():
        msg = f"{host.INSECURE_ENV}=1: running student code WITHOUT a sandbox (missing: {'; '.join(info['missing'])})"
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
        print(f"WARNING: {msg}", file=sys.stderr)
        return info
    raise SandboxUnavailable("minimum sandbox isolation missing: " + "; ".join(info["missing"]))


class Job:
    """A running sandboxed program. Enforces its limits from a monitor thread, so the wall
    limit holds even if nobody calls wait()."""

    channel_in: IO[bytes] | None
    channel_out: IO[bytes] | None
    channel_socket: socket.socket | None

    def __init__(
        self,
        argv: Sequence[str],
        *,
        workdir: str,
        readonly: Sequence[bw.ReadOnly],
        limits: Limits,
        env: dict[str, str] | None,
        stdin: bytes | str | None,
        gpu: int | None,
        channel: bool,
    ) -> None:
        info = _require_isolation()
        _become_subreaper()
        _track(self)
        self.limits = limits
        self.channel_in = self.channel_out = None
        self.channel_socket = None
        self._kill_reason: str | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._closed = threading.Event()
        self._outcome: Outcome | None = None
        self._out = {"stdout": bytearray(), "stderr": bytearray()}
        self._truncated = {"stdout": False, "stderr": False}
        self._cap = limits.output_kb * 1024
        self._cg: cgroups.JobCgroup | None = None
        self._slot: _Slot | None = None
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        to_close: list[int] = []
        try:
            self._start(argv, workdir, readonly, env, stdin, gpu, channel, info, to_close)
        except BaseException:
            self._cleanup_after_failed_start()
            raise
        finally:
            for fd in to_close:
                os.close(fd)

    # -- start -------------------------------------------------------------------------

    def _start(
        self,
        argv: Sequence[str],
        workdir: str,
        readonly: Sequence[bw.ReadOnly],
        env: dict[str, str] | None,
        stdin: bytes | str | None,
        gpu: int | None,
        channel: bool,
        info: dict[str, Any],
        to_close: list[int],
    ) -> None:
        limits = self.limits
        workdir = os.path.abspath(workdir)
        if not os.path.isdir(workdir):
            raise ValueError(f"workdir {workdir!r} is not a directory")
        ro = bw.normalise_readonly(readonly)
        insecure = not info["ok"]
        # As root, /work, /tmp and /dev/shm are the job's own capped tmpfs, the work dir copied in (mounts.py);
        # the work dir itself is never written. Else (a worker that is not root, or no sandbox) it is bound as is.
        private = os.geteuid() == 0 and not insecure and bool(info.get("work_tmpfs"))
        self._mountpoints = [] if private else _mountpoints_to_clean(workdir, ro)
        self._slot = _Slot(limits.wall_s)
        uid = self._slot.uid if os.geteuid() == 0 else None
        if uid is not None and not private:
            _chown_tree(workdir, uid)
        lay, _ = cgroups.layout()
        if lay is not None:
            self._cg = cgroups.JobCgroup(lay, self._slot.index, limits)

        fd_map: dict[int, int] = {}
        if channel:
            req_r, req_w = os.pipe2(os.O_CLOEXEC)
            rep_r, rep_w = os.pipe2(os.O_CLOEXEC)
            to_close += [req_r, rep_w]
            fd_map[bw.CHANNEL_FDS[0]], fd_map[bw.CHANNEL_FDS[1]] = req_r, rep_w
            self.channel_in = os.fdopen(req_w, "wb")
            self.channel_out = os.fdopen(rep_r, "rb")
            # A Unix socket beside the pipes, for passing file descriptors (the judge's large arrays as memfds).
            self.channel_socket, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            to_close.append(inside.detach())
            fd_map[bw.CHANNEL_SOCKET_FD] = to_close[-1]
        use_seccomp = not insecure and seccomp.supported()
        status_r = -1
        if insecure:
            cmd = list(argv)
        else:
            if use_seccomp:
                mfd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
                os.write(mfd, seccomp.build_filter())
                os.lseek(mfd, 0, os.SEEK_SET)
                to_close.append(mfd)
                fd_map[_SECCOMP_FD] = mfd
            status_r, status_w = os.pipe2(os.O_CLOEXEC)
            to_close.append(status_w)
            fd_map[_STATUS_FD] = status_w
            cmd = bw.build_argv(
                argv,
                bwrap=info["bwrap"],
                workdir=workdir,
                readonly=ro,
                limits=limits,
                etc_dir=host.etc_dir(),
                gpu=gpu,
                seccomp_fd=_SECCOMP_FD if use_seccomp else None,
                status_fd=_STATUS_FD,
                private_dir=host.private_root() if private else None,
            )
        self._status_r = status_r
        job_env = bw.base_env(env, channel=channel, gpu=gpu)
        folders = None
        error_r = error_w = -1
        if private:
            assert uid is not None
            plan = mounts.Plan.for_job(host.private_root(), uid, limits, workdir)
            error_r, error_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            to_close += [error_r, error_w]

            def folders() -> None:
                mounts.enter(plan, workdir)

        preexec = _make_preexec(
            self._cg.procs_files if self._cg else [], _rlimits(limits, gpu), fd_map, uid, folders, error_w
        )
        self.isolation = {
            "sandbox": "none (insecure)" if insecure else "bubblewrap",
            "namespaces": [] if insecure else ["user", "pid", "net", "ipc", "uts", "mount", "cgroup"],
            "uid": uid if uid is not None else os.getuid(),
            "slot": self._slot.index,
            "seccomp": use_seccomp,
            "cgroup": self._cg.version if self._cg else None,
            "rlimits": ["cpu", "nproc", "nofile", "fsize", "core"] + (["as"] if gpu is None else []),
            "gpu": gpu,
            "insecure": insecure,
            # Room for what the job writes, on top of the files it was given.
            "work": {"tmpfs_mb": limits.work_mb, "files": limits.work_files} if private else "work dir (per-file cap)",
        }
        stdin_arg: int | None = subprocess.DEVNULL if stdin is None else subprocess.PIPE
        self._t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=stdin_arg,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=job_env,
                cwd=workdir if insecure else "/",
                preexec_fn=preexec,
                close_fds=False,  # see _make_preexec
            )
        except subprocess.SubprocessError as exc:
            try:
                reason = os.read(error_r, 4096).decode(errors="replace") if error_r >= 0 else ""
            except BlockingIOError:
                reason = ""
            raise SandboxUnavailable(f"could not prepare the job's folders: {reason or exc}") from exc
        self._pidfd = os.pidfd_open(self._proc.pid)
        self._threads = [
            threading.Thread(target=self._drain, args=(name,), daemon=True) for name in ("stdout", "stderr")
        ]
        if stdin is not None:
            data = stdin.encode() if isinstance(stdin, str) else stdin
            self._threads.append(threading.Thread(target=self._feed, args=(data,), daemon=True))
        for t in self._threads:
            t.start()
        self._monitor = threading.Thread(target=self._watch, daemon=True)
        self._monitor.start()

    def _cleanup_after_failed_start(self) -> None:
        _live_jobs.discard(self)
        if self._cg is not None:
            self._cg.remove()
        if self._slot is not None:
            self._slot.release()
        for f in (self.channel_in, self.channel_out, self.channel_socket):
            if f is not None:
                f.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # -- streams -----------------------------------------------------------------------

    def _drain(self, name: str) -> None:
        # Keep at most output_kb; past it the job is killed (a flood is a bug or an
        # attack, and draining it would burn the slot's CPU), and the rest discarded.
        stream = getattr(self._proc, name)
        fd = stream.fileno()
        buf = self._out[name]
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            room = self._cap - len(buf)
            if len(chunk) > room:
                buf += chunk[: max(room, 0)]
                if not self._truncated[name]:
                    self._truncated[name] = True
                    self._request_kill("output_limit")
            else:
                buf += chunk
        stream.close()

    def _feed(self, data: bytes) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(data)
            stdin.close()
        except OSError:
            pass  # the program stopped reading; its problem

    # -- monitoring --------------------------------------------------------------------

    def _request_kill(self, reason: str) -> None:
        with self._lock:
            if self._kill_reason is None:
                self._kill_reason = reason
        try:
            os.write(self._wake_w, b"k")
        except OSError:
            pass

    def _kill_tree(self) -> None:
        # The outer bwrap dying takes its pid-1 reaper (die-with-parent), and the pid
        # namespace's end kills every process in it; the cgroup catches any straggler.
        try:
            os.kill(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self._cg is not None:
            self._cg.kill()

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self._pidfd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        deadline = self._t0 + self.limits.wall_s
        killed_at: float | None = None
        while True:
            now = time.monotonic()
            if self._kill_reason is None and now >= deadline:
                self._request_kill("timeout")
            if self._kill_reason is not None and (killed_at is None or now - killed_at > 0.5):
                killed_at = now
                self._kill_tree()
            timeout = max(deadline - now, 0.0)
            if self._cg is not None:
                timeout = min(timeout, _CPU_POLL_S)
            if killed_at is not None:
                timeout = min(timeout, 0.5)
            ready = dict(poller.poll(timeout * 1000))
            if self._wake_r in ready:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
            if self._pidfd in ready:
                break
            if self._cg is not None and self._kill_reason is None:
                used = self._cg.cpu_s()
                # RLIMIT_CPU is per process; this bounds the sum over all of them.
                if used is not None and used > self.limits.cpu_s:
                    self._request_kill("cpu_limit")
        _, status, usage = os.wait4(self._proc.pid, 0)
        wall = time.monotonic() - self._t0
        self._proc.returncode = -1  # reaped by us; keeps Popen from waiting on a reused pid
        self._finish(status, usage, wall)

    def _finish(self, status: int, usage: resource.struct_rusage, wall: float) -> None:
        cg = self._cg
        inner_pid: int | None = None
        try:
            started, bwrap_code, inner_pid = self._read_status()
            # Output is complete once every writer is gone: the program and any daemon it
            # left, which the kernel kills as the namespace's pid 1 exits.
            for t in self._threads:
                t.join(timeout=_KILL_GRACE_S)
                if t.is_alive():
                    self._kill_tree()
                    t.join(timeout=_KILL_GRACE_S)
            cg_cpu = cg.cpu_s() if cg else None
            cg_peak = cg.memory_peak_kb() if cg else None
            oom = cg.oom_kills() if cg else 0
            cpu = usage.ru_utime + usage.ru_stime
            if cg_cpu is not None:
                cpu = max(cpu, cg_cpu)
            rss = usage.ru_maxrss or (cg_peak or 0)
            self._outcome = self._classify(status, cpu, wall, rss, oom, started, bwrap_code)
        except BaseException as exc:  # the caller must always get an Outcome
            self._outcome = self._make("error", None, None, 0.0, wall, 0, extra=f"sandbox error: {exc!r}")
        finally:
            _remove_mountpoints(self._mountpoints)
            self._done.set()
            # The caller has its Outcome; the namespace's teardown (its pid 1 exits after
            # bwrap, taking ~10-20 ms of kernel work) ends here, off the critical path.
            # The slot, hence the uid, is reused only once every member is gone.
            try:
                if inner_pid is not None:
                    _reap_orphan(inner_pid, _KILL_GRACE_S)
                if cg is not None:
                    cg.remove()
            finally:
                if self._slot is not None:
                    self._slot.release()
                os.close(self._pidfd)
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._closed.set()
                _live_jobs.discard(self)

    def close(self, timeout: float | None = None) -> bool:
        """Wait until the job's processes, cgroup and slot are all released."""
        return self._closed.wait(timeout)

    def _read_status(self) -> tuple[bool, int | None, int | None]:
        """bwrap's JSON status: whether the program started, bwrap's exit code, and the
        host pid of the namespace's pid-1 reaper."""
        if self._status_r < 0:
            return True, None, None
        chunks = []
        os.set_blocking(self._status_r, False)
        try:
            while chunk := os.read(self._status_r, 65536):
                chunks.append(chunk)
        except BlockingIOError:
            pass
        finally:
            os.close(self._status_r)
        started, code, inner = False, None, None
        for line in b"".join(chunks).decode(errors="replace").splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if "child-pid" in doc:
                started, inner = True, int(doc["child-pid"])
            code = doc.get("exit-code", code)
        return started, code, inner

    def _make(
        self, status: str, code: int | None, sig: int | None, cpu: float, wall: float, rss: int, extra: str = ""
    ) -> Outcome:
        stderr = self._out["stderr"].decode(errors="replace")
        if extra:
            stderr = f"{stderr}\n{extra}" if stderr else extra
        return Outcome(
            status=status,
            exit_code=code,
            signal=sig,
            cpu_s=round(cpu, 3),
            wall_s=round(wall, 3),
            max_rss_kb=int(rss),
            stdout=self._out["stdout"].decode(errors="replace"),
            stderr=stderr,
            stdout_truncated=self._truncated["stdout"],
            stderr_truncated=self._truncated["stderr"],
            isolation=self.isolation,
        )

    def _classify(
        self, status: int, cpu: float, wall: float, rss: int, oom: int, started: bool, bwrap_code: int | None
    ) -> Outcome:
        code: int | None = None
        sig: int | None = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        else:
            raw = os.WEXITSTATUS(status)
            # bwrap reports a program killed by signal N as exit 128+N, like a shell.
            if raw > 128 and raw - 128 < signal.NSIG and not self.isolation["insecure"]:
                sig = raw - 128
            else:
                code = raw
        reason = self._kill_reason
        tail = bytes(self._out["stderr"][-4096:]).decode(errors="replace")
        if reason == "timeout" and oom:
            # An OOM-killed worker often leaves its parent waiting forever (a Pool
            # hangs): the memory limit, not the clock, is what the student must fix.
            result = "memory"
        elif reason in ("timeout", "cpu_limit", "output_limit"):
            result = reason
        elif not started and reason is None and not oom:
            return self._make("error", code, sig, cpu, wall, rss, extra="sandbox failed to start")
        elif oom and (sig is not None or code):
            result = "memory"
        elif sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= self.limits.cpu_s - 0.05):
            result = "cpu_limit"
        elif sig is not None:
            result = "signal"
        elif code:
            memory_error = "MemoryError" in tail.strip().splitlines()[-1:][0] if tail.strip() else False
            result = "memory" if memory_error else "exit_nonzero"
        else:
            result = "ok"
        return self._make(result, code, sig, cpu, wall, rss)

    # -- public --------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Outcome:
        """Wait for the job to end (never past its wall limit), kill what remains of its
        tree, and return the Outcome. A caller's shorter timeout also ends the job."""
        remaining = self._t0 + self.limits.wall_s - time.monotonic() + _KILL_GRACE_S
        limit = remaining if timeout is None else min(timeout, remaining)
        if not self._done.wait(max(limit, 0)):
            self._request_kill("timeout")
            if not self._done.wait(_KILL_GRACE_S * 2):
                raise RuntimeError("sandbox job did not end after SIGKILL")
        assert self._outcome is not None
        return self._outcome

    def request_kill(self) -> None:
        """Have the whole job tree killed now, without waiting; `wait` or `kill` returns the Outcome."""
        if not self._done.is_set():
            self._request_kill("killed")

    def kill(self) -> Outcome:
        """Kill the whole job tree now; the Outcome is classified as it ended."""
        self.request_kill()
        return self.wait(_KILL_GRACE_S)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def __enter__(self) -> Job:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
        for f in (self.channel_in, self.channel_out, self.channel_socket):
            if f is not None:
                try:
                    f.close()
                except OSError as e:
                    if e.errno != errno.EPIPE:
                        raise


def spawn(
    argv: Sequence[str],
    *,
    workdir: str,
    readonly: Sequence[bw.ReadOnly] = (),
    limits: Limits = Limits(),
    env: dict[str, str] | None = None,
    gpu: int | None = None,
) -> Job:
    """Start `argv` in a sandbox with a request/reply channel on its fds 3 (in) and 4 (out), and a Unix socket
    on fd 7 for passing file descriptors (`Job.channel_socket` is the other end).
    Call spawn from a thread that outlives the job: bwrap's die-with-parent follows the
    thread that forked it."""
    return Job(argv, workdir=workdir, readonly=readonly, limits=limits, env=env, stdin=None, gpu=gpu, channel=True)


def run(
    argv: Sequence[str],
    *,
    workdir: str,
    readonly: Sequence[bw.ReadOnly] = (),
    limits: Limits = Limits(),
    env: dict[str, str] | None = None,
    stdin: bytes | str | None = None,
    gpu: int | None = None,
) -> Outcome:
    """Run `argv` in a sandbox to completion and return its Outcome."""
    job = Job(argv, workdir=workdir, readonly=readonly, limits=limits, env=env, stdin=stdin, gpu=gpu, channel=False)
    return job.wait()
