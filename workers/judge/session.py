"""The judge's handle on one sandboxed student process: start it, call into it, replace it."""

from __future__ import annotations

import fcntl
import math
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.judge import fontcache, launcher, protocol
from workers.judge.suite import Suite
from workers.judge.threads import student_threads
from workers.sandbox import Limits, Outcome, SandboxUnavailable

JUDGE_DIR = Path(__file__).resolve().parent
RUNTIME_INSIDE = "/opt/runtime"
RUNNER_INSIDE = "/judge/student_runner.py"
PROTOCOL_INSIDE = "/judge/protocol"
DATA_INSIDE = "/data"
WORK_INSIDE = "/work"
MESSAGE_CHARS = 2000
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, spelled out for Pythons that lack the name
PIPE_BYTES = 1 << 20  # the unprivileged maximum (/proc/sys/fs/pipe-max-size)
# Calls sent ahead of their replies (pipelined checks such as numerical gradients); bounds the judge's memory.
MAX_INFLIGHT = 64
# Small pipelined requests held back and written together, up to this many bytes.
HELD_BYTES = 256 * 1024
# The replies of one batch of calls (a pipelined block) are held by the judge until the test reads them: together,
# array data included, they may not exceed this (a reply beyond it fails the call as a protocol violation).
MAX_REPLY_BYTES = 256 * 1024 * 1024


class StudentProblem(Exception):
    """Something the student's code did; `status` and `reason` go into the test's result."""

    status = "error"
    reason = "error"


class StudentRaised(StudentProblem):
    status, reason = "failed", "your code raised an exception"


class StudentMissing(StudentProblem):
    status, reason = "failed", "missing function"


class StudentBadReturn(StudentProblem):
    status, reason = "failed", "unacceptable return value"


class StudentImportError(StudentProblem):
    status, reason = "error", "import error"


class StudentTimeout(StudentProblem):
    status, reason = "timeout", "timed out"


class StudentCrashed(StudentProblem):
    status = "error"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class InfrastructureError(Exception):
    """The sandbox or the judge failed; not the student's fault, the run is retried."""


def outcome_reason(outcome: Outcome, limits: Limits) -> str:
    """A sandbox outcome in plain words for the student."""
    return {
        "memory": f"out of memory (limit {limits.memory_mb} MB)",
        "signal": f"crashed (signal {outcome.signal})",
        "output_limit": f"output limit (more than {limits.output_kb} KB printed)",
        "timeout": "timed out (the sandbox's wall-clock limit)",
        "cpu_limit": f"CPU time limit ({limits.cpu_s} s) exceeded",
        "exit_nonzero": f"your process exited with code {outcome.exit_code}",
        "ok": "your process exited",
    }.get(outcome.status, f"sandbox outcome {outcome.status}")


@dataclass
class ImportReport:
    """What the first start of the student's module showed."""

    ok: bool
    functions: tuple[str, ...] = ()
    seconds: float = 0.0
    hint: str = ""
    error: dict[str, str] = field(default_factory=dict)


class StudentSession:
    """One live sandboxed student process at a time; a broken one is replaced on the next call."""

    def __init__(self, suite: Suite, submission: Path, module: Path, gpu: int | None = None) -> None:
        self.suite = suite
        self.submission = submission
        self.module_inside = f"{WORK_INSIDE}/{module.relative_to(submission).as_posix()}"
        self.gpu = gpu
        self.limits = Limits(**suite.sandbox_limits)
        self.job: launcher.StudentJob | None = None
        self.reader: protocol.FrameReader | None = None
        self.shared: protocol.SharedMemory | None = None
        # Large arrays already sent (as sealed memfds), kept across the student's processes for the whole run.
        self.sent_arrays = protocol.SentArrays()
        self.next_id = 0
        self.spawned = 0
        self.import_deadline = 0.0
        self.inflight: deque[Pending] = deque()
        self.broken: BaseException | None = None
        self.held: list[bytes] = []
        self.held_bytes = 0
        self.reply_bytes = 0  # of the replies read in this batch of calls

    def _readonly(self) -> list[tuple[str, str]]:
        mounts = [
            (sys.prefix, RUNTIME_INSIDE),
            (str(JUDGE_DIR / "student_runner.py"), RUNNER_INSIDE),
            (str(JUDGE_DIR / "protocol"), PROTOCOL_INSIDE),  # the package, imported as `protocol` by the runner
        ]
        if self.suite.public_data.is_dir():
            mounts.append((str(self.suite.public_data), DATA_INSIDE))
        return mounts

    def _env(self) -> dict[str, str]:
        threads = str(student_threads())
        env = {
            "PATH": f"{RUNTIME_INSIDE}/bin:/usr/bin:/bin",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        if fontcache.student_seeded(self.submission):  # the launcher put matplotlib's font list there
            env["MPLCONFIGDIR"] = "/".join((WORK_INSIDE, *fontcache.STUDENT_FOLDER))
        return env

    def start(self) -> ImportReport:
        """Start a fresh student process and wait for its import to finish."""
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        """Start a fresh student process; its import runs while the judge does other work."""
        # -E ignores PYTHON* variables: -u keeps output unbuffered (so it survives a kill), -B writes no .pyc.
        argv = [f"{RUNTIME_INSIDE}/bin/python", "-E", "-s", "-u", "-B", RUNNER_INSIDE, self.module_inside]
        try:
            self.job = launcher.spawn(  # through the launcher, which decides all but the module
                argv,
                workdir=str(self.submission),
                readonly=self._readonly(),
                limits=self.limits,
                env=self._env(),
                gpu=self.gpu,
            )
        except SandboxUnavailable as error:
            raise InfrastructureError(f"sandbox unavailable: {error}") from error
        self.spawned += 1
        requests, replies, sock = self.job.channel_in, self.job.channel_out, self.job.channel_socket
        assert requests is not None and replies is not None and sock is not None  # spawn always makes the channel
        for channel in (requests, replies):
            try:  # bigger pipes: arrays cross in fewer wake-ups
                fcntl.fcntl(channel.fileno(), F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass
        self.shared = protocol.SharedMemory(sock, cache=self.sent_arrays)
        self.reader = protocol.FrameReader(replies.fileno(), self.shared)
        self.import_deadline = time.monotonic() + self.suite.import_timeout_s

    def wait_ready(self) -> ImportReport:
        """Wait for the launched process to report its import."""
        assert self.reader is not None
        deadline = self.import_deadline
        try:
            message = self.reader.read(deadline)
        except protocol.ChannelTimeout:
            outcome = self.stop()
            printed = outcome.stdout if outcome else ""
            return ImportReport(
                ok=False,
                error={
                    "type": "Timeout",
                    "message": f"importing your file did not finish within {self.suite.import_timeout_s:g} s",
                    "traceback": "",
                },
                hint=_timeout_hint(printed),
            )
        except protocol.ChannelClosed:
            raise self._crash("while importing your file", self._ended()) from None
        except protocol.ProtocolError as error:
            self.stop()
            raise StudentCrashed(f"{IMPORT_VIOLATION} ({error})", "protocol violation") from None
        problem = _ready_problem(message)
        if problem is not None:
            self.stop()
            raise StudentCrashed(f"{IMPORT_VIOLATION} ({problem})", "protocol violation")
        hint = message["hint"][:HINT_CHARS]
        if message["kind"] == "import_error":
            self.stop()
            failure = {k: message[k][:MESSAGE_CHARS] for k in ("type", "message", "traceback")}
            return ImportReport(ok=False, error=failure, hint=hint)
        return ImportReport(
            ok=True, functions=tuple(message["functions"]), seconds=float(message["import_seconds"]), hint=hint
        )

    def _crash(self, context: str, outcome: Outcome | None) -> StudentCrashed:
        if outcome is None:
            return StudentCrashed(f"your process ended {context}", "crashed")
        if outcome.status == "error":
            raise InfrastructureError(f"sandbox error: {outcome.stderr[-500:]!r}")
        reason = outcome_reason(outcome, self.limits)
        stderr = outcome.stderr[-MESSAGE_CHARS:]
        return StudentCrashed(f"{reason} {context}" + (f"\n{stderr}" if stderr else ""), reason)

    def stop(self) -> Outcome | None:
        """Kill the current process (whole tree) and forget it."""
        job, self.job, self.reader, self.shared = self.job, None, None, None
        if job is None:
            return None
        outcome = job.kill()
        _close_channels(job)
        return outcome

    def _ended(self) -> Outcome | None:
        """The outcome of a process that closed its channel (it is dying or dead)."""
        job, self.job, self.reader, self.shared = self.job, None, None, None
        if job is None:
            return None
        outcome = job.wait(timeout=10)
        _close_channels(job)
        return outcome

    def close(self) -> None:
        """End the student process once the tests are done: killed, since it has nothing left to do (a Python
        with numpy takes several times longer to exit on its own than the sandbox takes to kill it). The kill is
        only requested, so pytest ends its run meanwhile; the sandbox waits for the job's teardown when the
        judge exits."""
        job, self.job, self.reader, self.shared = self.job, None, None, None
        if job is not None:
            job.request_kill()
            _close_channels(job)
        self.sent_arrays.close()

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], deadline: float) -> Any:
        """Run one of the student's functions and return its value (or raise what went wrong, in plain words)."""
        self.begin()
        pending = self.send(name, args, kwargs, deadline)
        self.collect(deadline)
        return pending.result()

    def begin(self) -> None:
        """A new call or batch of calls: a process broken by an earlier one is replaced when next needed."""
        self.broken = None
        self.reply_bytes = 0

    def send(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], deadline: float, hold: bool = False
    ) -> Pending:
        """Send a call without waiting for its reply; `collect` reads the replies, in the order of the calls.
        Arguments are encoded now, so changing them afterwards does not change the call. With `hold`, a small
        request is kept back and written with the next ones (one wake-up of the student's process for many
        calls, instead of one each); `collect` writes what is held."""
        pending = Pending(name)
        if self.broken is None and self.job is None:
            report = self.start()
            if not report.ok:
                self.broken = StudentImportError(report.error.get("message", "import failed"))
        while len(self.inflight) >= MAX_INFLIGHT and self.broken is None:
            self._receive(deadline)
        if self.broken is not None:
            # An earlier call of this batch broke the process; the rest of the batch is not sent.
            pending.fail(self.broken)
            return pending
        assert self.job is not None and self.reader is not None
        self.next_id += 1
        pending.call_id = self.next_id
        request = {"kind": "call", "id": pending.call_id, "function": name, "args": list(args), "kwargs": kwargs}
        try:
            parts = protocol.encode(request, self.shared)
        except protocol.EncodeError as error:
            pending.fail(EncodeFailure(f"the test's arguments for {name} cannot be sent: {error}"))
            return pending
        self.inflight.append(pending)
        if not self._send_shared(deadline):
            return pending
        first = parts[0]
        if hold and len(parts) == 1 and isinstance(first, bytes):  # a copy: later changes cannot reach it
            self.held.append(first)
            self.held_bytes += len(first)
            if self.held_bytes >= HELD_BYTES:
                self._write([], deadline)
        else:
            self._write(parts, deadline)
        return pending

    def _send_shared(self, deadline: float) -> bool:
        """Send the memfds of the request just encoded (they go before its frame); False if that broke the process."""
        assert self.shared is not None
        name = self.inflight[0].name
        try:
            self.shared.flush(deadline)
        except protocol.ChannelTimeout:
            self._timed_out(name)
            return False
        except protocol.ChannelClosed:
            self._process_ended(name)
            return False
        return True

    def _write(self, parts: list[bytes | memoryview], deadline: float) -> None:
        """Write the held requests, then `parts`; a process that stops reading fails every call in flight."""
        held, self.held, self.held_bytes = self.held, [], 0
        if held:
            parts = [b"".join(held), *parts]
        if not parts or self.job is None or self.reader is None:
            return
        requests = self.job.channel_in
        assert requests is not None  # spawn always makes the channel
        name = self.inflight[0].name if self.inflight else "a call"  # the call the process is busy with

        def read_a_reply() -> bool:
            # The student's process takes no more input until its replies are read: read one, go on writing
            # while the process lives (neither side ever waits on the other for good).
            self._receive(deadline)
            return self.job is not None

        try:
            protocol.write_frame(requests.fileno(), parts, deadline, readable=self.reader.fd, on_readable=read_a_reply)
        except protocol.ChannelTimeout:
            self._timed_out(name)
        except (protocol.ChannelClosed, BrokenPipeError):
            if self.job is not None:
                self._process_ended(name)

    def collect(self, deadline: float) -> None:
        """Read the replies of every call sent so far."""
        while self.inflight:
            self._receive(deadline)

    def _receive(self, deadline: float) -> None:
        """Read the reply of the oldest call in flight (a broken process fails it and every call after it)."""
        if self.held:
            self._write([], deadline)  # a reply can only come for what was written
            if not self.inflight:
                return
        pending = self.inflight[0]
        if self.reader is None:  # the process was stopped without failing its calls (not expected)
            self._fail_inflight(self.broken or StudentCrashed(f"your process ended during {pending.name}", "crashed"))
            return
        try:
            reply = self.reader.read(deadline, limit=MAX_REPLY_BYTES - self.reply_bytes)
        except protocol.ChannelTimeout:
            self._timed_out(pending.name)
            return
        except protocol.ChannelClosed:
            self._process_ended(pending.name)
            return
        except protocol.MessageTooLarge as error:
            self.stop()
            self._fail_inflight(_too_much(pending.name, self.reply_bytes, error))
            return
        except protocol.ProtocolError as error:
            self.stop()
            self._fail_inflight(_violation(pending.name, error))
            return
        self.reply_bytes += self.reader.last_bytes
        self.inflight.popleft()
        name = pending.name
        if not isinstance(reply, dict) or type(reply.get("id")) is not int or reply["id"] != pending.call_id:
            self.stop()
            crash = StudentCrashed(f"an out-of-order reply arrived during {name}", "protocol violation")
            pending.fail(crash)
            self._fail_inflight(crash)
            return
        problem = _reply_problem(reply)
        if problem is not None:
            self.stop()
            crash = StudentCrashed(f"a malformed reply arrived during {name} ({problem})", "protocol violation")
            pending.fail(crash)
            self._fail_inflight(crash)
            return
        kind = reply["kind"]
        if kind == "result":
            pending.resolve(reply["value"])
        elif kind == "raised":
            trace = reply["traceback"][-MESSAGE_CHARS:]
            message = reply["message"][:MESSAGE_CHARS]
            pending.fail(StudentRaised(f"your {name} raised {reply['type'][:200]}: {message}\n{trace}"))
        elif kind == "missing":
            pending.fail(StudentMissing(f"your module does not define {name}"))
        else:
            message = f"your {name} returned a value the judge cannot accept: {reply['message'][:MESSAGE_CHARS]}"
            pending.fail(StudentBadReturn(message))

    def _timed_out(self, name: str) -> None:
        """The channel stayed blocked past the deadline: the process is stopped, the calls in flight time out."""
        self.stop()
        self._fail_inflight(StudentTimeout(_timeout_message(name)))

    def _process_ended(self, name: str) -> None:
        """The process closed its channel (it died): the calls in flight fail with how it ended."""
        self._fail_inflight(self._crash(f"during {name}", self._ended()))

    def _fail_inflight(self, error: BaseException) -> None:
        """The process is gone (stopped or dead): every call still waiting for a reply fails with `error`."""
        self.held, self.held_bytes = [], 0
        while self.inflight:
            waiting = self.inflight.popleft()
            if not waiting.done:
                waiting.fail(error)
        self.broken = error


class EncodeFailure(Exception):
    """The test passed the student's function something the protocol cannot carry (a suite bug)."""


class Pending:
    """A call sent to the student's process; its value (or what went wrong) once its reply was read."""

    __slots__ = ("call_id", "done", "error", "name", "value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.call_id = 0
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def resolve(self, value: Any) -> None:
        self.done, self.value = True, value

    def fail(self, error: BaseException) -> None:
        self.done, self.error = True, error

    def result(self) -> Any:
        if not self.done:
            raise RuntimeError(f"the reply of {self.name} has not been read yet (use it after the pipelined block)")
        if self.error is not None:
            # A fresh instance each time: pytest keeps the traceback of what is raised.
            raise _copy_error(self.error)
        return self.value


def _copy_error(error: BaseException) -> BaseException:
    if isinstance(error, StudentCrashed):
        return StudentCrashed(str(error), error.reason)
    try:
        return type(error)(*error.args)
    except TypeError:
        return error


def _timeout_message(name: str) -> str:
    return f"your {name} did not return within the test's time limit; the judge stopped it"


IMPORT_VIOLATION = "your file wrote onto the judge's channel while being imported"
HINT_CHARS = 4000
# What the student's runner sends, field by field (exact types: a bool or a numpy scalar is no plain number, and
# `object` is any value); anything else on the channel is a protocol violation.
NUMBER = (int, float)
MESSAGE_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "ready": {"functions": (list,), "import_seconds": NUMBER, "hint": (str,)},
    "import_error": {"type": (str,), "message": (str,), "traceback": (str,), "hint": (str,)},
    "result": {"id": (int,), "value": (object,), "seconds": NUMBER},
    "raised": {"id": (int,), "type": (str,), "message": (str,), "traceback": (str,), "seconds": NUMBER},
    "missing": {"id": (int,), "function": (str,)},
    "unencodable": {"id": (int,), "message": (str,)},
}


def _message_problem(message: Any, kinds: tuple[str, ...]) -> str | None:
    """Why a decoded message is not one of `kinds` as the student's runner writes it (None when it is)."""
    if not isinstance(message, dict) or type(message.get("kind")) is not str or message["kind"] not in kinds:
        return f"not a message of kind {' or '.join(kinds)}"
    fields = MESSAGE_FIELDS[message["kind"]]
    if set(message) != {"kind", *fields}:
        return f"a {message['kind']} message with the fields {', '.join(sorted(map(str, message))[:10])}"
    for key, types in fields.items():
        if types != (object,) and type(message[key]) not in types:
            return f"its {key} is of type {type(message[key]).__name__}"
    return None


def _ready_problem(message: Any) -> str | None:
    problem = _message_problem(message, ("ready", "import_error"))
    if problem is None and message["kind"] == "ready":
        if not all(type(name) is str for name in message["functions"]):
            return "its functions are not all names"
        if not math.isfinite(message["import_seconds"]):
            return "its import_seconds is not a number"
    return problem


def _reply_problem(reply: dict[str, Any]) -> str | None:
    return _message_problem(reply, ("result", "raised", "missing", "unencodable"))


def _too_much(name: str, held: int, error: Exception) -> StudentCrashed:
    return StudentCrashed(
        f"the replies of the calls sent together with {name} add up to more than {MAX_REPLY_BYTES // 2**20} MB "
        f"({held // 2**20} MB held, then {error}), more than the judge holds at once; "
        "return less data per call",
        "protocol violation",
    )


def _violation(name: str, error: Exception) -> StudentCrashed:
    return StudentCrashed(
        f"the judge's channel received something that is not a reply during {name} ({error}); "
        "your code must not write to file descriptor 4",
        "protocol violation",
    )


def _close_channels(job: launcher.StudentJob) -> None:
    for channel in (job.channel_in, job.channel_out, job.channel_socket):
        try:
            if channel is not None:
                channel.close()
        except OSError:
            pass  # a broken pipe to a dead process


def _timeout_hint(printed: str) -> str:
    from workers.judge.student_runner import MAIN_GUARD_HINT

    lines = printed.splitlines()
    seen = f" and printed {len(lines)} lines (the last: {lines[-1][:120]!r})" if lines else ""
    return (
        f"Your file seems to run its experiments when imported: importing it did not finish{seen}.\n{MAIN_GUARD_HINT}"
    )
