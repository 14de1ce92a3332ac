"""How a job ended, in the Outcome's words: bwrap's status report parsed, and the wait status, the kill reason
and the cgroup's OOM count classified (ok, timeout, cpu_limit, output_limit, memory, signal, exit_nonzero, error)."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass

from .limits import Limits


@dataclass(frozen=True)
class Ending:
    """What the monitor saw as the job ended."""

    wait_status: int  # of bwrap (or of the program itself when insecure), from wait4
    cpu_s: float
    oom_kills: int
    started: bool  # bwrap reported the program's start
    kill_reason: str | None  # why the job was killed: timeout, cpu_limit, output_limit, killed; None: it was not
    stderr_tail: str
    exit_is_signal: bool  # bwrap reports a program killed by signal N as exit 128+N (not when insecure)


@dataclass(frozen=True)
class Verdict:
    status: str
    exit_code: int | None
    signal: int | None
    note: str = ""  # added to the Outcome's stderr


def classify(ending: Ending, limits: Limits) -> Verdict:
    code: int | None = None
    sig: int | None = None
    status = ending.wait_status
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
    else:
        raw = os.WEXITSTATUS(status)
        # bwrap reports a program killed by signal N as exit 128+N, like a shell.
        if raw > 128 and raw - 128 < signal.NSIG and ending.exit_is_signal:
            sig = raw - 128
        else:
            code = raw
    reason, oom, cpu, tail = ending.kill_reason, ending.oom_kills, ending.cpu_s, ending.stderr_tail
    if reason == "timeout" and oom:
        # An OOM-killed worker often leaves its parent waiting forever (a Pool
        # hangs): the memory limit, not the clock, is what the student must fix.
        result = "memory"
    elif reason in ("timeout", "cpu_limit", "output_limit"):
        result = reason
    elif not ending.started and reason is None and not oom:
        return Verdict("error", code, sig, note="sandbox failed to start")
    elif oom and (sig is not None or code):
        result = "memory"
    elif sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits.cpu_s - 0.05):
        result = "cpu_limit"
    elif sig is not None:
        result = "signal"
    elif code:
        memory_error = "MemoryError" in tail.strip().splitlines()[-1:][0] if tail.strip() else False
        result = "memory" if memory_error else "exit_nonzero"
    else:
        result = "ok"
    return Verdict(result, code, sig)


def parse_status(text: str) -> tuple[bool, int | None, int | None]:
    """bwrap's JSON status lines: whether the program started, bwrap's exit code, and the host pid of the
    namespace's pid-1 reaper."""
    started, code, inner = False, None, None
    for line in text.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if "child-pid" in doc:
            started, inner = True, int(doc["child-pid"])
        code = doc.get("exit-code", code)
    return started, code, inner
