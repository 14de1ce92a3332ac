"""The judge's privilege separation: a small launcher keeps the worker's rights, the judge runs as its own uid.

`python -m workers.judge` starts here. The process that the worker starts (root in a worker container) loads the
suite, forks the judge, and then only serves the judge's requests to start the student's sandboxed process:

- the judge (the fork) drops to `COURSESITE_JUDGE_UID` (no groups, no capabilities, no new privileges) and runs
  under a memory limit of its own (RLIMIT_AS); a judge that runs out of memory exits with JUDGE_OUT_OF_MEMORY;
- the launcher (the parent) starts the sandbox for it: the judge sends the student's command line over a Unix
  socket and gets back the channel's file descriptors (SCM_RIGHTS) and a socket of that job, over which it asks
  to wait for, or kill, the job. The launcher takes the limits from the suite it loaded itself and the read-only
  binds from the fixed list (runtime, runner, public data); only the module's path inside /work comes from the
  judge, checked for its shape.

Where the worker is not root, the judge keeps the worker's uid; the memory limit and the launcher stay.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Protocol

from workers.judge import fontcache
from workers.sandbox import Limits, Outcome, SandboxUnavailable
from workers.sandbox import spawn as sandbox_spawn

if TYPE_CHECKING:
    from workers.judge.suite import Suite

JUDGE_UID_ENV = "COURSESITE_JUDGE_UID"
JUDGE_MEMORY_ENV = "COURSESITE_JUDGE_MEMORY_MB"
DEFAULT_JUDGE_UID = 60999
DEFAULT_JUDGE_MEMORY_MB = 4096
# The judge's exit status when it ran out of memory (a MemoryError anywhere in it).
JUDGE_OUT_OF_MEMORY = 86
OUT_OF_MEMORY_REASON = "the judge ran out of memory while handling what your code returned"
MAX_REQUEST_BYTES = 64 * 1024
MAX_LIVE_JOBS = 4
_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36


class LauncherGone(RuntimeError):
    """The launcher's socket closed (the launcher died): no more student processes can start."""


# -- settings -------------------------------------------------------------------------------


def judge_ids() -> tuple[int, int] | None:
    """(uid, gid) the judge runs as where the worker is root; None where it keeps the worker's uid."""
    if os.geteuid() != 0:
        return None
    value = os.environ.get(JUDGE_UID_ENV, "").strip()
    uid = int(value) if value else DEFAULT_JUDGE_UID
    if uid <= 0:
        raise ValueError(f"{JUDGE_UID_ENV}={value}: the judge never runs as root")
    base, count = _slot_uids()
    if base <= uid < base + count:
        raise ValueError(f"{JUDGE_UID_ENV}={uid} lies in the sandbox's slot uids ({base}..{base + count - 1})")
    return uid, uid


def _slot_uids() -> tuple[int, int]:
    from workers.sandbox import host

    base = host.slot_uid_base() if hasattr(host, "slot_uid_base") else host.SLOT_UID_BASE
    return int(base), int(host.SLOT_COUNT)


def judge_memory_mb(suite_memory_mb: int) -> int:
    """The judge's own memory limit: the setting, else 4 GB or twice the student's limit, whichever is larger."""
    value = os.environ.get(JUDGE_MEMORY_ENV, "").strip()
    if value:
        return int(value)
    return max(DEFAULT_JUDGE_MEMORY_MB, 2 * int(suite_memory_mb))


# -- framing: a 4-byte length, JSON, and file descriptors on the header ---------------------


def _send(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    body = json.dumps(message).encode()
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([_HEADER.pack(len(body))], ancillary)
    sock.sendall(body)


def _recv(sock: socket.socket, limit: int | None = None) -> tuple[dict[str, Any], list[int]] | None:
    """One message and the descriptors that came with it; None at the end of the stream."""
    fds = array.array("i")
    header, ancillary, _flags, _addr = sock.recvmsg(_HEADER.size, socket.CMSG_LEN(8 * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    received = list(fds)
    if not header:
        _close_all(received)
        return None
    while len(header) < _HEADER.size:
        more = sock.recv(_HEADER.size - len(header))
        if not more:
            _close_all(received)
            return None
        header += more
    (length,) = _HEADER.unpack(header)
    if limit is not None and length > limit:
        _close_all(received)
        raise ValueError(f"a request of {length} bytes (at most {limit})")
    body = bytearray()
    while len(body) < length:
        chunk = sock.recv(min(length - len(body), 1 << 20))
        if not chunk:
            _close_all(received)
            return None
        body += chunk
    message = json.loads(body)
    if not isinstance(message, dict):
        _close_all(received)
        raise ValueError("a request that is not an object")
    return message, received


def _close_all(fds: Sequence[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


# -- the judge's side -------------------------------------------------------------------------

_client: LauncherClient | None = None


class StudentJob(Protocol):
    """The judge's handle on the student's process, whoever started it: the sandbox's Job (a judge without the
    launcher) or a RemoteJob (the launcher's). Both have the channel; a RemoteJob's ends are never None."""

    @property
    def channel_in(self) -> IO[bytes] | None: ...

    @property
    def channel_out(self) -> IO[bytes] | None: ...

    @property
    def channel_socket(self) -> socket.socket | None: ...

    def wait(self, timeout: float | None = None) -> Outcome: ...

    def kill(self) -> Outcome: ...

    def request_kill(self) -> None: ...

    def close(self, timeout: float | None = None) -> bool: ...


def spawn(
    argv: Sequence[str],
    *,
    workdir: str,
    readonly: Sequence[tuple[str, str]],
    limits: Limits,
    env: dict[str, str] | None,
    gpu: int | None,
) -> StudentJob:
    """Start the student's process: through the launcher when the judge runs under one (the launcher decides
    everything but the module), else with the sandbox right here (a judge started without the launcher)."""
    if _client is None:
        return sandbox_spawn(argv, workdir=workdir, readonly=readonly, limits=limits, env=env, gpu=gpu)
    return _client.spawn(argv)


class LauncherClient:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def spawn(self, argv: Sequence[str]) -> RemoteJob:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self.lock:
                _send(self.sock, {"op": "spawn", "argv": list(argv)}, [theirs.fileno()])
        except OSError as error:
            mine.close()
            raise SandboxUnavailable(f"the judge's launcher is gone: {error}") from error
        finally:
            theirs.close()
        reply = _recv(mine)
        if reply is None:
            mine.close()
            raise SandboxUnavailable("the judge's launcher ended without starting the student's process")
        message, fds = reply
        if not message.get("ok"):
            mine.close()
            _close_all(fds)
            raise SandboxUnavailable(str(message.get("error", "the launcher refused")))
        return RemoteJob(mine, fds, message)


class RemoteJob:
    """The judge's handle on a job the launcher started: the channel's ends, wait, kill (as the sandbox's Job)."""

    def __init__(self, sock: socket.socket, fds: list[int], info: dict[str, Any]) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._outcome: Outcome | None = None
        self.channel_in = os.fdopen(fds[0], "wb")
        self.channel_out = os.fdopen(fds[1], "rb")
        self.channel_socket = socket.socket(fileno=fds[2])
        self.pid = int(info.get("pid", 0))
        self.isolation = dict(info.get("isolation") or {})
        self.limits = Limits(**info.get("limits", {}))

    def _ask(self, message: dict[str, Any]) -> Outcome:
        with self._lock:
            if self._outcome is not None:
                return self._outcome
            try:
                _send(self._sock, message)
                reply = _recv(self._sock)
            except (OSError, ValueError) as error:
                reply, problem = None, str(error)
            else:
                problem = "the judge's launcher ended"
            if reply is None:
                return _error_outcome(problem)
            outcome = reply[0].get("outcome")
            if not isinstance(outcome, dict):  # the job did not end within the timeout
                raise RuntimeError(str(reply[0].get("error", "sandbox job did not end")))
            self._outcome = Outcome(**outcome)
            return self._outcome

    def wait(self, timeout: float | None = None) -> Outcome:
        return self._ask({"op": "wait", "timeout": timeout})

    def kill(self) -> Outcome:
        return self._ask({"op": "kill"})

    def request_kill(self) -> None:
        with self._lock, contextlib.suppress(OSError):
            if self._outcome is None:
                _send(self._sock, {"op": "request_kill"})

    def close(self, timeout: float | None = None) -> bool:
        """Let go of the job; the launcher waits for its teardown."""
        with self._lock:
            self._sock.close()
        return True


def _error_outcome(problem: str) -> Outcome:
    return Outcome("error", None, None, 0.0, 0.0, 0, "", f"sandbox error: {problem}", False, False)


# -- the launcher's side --------------------------------------------------------------------


class Launcher:
    """Serves the judge's requests to start the student's process, with what the launcher itself knows."""

    def __init__(self, suite: Suite, submission: Path, gpu: int | None) -> None:
        from workers.judge.session import RUNNER_INSIDE, RUNTIME_INSIDE, WORK_INSIDE, StudentSession

        self.submission = submission
        self.gpu = gpu
        self.limits = Limits(**suite.sandbox_limits)
        # The fixed binds and environment of the student's process, as the judge's session defines them.
        template = StudentSession(suite, submission, submission / "module.py", gpu)
        self.readonly = template._readonly()
        self.env = template._env()
        self.prefix = [f"{RUNTIME_INSIDE}/bin/python", "-E", "-s", "-u", "-B", RUNNER_INSIDE]
        self.work_inside = WORK_INSIDE
        self.threads: list[threading.Thread] = []
        self.conns: list[socket.socket] = []
        self.live = threading.BoundedSemaphore(MAX_LIVE_JOBS)

    def check_argv(self, argv: Any) -> list[str]:
        """The student's command line: the fixed runner and one module inside /work, nothing else."""
        if not isinstance(argv, list) or len(argv) != len(self.prefix) + 1 or argv[:-1] != self.prefix:
            raise ValueError("not the student runner's command line")
        module = argv[-1]
        path = PurePosixPath(module) if isinstance(module, str) else None
        if (
            path is None
            or "\0" in module
            or len(module) > 1024
            or path.parts[:2] != ("/", self.work_inside.strip("/"))
            or ".." in path.parts
        ):
            raise ValueError("the module must be a file inside /work")
        return [*self.prefix, module]

    def serve(self, sock: socket.socket, judge_pid: int) -> None:
        """Until the judge exits: each request starts one job, served on a thread of its own."""
        sock.settimeout(10)  # a request is written at once: a judge that stalls halfway gets nothing more
        pidfd = os.pidfd_open(judge_pid)
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        try:
            while all(fd != pidfd for fd, _ in poller.poll()):
                if not self._serve_one(sock):
                    break
        finally:
            os.close(pidfd)

    def _serve_one(self, sock: socket.socket) -> bool:
        """One request; False when the judge closed its end or broke the protocol."""
        try:
            received = _recv(sock, MAX_REQUEST_BYTES)
        except (OSError, ValueError):
            return False
        if received is None:
            return False
        message, fds = received
        if message.get("op") != "spawn" or len(fds) != 1:
            _close_all(fds)
            return False  # a judge that does not speak the protocol gets nothing more
        try:
            conn = socket.socket(fileno=fds[0])
        except OSError:
            _close_all(fds)
            return False
        if conn.family != socket.AF_UNIX:
            conn.close()
            return False
        self.conns.append(conn)
        try:
            argv = self.check_argv(message.get("argv"))
        except ValueError as error:
            self._refuse(conn, str(error))
            return True
        if not self.live.acquire(blocking=False):
            self._refuse(conn, f"more than {MAX_LIVE_JOBS} student processes at once")
            return True
        # bwrap's die-with-parent follows the thread that forked it: the thread stays until the job is over.
        thread = threading.Thread(target=self._serve_job, args=(conn, argv), name="launcher-job", daemon=True)
        self.threads.append(thread)
        thread.start()
        return True

    def _refuse(self, conn: socket.socket, error: str) -> None:
        with contextlib.suppress(OSError):
            _send(conn, {"ok": False, "error": f"the launcher refused: {error}"})
        conn.close()

    def _serve_job(self, conn: socket.socket, argv: list[str]) -> None:
        released = False

        def release() -> None:  # once: when the job is torn down, or when this thread ends
            nonlocal released
            if not released:
                released = True
                self.live.release()

        try:
            try:
                job = sandbox_spawn(
                    argv,
                    workdir=str(self.submission),
                    readonly=self.readonly,
                    limits=self.limits,
                    env=self.env,
                    gpu=self.gpu,
                )
            except SandboxUnavailable as error:
                self._refuse(conn, str(error))
                return
            except Exception as error:  # noqa: BLE001 -- told to the judge, which reports an infrastructure error
                self._refuse(conn, f"the student's process could not be started: {error!r}")
                return
            try:
                self._serve_started(conn, job, release)
            finally:
                job.request_kill()
                with contextlib.suppress(RuntimeError):
                    job.wait(10)
                job.close(timeout=10)
        finally:
            release()

    def _serve_started(self, conn: socket.socket, job: Any, release: Callable[[], None]) -> None:
        channels = [job.channel_in, job.channel_out, job.channel_socket]
        info = {"ok": True, "pid": job.pid, "isolation": job.isolation, "limits": self.limits.__dict__}
        try:
            _send(conn, info, [channel.fileno() for channel in channels])
        except OSError:
            return
        finally:
            for channel in channels:  # the judge holds them now; ours would keep the pipes open
                with contextlib.suppress(OSError):
                    channel.close()
        poller = select.poll()
        poller.register(conn, select.POLLIN)
        conn.settimeout(10)  # a request is written at once
        with conn:
            while True:
                if not poller.poll(500):
                    if job.close(timeout=0):  # over and torn down: no longer counted, though the judge may still ask
                        release()
                    continue
                try:
                    received = _recv(conn, MAX_REQUEST_BYTES)
                except (OSError, ValueError):
                    return
                if received is None:
                    return
                message, fds = received
                _close_all(fds)
                op = message.get("op")
                if op == "request_kill":
                    job.request_kill()
                    continue
                if op not in ("wait", "kill"):
                    return
                try:
                    if op == "kill":
                        outcome = job.kill()
                    else:
                        timeout = message.get("timeout")
                        outcome = job.wait(float(timeout) if isinstance(timeout, (int, float)) else None)
                    reply: dict[str, Any] = {"outcome": outcome.to_dict()}
                except RuntimeError as error:
                    reply = {"error": str(error)}
                try:
                    _send(conn, reply)
                except OSError:
                    return

    def end(self) -> None:
        """The judge is gone: each job still served is killed and torn down."""
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join()


def _kill_leftovers() -> None:
    """Processes the judge left behind (the launcher is their subreaper) are killed and reaped."""
    me = str(os.getpid())
    for _ in range(100):
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if fields[1] == me:
                    children.append(int(entry))
        if not children:
            return
        for child in children:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)


# -- starting the judge -----------------------------------------------------------------------


def give_to_judge(path: Path, uid: int, gid: int) -> None:
    """chown a tree to the judge (no symlink followed, hard-linked files skipped: they may live elsewhere)."""
    stack = [str(path)]
    while stack:
        top = stack.pop()
        st = os.lstat(top)
        if stat.S_ISLNK(st.st_mode) or (not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1):
            continue
        os.chown(top, uid, gid, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            stack.extend(os.path.join(top, name) for name in os.listdir(top))


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _become_judge(ids: tuple[int, int] | None, memory_mb: int, parent: int) -> None:
    """In the forked judge: the memory limit and CPU priority, then the judge's uid for good, with no way back."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(Limits().nice)  # the judge, like the student's process, yields the cores to the web server
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if ids is not None:
        uid, gid = ids
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # from root to a uid that is not: every capability is dropped
        os.umask(0o077)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # set after setresuid, which clears it
    if os.getppid() != parent:
        os._exit(1)


def run(
    suite: Suite,
    submission: Path,
    figures: Path,
    gpu: int | None,
    judge: Any,
) -> int:
    """Fork the judge (`judge()` runs in it and returns its exit status), serve it, return its exit status."""
    ids = judge_ids()
    home: str | None = None
    fontcache.student_seed(submission)  # its /work: the student's own pyplot finds the font list too (MPLCONFIGDIR)
    if ids is not None:
        uid, gid = ids
        give_to_judge(submission, uid, gid)
        figures.mkdir(parents=True, exist_ok=True)
        give_to_judge(figures, uid, gid)
        home = tempfile.mkdtemp(prefix="judge-home-")
        fontcache.seed(Path(home))  # matplotlib's font list, not scanned anew in each job
        give_to_judge(Path(home), uid, gid)
        os.environ.update(HOME=home, MPLCONFIGDIR=home, TMPDIR=home)
    memory_mb = judge_memory_mb(int(suite.sandbox_limits.get("memory_mb", Limits().memory_mb)))
    launcher = Launcher(suite, submission, gpu)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # what the judge leaves behind comes back here, to be killed
    parent = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the judge
        code = 1
        try:
            ours.close()
            _become_judge(ids, memory_mb, parent)
            global _client
            _client = LauncherClient(theirs)
            code = judge()
        except MemoryError:
            code = JUDGE_OUT_OF_MEMORY
        except BaseException as error:  # noqa: BLE001 -- reported in the log; the worker reads no summary
            with contextlib.suppress(BaseException):
                print(f"the judge failed: {error!r}", file=sys.stderr)
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    theirs.close()
    # Stopped by the worker (its time limit): the judge goes, and the jobs are torn down as at a normal end.
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
    try:
        launcher.serve(ours, pid)
    finally:
        ours.close()
        _, status = os.waitpid(pid, 0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        launcher.end()  # first: the jobs' processes are children too, reaped by the sandbox's own threads
        _kill_leftovers()
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)
