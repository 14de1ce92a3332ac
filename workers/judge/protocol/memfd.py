"""Large arrays as sealed memfds over the channel's Unix socket: sent (with SentArrays, sent again without a
copy), received, checked and mapped copy-on-write, and on the student's side kept mapped while unwritten."""

from __future__ import annotations

import array
import fcntl
import mmap
import os
import socket
import stat
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from .errors import ChannelClosed, ChannelTimeout, ProtocolError
from .limits import MAX_MESSAGE_BYTES, SHARED_MIN_BYTES
from .splice import write_all

if TYPE_CHECKING:
    from .cache import Bytes, SentArrays

# A shared memfd can never be written, shrunk or grown again, and its seals never changed: what the reader checked
# stays true, and a mapping never faults past the end of the file (SIGBUS).
SHARED_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
REQUIRED_SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_WRITE
SHARED_MARK = b"M"
FD_BYTES = array.array("i").itemsize
# The student's side keeps its mappings of the memfds it received, up to this many bytes, and maps an array the
# judge sends again (the same memfd) only once: a training set passed to several calls is faulted in once.
KEPT_MAPPING_BYTES = 256 * 2**20
PAGEMAP = "/proc/self/pagemap"


class SharedMemory:
    """One side of the channel's socket, which carries large arrays as sealed memfds (see SHARED_MIN_BYTES).

    The writer copies an array into a fresh memfd and seals it against writing, shrinking and growing for good;
    the file descriptor crosses the socket (one message per frame, sent before the frame), and the reader checks
    the seals and the size before it maps the file copy-on-write. Neither side can change what the other sees,
    and a mapping can never fault past the end of its file. With a `cache` (SentArrays), memfds that were sent
    stay open and are sent again for the same memory, once a byte-for-byte comparison shows it is unchanged (a
    suite that passes its training data to several calls pays for one copy). With `keep_mappings` (the student's
    side), the reader keeps its mapping of such a memfd and hands out the same pages again while none of them was
    written (its pages are faulted in once); a written one means a fresh mapping, so every call still gets the
    judge's bytes.
    """

    def __init__(
        self,
        sock: socket.socket,
        max_file_bytes: int | None = None,
        cache: SentArrays | None = None,
        keep_mappings: int = 0,
        export: bool = True,
    ):
        self.sock = sock
        self.max_file_bytes = max_file_bytes  # RLIMIT_FSIZE also caps a memfd
        self.cache = cache
        self.export_arrays = export  # False: this side sends its arrays inline (the student's: splice.py)
        self.outgoing: list[int] = []
        self.owned: list[int] = []
        # Mappings of received memfds by file (device, inode), most recently used last, up to `keep_mappings` bytes.
        self.keep_mappings = keep_mappings
        self.mappings: OrderedDict[tuple[int, int], mmap.mmap] = OrderedDict()
        self.mapped_bytes = 0
        self.attached: set[tuple[int, int]] = set()  # kept mappings handed out since the last forget_written()

    def accepts(self, total: int, nbytes: int) -> bool:
        if not self.export_arrays or nbytes < SHARED_MIN_BYTES or total > MAX_MESSAGE_BYTES:
            return False
        return self.max_file_bytes is None or nbytes <= self.max_file_bytes

    def export(self, flat: Bytes) -> bool:
        """Queue a sealed memfd holding `flat` (uint8, contiguous) for the next flush; False when no memfd can be
        made (the array then goes inline)."""
        fd = self.cache.find(flat) if self.cache is not None else None
        if fd is None:
            try:
                fd = _sealed_memfd(flat)
            except OSError:
                return False
            if self.cache is None or not self.cache.keep(flat, fd):
                self.owned.append(fd)
        self.outgoing.append(fd)
        return True

    def discard(self) -> None:
        """Forget what was queued (the message was not sent)."""
        for fd in self.owned:
            os.close(fd)
        self.outgoing, self.owned = [], []
        if self.cache is not None:
            self.cache.trim()

    def flush(self, deadline: float | None) -> None:
        """Send the queued memfds, as one socket message, before the frame that refers to them."""
        fds, owned = self.outgoing, self.owned
        if not fds:
            return
        self.outgoing, self.owned = [], []
        try:
            if deadline is None:
                self.sock.settimeout(None)
            else:
                self.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                socket.send_fds(self.sock, [SHARED_MARK], fds)
            except TimeoutError:
                raise ChannelTimeout() from None
            except OSError as error:
                raise ChannelClosed(f"channel closed ({error.strerror})") from None
        finally:
            for fd in owned:
                os.close(fd)
            if self.cache is not None:
                self.cache.trim()

    def receive(self, count: int) -> list[int]:
        """The memfds of the frame just read: its writer sent them before the frame, so they are here already."""
        try:
            # socket.recv_fds of Python 3.11 drops its flags argument, so recvmsg it is.
            message, ancillary, flags, _ = self.sock.recvmsg(
                1, socket.CMSG_LEN(count * FD_BYTES), socket.MSG_DONTWAIT | socket.MSG_CMSG_CLOEXEC
            )
        except BlockingIOError:
            raise ProtocolError("a message refers to shared arrays that were not sent") from None
        except OSError as error:
            raise ProtocolError(f"shared arrays could not be received ({error.strerror})") from None
        received = array.array("i")
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                received.frombytes(data[: len(data) - len(data) % FD_BYTES])
        fds = received.tolist()
        if message != SHARED_MARK or len(fds) != count or flags & socket.MSG_CTRUNC:
            for fd in fds:
                os.close(fd)
            raise ProtocolError("the shared arrays sent do not match the message")
        return fds

    def attach(self, fd: int, offset: int, size: int) -> memoryview:
        """`size` bytes at `offset` of a received memfd, mapped copy-on-write once its seals and size are checked;
        `fd` is closed. With `keep_mappings`, a memfd received again is not mapped again while this side wrote
        nothing to its mapping (see _kept)."""
        try:
            info = os.fstat(fd)
            try:
                seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
            except OSError:
                seals = 0  # not a memfd
            if not stat.S_ISREG(info.st_mode) or seals & REQUIRED_SEALS != REQUIRED_SEALS:
                raise ProtocolError("a shared array is not in a sealed memfd")
            if offset + size > info.st_size or info.st_size > MAX_MESSAGE_BYTES:
                raise ProtocolError("a shared array does not fit its memfd")
            if size == 0:
                return memoryview(bytearray())
            key = (info.st_dev, info.st_ino)
            mapping = self._kept(key)
            try:
                if mapping is None:
                    mapping = mmap.mmap(fd, info.st_size, access=mmap.ACCESS_COPY)
                    self._keep(key, mapping)
                if key in self.mappings:
                    self.attached.add(key)
            except OSError:  # out of file descriptors or address space: read it instead
                copy = bytearray(size)
                view, done = memoryview(copy), 0
                while done < size:
                    count = os.preadv(fd, [view[done:]], offset + done)
                    if not count:
                        raise ProtocolError("a shared array does not fit its memfd") from None
                    done += count
                return view
            return memoryview(mapping)[offset : offset + size]
        finally:
            os.close(fd)

    def _kept(self, key: tuple[int, int]) -> mmap.mmap | None:
        """The mapping made before of the same memfd, while not one of its pages was written since (a written page
        is a private copy by then: the next call gets the memfd's own bytes again, as if mapped afresh)."""
        mapping = self.mappings.get(key)
        if mapping is None:
            return None
        if _untouched(mapping):
            self.mappings.move_to_end(key)
            return mapping
        self.mapped_bytes -= len(self.mappings.pop(key))
        return None

    def forget_written(self) -> None:
        """Let go of the kept mappings handed out since the last call that were written meanwhile: their copied
        pages are this side's memory, not to be held once the arrays on them are gone (called after each call)."""
        attached, self.attached = self.attached, set()
        for key in attached:
            mapping = self.mappings.get(key)
            if mapping is not None and not _untouched(mapping):
                self.mapped_bytes -= len(self.mappings.pop(key))

    def _keep(self, key: tuple[int, int], mapping: mmap.mmap) -> None:
        if len(mapping) > self.keep_mappings:
            return
        self.mappings[key] = mapping
        self.mapped_bytes += len(mapping)
        while self.mapped_bytes > self.keep_mappings:  # forgotten, not closed: arrays may still use them
            self.mapped_bytes -= len(self.mappings.popitem(last=False)[1])


def _untouched(mapping: mmap.mmap) -> bool:
    """Whether no page of a private (copy-on-write) file mapping was written: by /proc/self/pagemap, each page is
    either not mapped or still the file's own (a written page is an anonymous copy, perhaps swapped out)."""
    page = mmap.PAGESIZE
    pages = -(-len(mapping) // page)
    address = np.frombuffer(mapping, dtype=np.uint8, count=1).ctypes.data
    raw = bytearray(pages * 8)
    view, done = memoryview(raw), 0
    try:
        with open(PAGEMAP, "rb", buffering=0) as pagemap:
            while done < len(raw):
                count = os.preadv(pagemap.fileno(), [view[done:]], address // page * 8 + done)
                if not count:
                    return False
                done += count
    except OSError:  # no /proc: every array is mapped afresh
        return False
    entries = np.frombuffer(raw, dtype=np.uint64)
    present, swapped, file_page = ((entries >> np.uint64(bit)) & np.uint64(1) for bit in (63, 62, 61))
    return not np.any(swapped | (present & (file_page ^ np.uint64(1))))


def _sealed_memfd(flat: Bytes) -> int:
    fd = os.memfd_create("coursesite-array", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        write_all(fd, flat)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SHARED_SEALS)
    except BaseException:
        os.close(fd)
        raise
    return fd
