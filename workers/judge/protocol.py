"""Wire format between the judge and the sandboxed student runner: framed JSON plus .npy blobs."""

from __future__ import annotations

import array
import contextlib
import fcntl
import functools
import io
import json
import math
import mmap
import os
import select
import socket
import stat
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

MAGIC = b"CSJ1"
HEADER = struct.Struct(">4sI")  # magic, payload length
JSON_LEN = struct.Struct(">I")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
# The JSON part of a message (everything but the array blobs) is capped on its own, and checked before it is parsed:
# parsed JSON costs some 25 times its size (a 4 MB reply of empty lists: about 100 MB in the judge).
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 1_000_000
MAX_ARRAYS = 10_000
MAX_DIMS = 32  # numpy's own limit is 64
# Plain numeric and text dtypes only: object, void (structured) and datetime dtypes are refused.
ALLOWED_DTYPE_KINDS = frozenset("biufcUS")
# Enough bytes to hold any .npy header we accept (numpy caps headers far below this).
HEADER_PEEK = 65536 + 16
# Every blob starts at a multiple of this offset in the payload; with numpy's .npy headers padded to the same
# multiple, array data lands aligned and is decoded in place, without a copy.
ALIGN = 64
# Parts smaller than this are joined into one write; larger ones (array data) are written from their own memory.
COALESCE_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
# Arrays at least this big cross as sealed memfds over the channel's socket instead of through the pipe: the
# writer copies the array once into the memfd, the reader maps its pages (no copy, no page zeroing).
SHARED_MIN_BYTES = 1 << 20
MAX_SHARED = 64
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


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed, allowed message."""


class EncodeError(ProtocolError):
    """A value cannot be carried (unsupported type, object array, too big or too deep)."""


class ChannelClosed(ProtocolError):
    """The other side closed its end (usually: the process died)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


def _as_numpy(value: Any) -> np.ndarray | None:
    """Torch tensors become numpy arrays; torch is never imported here for that."""
    kind = type(value)
    if kind.__name__ == "Tensor" and kind.__module__.split(".")[0] == "torch":
        array: np.ndarray = value.detach().cpu().numpy()
        return array
    return None


class _Encoder:
    def __init__(self, shared: SharedMemory | None) -> None:
        self.blobs: list[tuple[bytes, memoryview]] = []
        self.shared = shared
        self.shared_blobs: list[list[int]] = []  # [blob index, offset in its memfd, data bytes]
        self.shared_size = 0
        self.nodes = 0
        self.size = 0

    def blob(self, array: np.ndarray) -> int:
        """An .npy blob as (header, data) buffers; the data is the array's memory, not a copy."""
        if array.dtype.kind not in ALLOWED_DTYPE_KINDS or array.dtype.itemsize == 0:
            raise EncodeError(f"numpy arrays of dtype {array.dtype} cannot be returned")
        if array.ndim > MAX_DIMS:
            raise EncodeError(f"numpy arrays of more than {MAX_DIMS} dimensions cannot be returned")
        if len(self.blobs) >= MAX_ARRAYS:
            raise EncodeError(f"more than {MAX_ARRAYS} arrays in one value")
        if array.flags.c_contiguous:
            raw, fortran = array, False
        elif array.flags.f_contiguous:
            raw, fortran = array.T, True  # the same memory in C order; the header says fortran_order (X = data.T)
        else:
            array = raw = np.ascontiguousarray(array).reshape(array.shape)
            fortran = False
        header = _npy_header(array.dtype, fortran, array.shape)
        flat = raw.reshape(-1).view(np.uint8)
        shared = self.shared
        if shared is not None and shared.accepts(self.shared_size + flat.nbytes, flat.nbytes) and shared.export(flat):
            # Only the .npy header travels in the message; the data is in the memfd sent with it.
            self.shared_blobs.append([len(self.blobs), 0, flat.nbytes])
            self.shared_size += flat.nbytes
            self.size += _aligned(len(header))
            self.blobs.append((header, memoryview(b"")))
            return len(self.blobs) - 1
        data = memoryview(flat)
        self.size += _aligned(len(header) + data.nbytes)
        if self.size + self.shared_size > MAX_MESSAGE_BYTES:  # the pipe's bytes and the memfds' together
            raise EncodeError(f"value larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        self.blobs.append((header, data))
        return len(self.blobs) - 1

    def encode(self, value: Any, depth: int) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise EncodeError(f"value nested deeper than {MAX_DEPTH} levels")
        if self.nodes > MAX_NODES:
            raise EncodeError(f"value with more than {MAX_NODES} items")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return float(value)
            return {"$f": repr(float(value))}
        if isinstance(value, np.ndarray):
            return {"$a": self.blob(value)}
        if isinstance(value, np.generic):
            return {"$s": self.blob(np.asarray(value))}
        if isinstance(value, list):
            return [self.encode(item, depth + 1) for item in value]
        if isinstance(value, tuple):
            return {"$t": [self.encode(item, depth + 1) for item in value]}
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise EncodeError(f"dict keys must be str, not {type(key).__name__}")
                out[key] = self.encode(item, depth + 1)
            return {"$d": out}
        converted = _as_numpy(value)
        if converted is not None:
            return {"$a": self.blob(converted)}
        raise EncodeError(f"values of type {type(value).__name__} cannot be returned")


def _aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


@functools.lru_cache(maxsize=256)
def _npy_header(dtype: np.dtype, fortran: bool, shape: tuple[int, ...]) -> bytes:
    """numpy's own .npy 2.0 header (padded to a multiple of 64 bytes); calls repeat shapes, so it is cached."""
    header = io.BytesIO()
    descr = np.lib.format.dtype_to_descr(dtype)
    np.lib.format.write_array_header_2_0(header, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return header.getvalue()


def _coalesce(parts: list[bytes | memoryview]) -> list[bytes | memoryview]:
    """Small consecutive parts joined, so a small message is one write and one wake-up of the reader."""
    out: list[bytes | memoryview] = []
    small: list[bytes | memoryview] = []
    for part in parts:
        if len(part) < COALESCE_BYTES:
            small.append(part)
            continue
        if small:
            out.append(b"".join(small))
            small = []
        out.append(part)
    if small:
        out.append(b"".join(small))
    return out


def encode(value: Any, shared: SharedMemory | None = None) -> list[bytes | memoryview]:
    """One message as buffers: the frame header, the JSON length and tree, then the .npy blobs it refers to,
    each starting at a multiple of ALIGN bytes into the payload (zero padding between them).

    With `shared`, large arrays go into sealed memfds instead (only their .npy headers are in the message); the
    caller sends them with `shared.flush()` before writing the message."""
    encoder = _Encoder(shared)
    try:
        tree = encoder.encode(value, 0)
        if len(encoder.shared_blobs) > MAX_SHARED:
            raise EncodeError(f"more than {MAX_SHARED} large arrays in one value")
    except BaseException:
        if shared is not None:
            shared.discard()
        raise
    sizes = [len(header) + data.nbytes for header, data in encoder.blobs]
    envelope: dict[str, Any] = {"v": tree, "blobs": sizes}
    if encoder.shared_blobs:
        envelope["shared"] = encoder.shared_blobs
    text = json.dumps(envelope, allow_nan=False).encode()
    problem = _json_problem(text)
    if problem is not None:
        if shared is not None:
            shared.discard()
        raise EncodeError(f"{problem}: return large data as numpy arrays")
    start = _aligned(JSON_LEN.size + len(text))
    parts: list[bytes | memoryview] = [b"", JSON_LEN.pack(len(text)), text, bytes(start - JSON_LEN.size - len(text))]
    for (header, data), size in zip(encoder.blobs, sizes, strict=True):
        parts += [header, data, bytes(_aligned(size) - size)]
        start += _aligned(size)
    if start + encoder.shared_size > MAX_MESSAGE_BYTES:
        if shared is not None:
            shared.discard()
        raise EncodeError(f"value larger than {MAX_MESSAGE_BYTES // 2**20} MB")
    parts[0] = HEADER.pack(MAGIC, start)
    return _coalesce([part for part in parts if len(part)])


def _json_problem(text: bytes) -> str | None:
    """Why a message's JSON text is refused before it is parsed (None if it is not): too big, or more items than
    the decoder takes. Items are bounded from above by the text's separators and brackets (those inside strings
    count too: a C-speed count, no parse, no memory)."""
    if len(text) > MAX_JSON_BYTES:
        return (
            f"value too large: {len(text) / 2**20:.1f} MB of lists, numbers and text "
            f"(at most {MAX_JSON_BYTES // 2**20} MB besides numpy arrays)"
        )
    if len(text) > MAX_NODES and text.count(b",") + text.count(b"[") + text.count(b"{") > MAX_NODES:
        return f"value with more than {MAX_NODES} items"
    return None


def _reject_constant(name: str) -> None:
    raise ProtocolError(f"non-JSON constant {name}")


NPY_PREFIX = struct.Struct("<6sBB")  # magic string, major and minor version
NPY_HEADER_LEN = {1: struct.Struct("<H"), 2: struct.Struct("<I"), 3: struct.Struct("<I")}
CACHED_HEADER_BYTES = 1024


def _parse_npy_header(raw: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran order, dtype, data offset) of an .npy blob's start, by numpy's own header parser."""
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except ValueError as error:
        raise ProtocolError(f"bad .npy header: {str(error)[:200]}") from None
    except Exception as error:  # the header is Python literal syntax: {[]: 0} is a TypeError, and so on
        raise ProtocolError(f"bad .npy header ({type(error).__name__})") from None
    if dtype.kind not in ALLOWED_DTYPE_KINDS or dtype.hasobject:
        raise ProtocolError(f"arrays of dtype {dtype} are refused")
    if dtype.itemsize == 0:
        raise ProtocolError(f"arrays of dtype {dtype} (items of zero bytes) are refused")
    if len(shape) > MAX_DIMS or any(size < 0 for size in shape):
        raise ProtocolError(f"an array of shape {str(shape)[:100]} is refused")
    return shape, fortran, dtype, stream.tell()


# Calls repeat the same shapes; parsing a header costs far more than the call itself for small arrays.
_parse_npy_header_cached = functools.lru_cache(maxsize=256)(_parse_npy_header)


def _npy_header_bytes(data: memoryview) -> bytes:
    """The magic, version, length and header text of an .npy blob (at most HEADER_PEEK bytes)."""
    if data.nbytes >= NPY_PREFIX.size:
        _, major, _ = NPY_PREFIX.unpack_from(data)
        length = NPY_HEADER_LEN.get(major)
        if length is not None and data.nbytes >= NPY_PREFIX.size + length.size:
            (size,) = length.unpack_from(data, NPY_PREFIX.size)
            return bytes(data[: min(NPY_PREFIX.size + length.size + size, HEADER_PEEK)])
    return bytes(data[:HEADER_PEEK])


def _load_array(data: memoryview, body: memoryview | None = None) -> np.ndarray:
    """An .npy blob read without pickles: numpy's own header parser, the header checked
    against the bytes present, then the array viewed in place (no copy when aligned).
    With `body`, the blob is the header alone and the array's data is `body` (a shared memfd's pages)."""
    raw = _npy_header_bytes(data)
    parse = _parse_npy_header_cached if len(raw) <= CACHED_HEADER_BYTES else _parse_npy_header
    shape, fortran, dtype, offset = parse(raw)
    if body is not None:
        if offset != data.nbytes:
            raise ProtocolError("a shared array's blob holds more than its header")
        data, offset = body, 0
    count = math.prod(shape)
    if count * dtype.itemsize != data.nbytes - offset:
        raise ProtocolError("array data does not match its header")
    if count == 0:
        if math.prod(size for size in shape if size) > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"an empty array of shape {str(shape)[:100]} is refused")
        return np.empty(shape, dtype=dtype)
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    array = flat.reshape(shape, order="F" if fortran else "C")
    if not array.flags.aligned:
        # numpy cannot hand unaligned data to BLAS and falls back to loops many times slower, so one copy here
        # pays for itself at once (blobs are aligned by the encoder; this guards a hand-made message).
        array = array.copy(order="K")
    return array


class _Decoder:
    def __init__(self, blobs: list[memoryview], bodies: dict[int, memoryview]) -> None:
        self.blobs = blobs
        self.bodies = bodies
        self.used: set[int] = set()
        self.nodes = 0

    def array(self, index: Any) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            raise ProtocolError("bad array reference")
        self.used.add(index)
        return _load_array(self.blobs[index], self.bodies.get(index))

    def decode(self, node: Any, depth: int) -> Any:
        """The value of a parsed JSON node; lists and dicts are decoded in place (the parsed tree is ours), so a
        large value is not held twice. The recursion is bounded by MAX_DEPTH."""
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise ProtocolError(f"value nested deeper than {MAX_DEPTH} levels")
        if self.nodes > MAX_NODES:
            raise ProtocolError(f"value with more than {MAX_NODES} items")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            for position, item in enumerate(node):
                node[position] = self.decode(item, depth + 1)
            return node
        if not isinstance(node, dict) or len(node) != 1:
            raise ProtocolError("malformed value")
        ((tag, inner),) = node.items()
        if tag == "$a":
            return self.array(inner)
        if tag == "$s":
            scalar = self.array(inner)
            if scalar.shape != ():
                raise ProtocolError("scalar with a shape")
            return scalar[()]
        if tag == "$f" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "$t" and isinstance(inner, list):
            return tuple(self.decode(item, depth + 1) for item in inner)
        if tag == "$d" and isinstance(inner, dict):
            for key, item in inner.items():
                inner[key] = self.decode(item, depth + 1)
            return inner
        raise ProtocolError(f"unknown value tag {str(tag)[:40]!r}")


class MessageTooLarge(ProtocolError):
    """A message bigger than the reader's `limit` (see FrameReader.read)."""


def decode(payload: bytes | bytearray, shared: SharedMemory | None = None, shared_limit: int | None = None) -> Any:
    """Inverse of encode (without the frame header); anything unexpected raises ProtocolError, whatever the
    bytes (no other exception escapes), and nothing is unpickled. Arrays share the payload's memory (writable
    when it is a bytearray); shared arrays are private (copy-on-write) mappings of the memfds that came with the
    message over `shared`, at most `shared_limit` bytes of them (MessageTooLarge)."""
    return _decode_counted(payload, shared, shared_limit)[0]


def _decode_counted(
    payload: bytes | bytearray, shared: SharedMemory | None, shared_limit: int | None
) -> tuple[Any, int]:
    """(value, bytes of shared arrays mapped for it)."""
    try:
        return _decode(payload, shared, shared_limit)
    except ProtocolError:
        raise
    except Exception as error:  # KeyError, TypeError, OverflowError, MemoryError, RecursionError, ...: refused
        raise ProtocolError(f"undecodable message ({type(error).__name__}: {str(error)[:120]})") from None


def _decode(payload: bytes | bytearray, shared: SharedMemory | None, shared_limit: int | None) -> tuple[Any, int]:
    view = memoryview(payload)
    if len(view) < JSON_LEN.size:
        raise ProtocolError("short message")
    (text_len,) = JSON_LEN.unpack_from(view)
    end = JSON_LEN.size + text_len
    if end > len(view):
        raise ProtocolError("short message")
    if text_len > MAX_JSON_BYTES:  # refused before it is even copied out
        raise ProtocolError(f"its JSON part is larger than {MAX_JSON_BYTES // 2**20} MB")
    text = bytes(view[JSON_LEN.size : end])
    problem = _json_problem(text)
    if problem is not None:
        raise ProtocolError(problem)
    try:
        envelope = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # the parser's own depth guard (it counts against the recursion limit)
        raise ProtocolError(f"value nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise ProtocolError(f"bad JSON: {str(error)[:200]}") from None
    del text
    if not isinstance(envelope, dict) or set(envelope) - {"shared"} != {"v", "blobs"}:
        raise ProtocolError("malformed envelope")
    sizes = envelope["blobs"]
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise ProtocolError("malformed blob table")
    blobs = []
    start = _aligned(end)
    for size in sizes:
        if start + size > len(view):
            raise ProtocolError("blob table does not match the message length")
        blobs.append(view[start : start + size])
        start = _aligned(start + size)
    if start != len(view):
        raise ProtocolError("blob table does not match the message length")
    bodies: dict[int, memoryview] = {}
    if "shared" in envelope:
        bodies = _shared_bodies(envelope["shared"], len(blobs), shared, shared_limit)
    value = _Decoder(blobs, bodies).decode(envelope["v"], 0)
    return value, sum(body.nbytes for body in bodies.values())


def _shared_bodies(
    table: Any, blob_count: int, shared: SharedMemory | None, limit: int | None
) -> dict[int, memoryview]:
    """The data of the message's shared arrays: one memfd each, received now, checked and mapped."""
    if not isinstance(table, list) or not 0 < len(table) <= MAX_SHARED:
        raise ProtocolError("malformed shared-array table")
    entries = []
    for entry in table:
        if not (isinstance(entry, list) and len(entry) == 3 and all(type(n) is int and n >= 0 for n in entry)):
            raise ProtocolError("malformed shared-array table")
        index, offset, size = entry
        if index >= blob_count or offset % ALIGN or size > MAX_MESSAGE_BYTES:
            raise ProtocolError("malformed shared-array table")
        entries.append((index, offset, size))
    total = sum(size for _, _, size in entries)
    if len({index for index, _, _ in entries}) != len(entries) or total > MAX_MESSAGE_BYTES:
        raise ProtocolError("malformed shared-array table")
    if limit is not None and total > limit:
        raise MessageTooLarge(f"shared arrays of {total // 2**20} MB")
    if shared is None:
        raise ProtocolError("shared arrays on a channel without shared memory")
    bodies = {}
    fds = shared.receive(len(entries))
    try:
        for position, (index, offset, size) in enumerate(entries):
            fd, fds[position] = fds[position], -1
            bodies[index] = shared.attach(fd, offset, size)
    finally:
        for fd in fds:
            if fd >= 0:
                os.close(fd)
    return bodies


def write_message(fd: int, value: Any, shared: SharedMemory | None = None) -> None:
    """Encode and write one framed message to a raw (blocking) file descriptor."""
    write_parts(fd, encode(value, shared), shared)


def write_parts(fd: int, parts: list[bytes | memoryview], shared: SharedMemory | None = None) -> None:
    """Write a message encoded with `shared` (its memfds first) to a raw (blocking) file descriptor."""
    if shared is not None:
        shared.flush(None)
    for part in parts:
        _write_all(fd, part)


def _write_all(fd: int, data: bytes | memoryview | np.ndarray) -> None:
    """All of `data` to a blocking fd (a write may take only part of it)."""
    view = memoryview(data).cast("B")
    while view:
        view = view[os.write(fd, view) :]


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
            payload = bytearray(length)
        except MemoryError:
            raise ProtocolError(f"no memory left in the judge for a message of {length // 2**20} MB") from None
        self._read_into(memoryview(payload), deadline)
        value, shared_bytes = _decode_counted(payload, self.shared, None if limit is None else limit - length)
        self.last_bytes = length + shared_bytes
        return value


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
    ):
        self.sock = sock
        self.max_file_bytes = max_file_bytes  # RLIMIT_FSIZE also caps a memfd
        self.cache = cache
        self.outgoing: list[int] = []
        self.owned: list[int] = []
        # Mappings of received memfds by file (device, inode), most recently used last, up to `keep_mappings` bytes.
        self.keep_mappings = keep_mappings
        self.mappings: OrderedDict[tuple[int, int], mmap.mmap] = OrderedDict()
        self.mapped_bytes = 0
        self.attached: set[tuple[int, int]] = set()  # kept mappings handed out since the last forget_written()

    def accepts(self, total: int, nbytes: int) -> bool:
        if nbytes < SHARED_MIN_BYTES or total > MAX_MESSAGE_BYTES:
            return False
        return self.max_file_bytes is None or nbytes <= self.max_file_bytes

    def export(self, flat: np.ndarray) -> bool:
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


def _sealed_memfd(flat: np.ndarray) -> int:
    fd = os.memfd_create("coursesite-array", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        _write_all(fd, flat)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SHARED_SEALS)
    except BaseException:
        os.close(fd)
        raise
    return fd


class SentArrays:
    """The judge's memfds already sent, by the memory they were copied from (address and size), most recently
    used last, up to `limit` bytes in all. A memfd is sent again only while that memory still holds the same
    bytes; the arrays' owners never learn of it."""

    def __init__(self, limit: int = 256 * 2**20) -> None:
        self.limit = limit
        self.total = 0
        self.entries: OrderedDict[tuple[int, int], tuple[int, np.ndarray]] = OrderedDict()
        self.closing: list[int] = []  # dropped, closed by trim() once the message being built is sent

    def find(self, flat: np.ndarray) -> int | None:
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

    def keep(self, flat: np.ndarray, fd: int) -> bool:
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


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Byte-for-byte equality of two flat uint8 arrays (as words where the length allows: several times faster)."""
    if a.nbytes % 8 == 0:
        a, b = a.view(np.uint64), b.view(np.uint64)
    return bool(np.array_equal(a, b))
