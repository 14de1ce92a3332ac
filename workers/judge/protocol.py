"""Wire format between the judge and the sandboxed student runner: framed JSON plus .npy blobs."""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import time
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
        self.blobs: list[list[bytes | memoryview]] = []
        self.nodes = 0
        self.size = 0

    def blob(self, array: np.ndarray) -> int:
        """An .npy blob as (header, data) buffers; the data is the array's memory, not a copy."""
        if array.dtype.kind not in ALLOWED_DTYPE_KINDS:
            raise EncodeError(f"numpy arrays of dtype {array.dtype} cannot be returned")
        if len(self.blobs) >= MAX_ARRAYS:
            raise EncodeError(f"more than {MAX_ARRAYS} arrays in one value")
        if array.flags.c_contiguous:
            raw = array
        elif array.flags.f_contiguous:
            raw = array.T  # the same memory in C order; the header says fortran_order (X = data.T is common)
        else:
            array = raw = np.ascontiguousarray(array).reshape(array.shape)
        header = io.BytesIO()
        np.lib.format.write_array_header_2_0(header, np.lib.format.header_data_from_array_1_0(array))
        data = memoryview(raw.reshape(-1).view(np.uint8))
        self.size += header.tell() + data.nbytes
        if self.size > MAX_MESSAGE_BYTES:
            raise EncodeError(f"value larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        self.blobs.append([header.getvalue(), data])
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


def encode(value: Any) -> list[bytes | memoryview]:
    """One message as buffers: JSON length, JSON tree, then the .npy blobs it refers to."""
    encoder = _Encoder()
    tree = encoder.encode(value, 0)
    sizes = [sum(len(part) if isinstance(part, bytes) else part.nbytes for part in blob) for blob in encoder.blobs]
    text = json.dumps({"v": tree, "blobs": sizes}, allow_nan=False).encode()
    total = JSON_LEN.size + len(text) + sum(sizes)
    if total > MAX_MESSAGE_BYTES:
        raise EncodeError(f"value larger than {MAX_MESSAGE_BYTES // 2**20} MB")
    return [HEADER.pack(MAGIC, total), JSON_LEN.pack(len(text)), text, *(p for blob in encoder.blobs for p in blob)]


def _reject_constant(name: str) -> None:
    raise ProtocolError(f"non-JSON constant {name}")


def _load_array(data: memoryview) -> np.ndarray:
    """An .npy blob read without pickles: numpy's own header parser, the header checked
    against the bytes present, then the array viewed in place (no copy)."""
    stream = io.BytesIO(bytes(data[:HEADER_PEEK]))
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
    count = math.prod(shape)
    if count * dtype.itemsize != data.nbytes - stream.tell():
        raise ProtocolError("array data does not match its header")
    if count == 0:
        return np.empty(shape, dtype=dtype)
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    array = flat.reshape(shape, order="F" if fortran else "C")
    if not array.flags.aligned:
        # Blobs sit at arbitrary offsets in the message; numpy cannot hand unaligned data to BLAS and falls
        # back to loops many times slower, so one copy here pays for itself at once.
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
    if end + sum(sizes) != len(view):
        raise ProtocolError("blob table does not match the message length")
    blobs = []
    for size in sizes:
        blobs.append(view[end : end + size])
        end += size
    return _Decoder(blobs).decode(envelope["v"], 0)


def write_message(fd: int, value: Any) -> None:
    """Encode and write one framed message to a raw (blocking) file descriptor."""
    for part in encode(value):
        view = memoryview(part).cast("B")
        while view:
            view = view[os.write(fd, view) :]


class FrameReader:
    """Reads framed messages from a raw fd, with an optional deadline (time.monotonic)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def _wait(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise ChannelTimeout()

    def _read_into(self, view: memoryview, deadline: float | None) -> None:
        filled = 0
        while filled < len(view):
            self._wait(deadline)
            count = os.readv(self.fd, [view[filled:]])
            if not count:
                raise ChannelClosed("channel closed")
            filled += count

    def read(self, deadline: float | None = None) -> Any:
        head = bytearray(HEADER.size)
        self._read_into(memoryview(head), deadline)
        magic, length = HEADER.unpack(head)
        if magic != MAGIC:
            raise ProtocolError("garbage on the channel")
        if length > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        payload = bytearray(length)
        self._read_into(memoryview(payload), deadline)
        return decode(payload)


def write_frame(fd: int, parts: list[bytes | memoryview], deadline: float) -> None:
    """Write a whole frame, giving up at the deadline (a peer that stops reading cannot block us)."""
    was_blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        for part in parts:
            view = memoryview(part).cast("B")
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                    raise ChannelTimeout()
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    continue
    finally:
        os.set_blocking(fd, was_blocking)
