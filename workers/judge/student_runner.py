"""Runs inside the sandbox: imports the student's module and serves the judge's calls."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import time
import traceback
from types import ModuleType
from typing import Any, TextIO

try:  # the package workers/judge/protocol, mounted next to this file inside the sandbox
    import protocol  # type: ignore[import-not-found]  # a top-level name only in the sandbox, not for mypy
except ImportError:  # imported from the repository (by the judge, for the hint texts)
    from workers.judge import protocol

# An import slower than this, or that prints this many lines, most likely runs the
# student's experiments at top level.
SLOW_IMPORT_S = 3.0
CHATTY_IMPORT_LINES = 20
MESSAGE_CHARS = 2000
TRACEBACK_FRAMES = 8

MAIN_GUARD_HINT = """\
The judge imports your file and then calls your functions one by one, so code at the
top level of the file runs before any test (and data files are under /data, not in
your own folders). Keep the definitions at the top level and move the script part
(loading data, training, plotting) under a main guard:

    def main():
        X, Y, y = LoadBatch("data_batch_1")
        ...

    if __name__ == "__main__":
        main()
"""


class _LineCounter:
    """Forwards writes to the real stream and counts lines, to spot chatty imports."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return self.stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def trimmed_traceback(error: BaseException) -> str:
    """The student's frames only, at most the last few, without this runner's frames."""
    here = os.path.abspath(__file__)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(frame.filename) != here and not frame.filename.startswith("<frozen")
    ]
    lines = traceback.format_list(frames[-TRACEBACK_FRAMES:])
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)[-MESSAGE_CHARS:]


def describe(error: BaseException) -> dict[str, str]:
    try:
        message, trace = str(error)[:MESSAGE_CHARS], trimmed_traceback(error)
    except Exception as inner:  # an exception whose __str__ raises
        message, trace = f"(its message could not be read: {_describe_briefly(inner)})", ""
    return {"type": str(type(error).__name__)[:200], "message": message, "traceback": trace}


def _describe_briefly(error: BaseException) -> str:
    try:
        return f"{type(error).__name__}: {str(error)[:MESSAGE_CHARS]}"
    except Exception:
        return type(error).__name__


def import_hint(error: BaseException | None, seconds: float, lines: int) -> str:
    """Plain words about a top-level script part, or '' when the import looks clean."""
    reasons = []
    if isinstance(error, OSError):
        reasons.append(f"it tried to open a file while being imported ({error})")
    if seconds > SLOW_IMPORT_S:
        reasons.append(f"importing it took {seconds:.1f} s")
    if lines >= CHATTY_IMPORT_LINES:
        reasons.append(f"it printed {lines} lines while being imported")
    if not reasons:
        return ""
    return "Your file seems to run its experiments when imported: " + "; ".join(reasons) + ".\n"


def import_student(path: str) -> ModuleType:
    folder, filename = os.path.split(os.path.abspath(path))
    name = os.path.splitext(filename)[0]
    sys.path.insert(0, folder)
    sys.argv = [path]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {filename}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def serve(module: ModuleType, reader: protocol.FrameReader, fd_out: int, shared: protocol.SharedMemory | None) -> None:
    while True:
        try:
            request = reader.read()
        except protocol.ChannelClosed:
            return
        if not isinstance(request, dict) or request.get("kind") != "call":
            return
        call_id, name = request["id"], request["function"]
        function = getattr(module, name, None)
        if not callable(function):
            protocol.write_message(fd_out, {"kind": "missing", "id": call_id, "function": name}, shared)
            continue
        started = time.monotonic()
        try:
            value = function(*request["args"], **request["kwargs"])
        except (Exception, SystemExit) as error:  # sys.exit() in a function is a failure, too
            reply = {"kind": "raised", "id": call_id, **describe(error)}
        else:
            reply = {"kind": "result", "id": call_id, "value": value}
        reply["seconds"] = time.monotonic() - started
        if shared is not None:
            shared.forget_written()
        try:
            parts = protocol.encode(reply, shared)
        except Exception as error:  # EncodeError, or a value whose own methods raise while it is encoded
            message = str(error) if isinstance(error, protocol.EncodeError) else _describe_briefly(error)
            parts = protocol.encode({"kind": "unencodable", "id": call_id, "message": message}, shared)
        protocol.write_parts(fd_out, parts, shared)


def main(argv: list[str]) -> int:
    fd_in, fd_out = (int(fd) for fd in os.environ["SANDBOX_CHANNEL_FDS"].split(","))
    # Child processes the student starts must not inherit the judge's channel.
    os.set_inheritable(fd_in, False)
    os.set_inheritable(fd_out, False)
    shared = None
    if os.environ.get("SANDBOX_CHANNEL_SOCKET"):
        sock = socket.socket(fileno=int(os.environ["SANDBOX_CHANNEL_SOCKET"]))
        sock.set_inheritable(False)
        shared = protocol.SharedMemory(
            sock,
            keep_mappings=protocol.KEPT_MAPPING_BYTES,
            export=False,  # what the student returns goes through the pipe by reference (protocol/splice.py)
        )
    sys.path[:] = [entry for entry in sys.path if entry != os.path.dirname(__file__)]
    out, err = _LineCounter(sys.stdout), _LineCounter(sys.stderr)
    sys.stdout, sys.stderr = out, err
    started = time.monotonic()
    try:
        module = import_student(argv[1])
    except BaseException as error:  # SystemExit and KeyboardInterrupt at import, too
        seconds = time.monotonic() - started
        hint = import_hint(error, seconds, out.lines + err.lines)
        protocol.write_message(
            fd_out,
            {"kind": "import_error", **describe(error), "hint": hint + MAIN_GUARD_HINT * bool(hint)},
        )
        return 1
    seconds = time.monotonic() - started
    hint = import_hint(None, seconds, out.lines + err.lines)
    sys.stdout, sys.stderr = out.stream, err.stream
    functions = sorted(name for name, value in vars(module).items() if callable(value))
    protocol.write_message(
        fd_out,
        {
            "kind": "ready",
            "functions": functions,
            "import_seconds": seconds,
            "hint": hint + MAIN_GUARD_HINT * bool(hint),
        },
    )
    serve(module, protocol.FrameReader(fd_in, shared), fd_out, shared)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
