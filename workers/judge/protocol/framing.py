"""Frames on a pipe: a magic and a length before each message's payload, written whole before a deadline (a peer
that stops reading cannot block the writer) and read with read-ahead (a small message costs one read)."""

from __future__ import annotations

import contextlib
import os
import select
import struct
import time
from collections.abc import Callable

from .errors import ChannelClosed, ChannelTimeout

MAGIC = b"CSJ1"
HEADER = struct.Struct(">4sI")  # magic, payload length
READ_CHUNK = 64 * 1024


def write_frame(
    fd: int,
    parts: list[bytes | memoryview],
    deadline: float,
    readable: int | None = None,
    on_readable: Callable[[], bool] | None = None,
) -> None:
    """Write a whole frame, giving up at the deadline (a peer that stops reading cannot block us). While the
    frame cannot be written and `readable` has data, `on_readable()` is called; it returns False to give up
    (ChannelClosed)."""
    was_blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    watch = [readable] if readable is not None and on_readable is not None else []
    closed_by_reader = False
    try:
        for part in parts:
            view = memoryview(part).cast("B")
            while view:
                try:
                    view = view[os.write(fd, view) :]
                    continue
                except BlockingIOError:
                    pass
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ChannelTimeout()
                can_read, can_write, _ = select.select(watch, [fd], [], remaining)
                if can_read and not can_write and on_readable is not None and not on_readable():
                    closed_by_reader = True  # the fd is closed (maybe reused): leave it alone
                    raise ChannelClosed("channel closed")
                if not can_read and not can_write:
                    raise ChannelTimeout()
    finally:
        if not closed_by_reader:
            with contextlib.suppress(OSError):  # closed meanwhile: nothing to restore
                os.set_blocking(fd, was_blocking)
