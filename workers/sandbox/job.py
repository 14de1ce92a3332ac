"""Starts, watches, limits and classifies one sandboxed job (run/spawn and the Job handle).

A start is one JobSpec (what the caller asks for) and one Placement (how this host runs it, decided before
anything is made); what the job holds on the host is given back by its Teardown (teardown.py)."""

from __future__ import annotations

import errno
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
from dataclasses import dataclass, field
from typing import IO, Any

from . import bwrap as bw
from . import cgroups, host, mounts, seccomp
from .child import chown_tree, make_preexec, rlimits
from .limits import Limits, Outcome, SandboxUnavailable
from .slots import Slot
from .teardown import Teardown, become_subreaper, mountpoints_to_clean
from .verdict import Ending, classify, parse_status

__all__ = ["Job", "JobSpec", "Placement", "run", "spawn"]

_CPU_POLL_S = 0.2
_KILL_GRACE_S = 5.0
_SECCOMP_FD = 5
_STATUS_FD = 6


@dataclass(frozen=True)
class JobSpec:
    """What the caller asks for: the program, the folders it sees, its limits and environment, and how it talks
    (stdin given at once, or with `channel` the request/reply pipes and the fd-passing socket)."""

    argv: tuple[str, ...]
    workdir: str
    readonly: tuple[bw.ReadOnly, ...] = ()
    limits: Limits = field(default_factory=Limits)
    env: dict[str, str] | None = None
    stdin: bytes | None = None
    gpu: int | None = None
    channel: bool = False


@dataclass(frozen=True)
class Placement:
    """How this host runs a job, decided before anything is made: its work dir and binds checked, with or
    without the sandbox, on its own tmpfs folders or on the work dir itself, with or without seccomp."""

    workdir: str  # absolute
    readonly: tuple[tuple[str, str], ...]  # normalised (source, destination inside)
    insecure: bool  # no sandbox at all (allowed by host.INSECURE_ENV only)
    # As root, /work, /tmp and /dev/shm are the job's own capped tmpfs, the work dir copied in (mounts.py);
    # the work dir itself is never written. Else (a worker that is not root, or no sandbox) it is bound as is.
    private: bool
    seccomp: bool
    bwrap: str | None

    @classmethod
    def decide(cls, spec: JobSpec, info: dict[str, Any]) -> Placement:
        workdir = os.path.abspath(spec.workdir)
        if not os.path.isdir(workdir):
            raise ValueError(f"workdir {workdir!r} is not a directory")
        readonly = tuple(bw.normalise_readonly(spec.readonly))
        insecure = not info["ok"]
        return cls(
            workdir=workdir,
            readonly=readonly,
            insecure=insecure,
            private=os.geteuid() == 0 and not insecure and bool(info.get("work_tmpfs")),
            seccomp=not insecure and seccomp.supported(),
            bwrap=info["bwrap"],
        )


class _ChildFds:
    """The fds the child gets, by their number inside (fd_map), and the parent's copies of them, closed in the
    parent once the child has them (or the start failed)."""

    def __init__(self) -> None:
        self.fd_map: dict[int, int] = {}
        self.parent_closes: list[int] = []

    def give(self, target: int | None, fd: int) -> int:
        if target is not None:
            self.fd_map[target] = fd
        self.parent_closes.append(fd)
        return fd

    def close(self) -> None:
        for fd in self.parent_closes:
            os.close(fd)


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

    def __init__(self, spec: JobSpec) -> None:
        info = _require_isolation()
        become_subreaper()
        self.spec = spec
        self.limits = spec.limits
        self.channel_in = self.channel_out = None
        self.channel_socket = None
        self._kill_reason: str | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._outcome: Outcome | None = None
        self._out = {"stdout": bytearray(), "stderr": bytearray()}
        self._truncated = {"stdout": False, "stderr": False}
        self._cap = spec.limits.output_kb * 1024
        self._teardown = Teardown()
        self._cg: cgroups.JobCgroup | None = None
        self._status_r = -1
        self._wake_r, self._wake_w = (self._teardown.own(fd) for fd in os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK))
        child = _ChildFds()
        try:
            self._start(spec, Placement.decide(spec, info), child)
        except BaseException:
            self._teardown.abandon()
            raise
        finally:
            child.close()

    # -- start -------------------------------------------------------------------------

    def _start(self, spec: JobSpec, place: Placement, child: _ChildFds) -> None:
        uid = self._claim_slot(place)
        if spec.channel:
            self._open_channel(child)
        cmd = self._command(spec, place, child)
        error_r, preexec = self._child_setup(place, uid, child)
        self.isolation = self._describe(place, uid)
        self._launch(cmd, spec, place, preexec, error_r)
        self._start_threads(spec.stdin)

    def _claim_slot(self, place: Placement) -> int | None:
        """The job's slot (its uid, when the worker is root), its work dir given to that uid, its cgroup, and
        the mount points bwrap will make in the host's work dir. Returns the uid to drop to (None: stay)."""
        teardown = self._teardown
        teardown.mountpoints = [] if place.private else mountpoints_to_clean(place.workdir, place.readonly)
        self._slot = teardown.slot = Slot(self.limits.wall_s)
        uid = self._slot.uid if os.geteuid() == 0 else None
        if uid is not None and not place.private:
            chown_tree(place.workdir, uid)
        lay, _ = cgroups.layout()
        if lay is not None:
            self._cg = teardown.cgroup = cgroups.JobCgroup(lay, self._slot.index, self.limits)
        return uid

    def _open_channel(self, child: _ChildFds) -> None:
        """The request and reply pipes (the child's fds 3 and 4), and a Unix socket beside them (fd 7), for
        passing file descriptors (the judge's large arrays as memfds)."""
        req_r, req_w = os.pipe2(os.O_CLOEXEC)
        rep_r, rep_w = os.pipe2(os.O_CLOEXEC)
        child.give(bw.CHANNEL_FDS[0], req_r)
        child.give(bw.CHANNEL_FDS[1], rep_w)
        self.channel_in = os.fdopen(req_w, "wb")
        self.channel_out = os.fdopen(rep_r, "rb")
        self.channel_socket, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._teardown.channel = [self.channel_in, self.channel_out, self.channel_socket]
        child.give(bw.CHANNEL_SOCKET_FD, inside.detach())

    def _command(self, spec: JobSpec, place: Placement, child: _ChildFds) -> list[str]:
        """bwrap's command line around the program, with its seccomp filter and status pipe as the child's fds
        (the program alone when insecure)."""
        if place.insecure:
            return list(spec.argv)
        if place.seccomp:
            mfd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
            child.give(_SECCOMP_FD, mfd)
            os.write(mfd, seccomp.build_filter())
            os.lseek(mfd, 0, os.SEEK_SET)
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        self._status_r = self._teardown.own(status_r)
        child.give(_STATUS_FD, status_w)
        assert place.bwrap is not None  # host.isolation() finds bwrap or is not ok (insecure)
        return bw.build_argv(
            spec.argv,
            bwrap=place.bwrap,
            workdir=place.workdir,
            readonly=place.readonly,
            limits=self.limits,
            etc_dir=host.etc_dir(),
            gpu=spec.gpu,
            seccomp_fd=_SECCOMP_FD if place.seccomp else None,
            status_fd=_STATUS_FD,
            private_dir=host.private_root() if place.private else None,
        )

    def _child_setup(self, place: Placement, uid: int | None, child: _ChildFds) -> tuple[int, Callable[[], None]]:
        """The forked child's setup (child.py), and the pipe on which it reports why its folders failed (-1
        when it makes none)."""
        folders = None
        error_r = error_w = -1
        if place.private:
            assert uid is not None  # private folders only as root, which always drops to a slot uid
            plan = mounts.Plan.for_job(host.private_root(), uid, self.limits, place.workdir)
            error_r, error_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            child.give(None, error_r)
            child.give(None, error_w)

            def folders() -> None:
                mounts.enter(plan, place.workdir)

        procs_files = self._cg.procs_files if self._cg else []
        gpu = self.spec.gpu
        return error_r, make_preexec(
            procs_files, rlimits(self.limits, gpu), child.fd_map, uid, folders, error_w, nice=self.limits.nice
        )

    def _describe(self, place: Placement, uid: int | None) -> dict[str, Any]:
        """The job's isolation as its Outcome reports it."""
        insecure, limits, gpu = place.insecure, self.limits, self.spec.gpu
        # Room for what the job writes, on top of the files it was given.
        work = {"tmpfs_mb": limits.work_mb, "files": limits.work_files} if place.private else "work dir (per-file cap)"
        return {
            "sandbox": "none (insecure)" if insecure else "bubblewrap",
            "namespaces": [] if insecure else ["user", "pid", "net", "ipc", "uts", "mount", "cgroup"],
            "uid": uid if uid is not None else os.getuid(),
            "slot": self._slot.index,
            "seccomp": place.seccomp,
            "cgroup": self._cg.version if self._cg else None,
            "rlimits": ["cpu", "nproc", "nofile", "fsize", "core"] + (["as"] if gpu is None else []),
            "gpu": gpu,
            "insecure": insecure,
            "work": work,
            "nice": limits.nice,
            # The jobs' cgroup weight below the rest of the host's (see cgroups.py): what makes the nice hold.
            "cpu_weighted": bool(self._cg and self._cg.weighted),
        }

    def _launch(
        self, cmd: list[str], spec: JobSpec, place: Placement, preexec: Callable[[], None], error_r: int
    ) -> None:
        self._t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL if spec.stdin is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=bw.base_env(spec.env, channel=spec.channel, gpu=spec.gpu),
                cwd=place.workdir if place.insecure else "/",
                preexec_fn=preexec,
                close_fds=False,  # see child.make_preexec
            )
        except subprocess.SubprocessError as exc:
            try:
                reason = os.read(error_r, 4096).decode(errors="replace") if error_r >= 0 else ""
            except BlockingIOError:
                reason = ""
            raise SandboxUnavailable(f"could not prepare the job's folders: {reason or exc}") from exc
        self._pidfd = self._teardown.own(os.pidfd_open(self._proc.pid))

    def _start_threads(self, stdin: bytes | None) -> None:
        self._threads = [
            threading.Thread(target=self._drain, args=(name,), daemon=True) for name in ("stdout", "stderr")
        ]
        if stdin is not None:
            self._threads.append(threading.Thread(target=self._feed, args=(stdin,), daemon=True))
        for t in self._threads:
            t.start()
        self._monitor = threading.Thread(target=self._watch, daemon=True)
        self._monitor.start()

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
            started, _, inner_pid = self._read_status()
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
            tail = bytes(self._out["stderr"][-4096:]).decode(errors="replace")
            insecure = self.isolation["insecure"]
            ending = Ending(status, cpu, oom, started, self._kill_reason, tail, exit_is_signal=not insecure)
            verdict = classify(ending, self.limits)
            self._outcome = self._make(
                verdict.status, verdict.exit_code, verdict.signal, cpu, wall, rss, extra=verdict.note
            )
        except BaseException as exc:  # the caller must always get an Outcome
            self._outcome = self._make("error", None, None, 0.0, wall, 0, extra=f"sandbox error: {exc!r}")
        finally:
            self._teardown.remove_mountpoints()
            self._done.set()
            # The caller has its Outcome; the namespace's teardown (its pid 1 exits after
            # bwrap, taking ~10-20 ms of kernel work) ends here, off the critical path.
            self._teardown.release(inner_pid, _KILL_GRACE_S)

    def close(self, timeout: float | None = None) -> bool:
        """Wait until the job's processes, cgroup and slot are all released."""
        return self._teardown.closed.wait(timeout)

    def _read_status(self) -> tuple[bool, int | None, int | None]:
        """bwrap's status report (see verdict.parse_status); the program alone (insecure) has none."""
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
            self._teardown.close_fd(self._status_r)
        return parse_status(b"".join(chunks).decode(errors="replace"))

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
    spec = JobSpec(tuple(argv), workdir, tuple(readonly), limits, env, gpu=gpu, channel=True)
    return Job(spec)


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
    data = stdin.encode() if isinstance(stdin, str) else stdin
    job = Job(JobSpec(tuple(argv), workdir, tuple(readonly), limits, env, stdin=data, gpu=gpu))
    return job.wait()
