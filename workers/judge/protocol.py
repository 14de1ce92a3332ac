"""Wire format between the judge and the sandboxed student runner: framed JSON plus .npy blobs."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MAGIC = b"CSJ1"
HEADER = struct.Struct(">4sI")  # magic, payload length
JSON_LEN = struct.Struct(">I")
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 1_000_000
MAX_ARRAYS = 10_000
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
        return value.detach().cpu().numpy()
    return None


class _Encoder:
    def __init__(self) -> None:
        self.blobs: list[tuple[bytes, memoryview]] = []
        self.nodes = 0
        self.size = 0

    def blob(self, array: np.ndarray) -> int:
        """An .npy blob as (header, data) buffers; the data is the array's memory, not a copy."""
        if array.dtype.kind not in ALLOWED_DTYPE_KINDS:
            raise EncodeError(f"numpy arrays of dtype {array.dtype} cannot be returned")
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
        data = memoryview(raw.reshape(-1).view(np.uint8))
        self.size += _aligned(len(header) + data.nbytes)
        if self.size > MAX_MESSAGE_BYTES:
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


def encode(value: Any) -> list[bytes | memoryview]:
    """One message as buffers: the frame header, the JSON length and tree, then the .npy blobs it refers to,
    each starting at a multiple of ALIGN bytes into the payload (zero padding between them)."""
    encoder = _Encoder()
    tree = encoder.encode(value, 0)
    sizes = [len(header) + data.nbytes for header, data in encoder.blobs]
    text = json.dumps({"v": tree, "blobs": sizes}, allow_nan=False).encode()
    start = _aligned(JSON_LEN.size + len(text))
    parts: list[bytes | memoryview] = [b"", JSON_LEN.pack(len(text)), text, bytes(start - JSON_LEN.size - len(text))]
    for (header, data), size in zip(encoder.blobs, sizes, strict=True):
        parts += [header, data, bytes(_aligned(size) - size)]
        start += _aligned(size)
    if start > MAX_MESSAGE_BYTES:
        raise EncodeError(f"value larger than {MAX_MESSAGE_BYTES // 2**20} MB")
    parts[0] = HEADER.pack(MAGIC, start)
    return _coalesce([part for part in parts if len(part)])


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
    except ValueError as error:
        raise ProtocolError(f"bad .npy header: {str(error)[:200]}") from None
    if dtype.kind not in ALLOWED_DTYPE_KINDS or dtype.hasobject:
        raise ProtocolError(f"arrays of dtype {dtype} are refused")
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


def _load_array(data: memoryview) -> np.ndarray:
    """An .npy blob read without pickles: numpy's own header parser, the header checked
    against the bytes present, then the array viewed in place (no copy when aligned)."""
    raw = _npy_header_bytes(data)
    parse = _parse_npy_header_cached if len(raw) <= CACHED_HEADER_BYTES else _parse_npy_header
    shape, fortran, dtype, offset = parse(raw)
    count = math.prod(shape)
    if count * dtype.itemsize != data.nbytes - offset:
        raise ProtocolError("array data does not match its header")
    if count == 0:
        return np.empty(shape, dtype=dtype)
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    array = flat.reshape(shape, order="F" if fortran else "C")
    if not array.flags.aligned:
        # numpy cannot hand unaligned data to BLAS and falls back to loops many times slower, so one copy here
        # pays for itself at once (blobs are aligned by the encoder; this guards a hand-made message).
        array = array.copy(order="K")
    return array


class _Decoder:
    def __init__(self, blobs: list[memoryview]) -> None:
        self.blobs = blobs
        self.used: set[int] = set()
        self.nodes = 0

    def array(self, index: Any) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            raise ProtocolError("bad array reference")
        self.used.add(index)
        return _load_array(self.blobs[index])

    def decode(self, node: Any, depth: int) -> Any:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise ProtocolError("value too deep or too large")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item, depth + 1) for item in node]
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
            return {key: self.decode(item, depth + 1) for key, item in inner.items()}
        raise ProtocolError(f"unknown value tag {tag!r}")


def decode(payload: bytes | bytearray) -> Any:
    """Inverse of encode (without the frame header); anything unexpected raises ProtocolError,
    nothing is unpickled. Arrays share the payload's memory (writable when it is a bytearray)."""
    view = memoryview(payload)
    if len(view) < JSON_LEN.size:
        raise ProtocolError("short message")
    (text_len,) = JSON_LEN.unpack_from(view)
    end = JSON_LEN.size + text_len
    if end > len(view):
        raise ProtocolError("short message")
    try:
        envelope = json.loads(bytes(view[JSON_LEN.size : end]), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"bad JSON: {str(error)[:200]}") from None
    if not isinstance(envelope, dict) or set(envelope) != {"v", "blobs"}:
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
    return _Decoder(blobs).decode(envelope["v"], 0)


def write_message(fd: int, value: Any) -> None:
    """Encode and write one framed message to a raw (blocking) file descriptor."""
    for part in encode(value):
        view = memoryview(part).cast("B")
        while view:
            view = view[os.write(fd, view) :]


class FrameReader:
    """Reads framed messages from a raw fd, with an optional deadline (time.monotonic). Reads ahead in
    chunks, so a small message costs one read; a large payload is read straight into its own buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()

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

    def read(self, deadline: float | None = None) -> Any:
        self._fill(HEADER.size, deadline)
        magic, length = HEADER.unpack_from(self.pending)
        if magic != MAGIC:
            raise ProtocolError("garbage on the channel")
        if length > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        del self.pending[: HEADER.size]
        payload = bytearray(length)
        self._read_into(memoryview(payload), deadline)
        return decode(payload)


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
