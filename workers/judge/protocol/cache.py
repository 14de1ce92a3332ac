"""The judge's cache of memfds already sent: an array passed to many calls is copied into a memfd once."""

from __future__ import annotations

import mmap
import os
from collections import OrderedDict

import numpy as np
import numpy.typing as npt

# An array's memory seen as flat bytes (contiguous uint8): what is copied into a memfd and compared.
Bytes = npt.NDArray[np.uint8]


class SentArrays:
    """The judge's memfds already sent, by the memory they were copied from (address and size), most recently
    used last, up to `limit` bytes in all. A memfd is sent again only while that memory still holds the same
    bytes; the arrays' owners never learn of it."""

    def __init__(self, limit: int = 256 * 2**20) -> None:
        self.limit = limit
        self.total = 0
        self.entries: OrderedDict[tuple[int, int], tuple[int, Bytes]] = OrderedDict()
        self.closing: list[int] = []  # dropped, closed by trim() once the message being built is sent

    def find(self, flat: Bytes) -> int | None:
        key = (flat.ctypes.data, flat.nbytes)
        entry = self.entries.get(key)
        if entry is None:
            return None
        fd, copy = entry
        if _same_bytes(flat, copy):
            self.entries.move_to_end(key)
            return fd
        self._drop(key)
        return None

    def keep(self, flat: Bytes, fd: int) -> bool:
        """Keep `fd` (a sealed copy of `flat`) for later sends; False when it is too big to keep."""
        if flat.nbytes > self.limit:
            return False
        try:
            copy = np.frombuffer(mmap.mmap(fd, flat.nbytes, prot=mmap.PROT_READ), dtype=np.uint8)
        except OSError:
            return False
        key = (flat.ctypes.data, flat.nbytes)
        if key in self.entries:
            self._drop(key)
        self.entries[key] = (fd, copy)
        self.total += flat.nbytes
        return True

    def _drop(self, key: tuple[int, int]) -> None:
        fd, _ = self.entries.pop(key)
        self.total -= key[1]
        self.closing.append(fd)

    def trim(self) -> None:
        """Drop the least recently used memfds beyond the limit and close what was dropped (never while a
        message that may refer to them is being built)."""
        while self.total > self.limit:
            self._drop(next(iter(self.entries)))
        closing, self.closing = self.closing, []
        for fd in closing:
            os.close(fd)

    def close(self) -> None:
        while self.entries:
            self._drop(next(iter(self.entries)))
        self.trim()


def _same_bytes(a: Bytes, b: Bytes) -> bool:
    """Byte-for-byte equality of two flat uint8 arrays (as words where the length allows: several times faster)."""
    if a.nbytes % 8 == 0:
        a, b = a.view(np.uint64), b.view(np.uint64)
    return bool(np.array_equal(a, b))
