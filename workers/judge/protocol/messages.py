"""Whole messages on a channel: a value encoded (codec.py), its memfds sent first (memfd.py), then its frame
(framing.py); and the reader that takes frames off a pipe and decodes them."""

from __future__ import annotations

import os
import select
import time
from typing import Any

import numpy as np

from .codec import decode_counted, encode
from .errors import ChannelClosed, ChannelTimeout, MessageTooLarge, ProtocolError
from .framing import HEADER, MAGIC, READ_CHUNK
from .limits import MAX_MESSAGE_BYTES
from .memfd import SharedMemory
from .splice import write_pipe_all


def write_message(fd: int, value: Any, shared: SharedMemory | None = None) -> None:
    """Encode and write one framed message to a raw (blocking) file descriptor."""
    write_parts(fd, encode(value, shared), shared)


def write_parts(fd: int, parts: list[bytes | memoryview], shared: SharedMemory | None = None) -> None:
    """Write a message encoded with `shared` (its memfds first) to a raw (blocking) pipe; large parts (the data of
    big arrays sent inline) by reference (splice.py)."""
    if shared is not None:
        shared.flush(None)
    for part in parts:
        write_pipe_all(fd, part)


class FrameReader:
    """Reads framed messages from a raw fd, with an optional deadline (time.monotonic). Reads ahead in
    chunks, so a small message costs one read; a large payload is read straight into its own buffer."""

    def __init__(self, fd: int, shared: SharedMemory | None = None) -> None:
        self.fd = fd
        self.shared = shared
        self.pending = bytearray()
        self.last_bytes = 0

    def _wait(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise ChannelTimeout()

    def _fill(self, size: int, deadline: float | None) -> None:
        """At least `size` bytes in the read-ahead buffer."""
        while len(self.pending) < size:
            self._wait(deadline)
            chunk = os.read(self.fd, max(READ_CHUNK, size - len(self.pending)))
            if not chunk:
                raise ChannelClosed("channel closed")
            self.pending += chunk

    def _read_into(self, view: memoryview, deadline: float | None) -> None:
        filled = min(len(self.pending), len(view))
        view[:filled] = self.pending[:filled]
        del self.pending[:filled]
        while filled < len(view):
            self._wait(deadline)
            count = os.readv(self.fd, [view[filled:]])
            if not count:
                raise ChannelClosed("channel closed")
            filled += count

    def read(self, deadline: float | None = None, limit: int | None = None) -> Any:
        """The next message's value. With `limit`, a message whose payload and shared arrays together are
        larger is refused (MessageTooLarge) before it is read; `last_bytes` is the size of the message read."""
        self.last_bytes = 0
        self._fill(HEADER.size, deadline)
        magic, length = HEADER.unpack_from(self.pending)
        if magic != MAGIC:
            raise ProtocolError("garbage on the channel")
        if length > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        if limit is not None and length > limit:
            raise MessageTooLarge(f"a message of {length // 2**20} MB")
        del self.pending[: HEADER.size]
        try:
            # numpy's own allocation, not bytearray(length): it is neither zeroed first nor faulted in 4 KB pages
            # (numpy asks for transparent huge pages), so a 245 MB array costs one copy out of the pipe.
            payload = memoryview(np.empty(length, dtype=np.uint8))
        except MemoryError:
            raise ProtocolError(f"no memory left in the judge for a message of {length // 2**20} MB") from None
        self._read_into(payload, deadline)
        value, shared_bytes = decode_counted(payload, self.shared, None if limit is None else limit - length)
        self.last_bytes = length + shared_bytes
        return value
