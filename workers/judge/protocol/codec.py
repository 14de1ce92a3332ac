"""A value as one message's payload, and back: a JSON tree (tagged for tuples, dicts, non-finite floats and
arrays) followed by the .npy blobs it refers to, or with `shared`, large arrays in sealed memfds (see memfd.py)."""

from __future__ import annotations

import json
import math
import os
import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from . import npy
from .errors import EncodeError, MessageTooLarge, ProtocolError
from .framing import HEADER, MAGIC
from .limits import (
    ALIGN,
    ALLOWED_DTYPE_KINDS,
    MAX_ARRAYS,
    MAX_DEPTH,
    MAX_DIMS,
    MAX_JSON_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_NODES,
    MAX_SHARED,
    aligned,
)

if TYPE_CHECKING:
    from .memfd import SharedMemory

JSON_LEN = struct.Struct(">I")
# Parts smaller than this are joined into one write; larger ones (array data) are written from their own memory.
COALESCE_BYTES = 64 * 1024


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
        header = npy.header(array.dtype, fortran, array.shape)
        flat = raw.reshape(-1).view(np.uint8)
        shared = self.shared
        if shared is not None and shared.accepts(self.shared_size + flat.nbytes, flat.nbytes) and shared.export(flat):
            # Only the .npy header travels in the message; the data is in the memfd sent with it.
            self.shared_blobs.append([len(self.blobs), 0, flat.nbytes])
            self.shared_size += flat.nbytes
            self.size += aligned(len(header))
            self.blobs.append((header, memoryview(b"")))
            return len(self.blobs) - 1
        data = memoryview(flat)
        self.size += aligned(len(header) + data.nbytes)
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
    start = aligned(JSON_LEN.size + len(text))
    parts: list[bytes | memoryview] = [b"", JSON_LEN.pack(len(text)), text, bytes(start - JSON_LEN.size - len(text))]
    for (header, data), size in zip(encoder.blobs, sizes, strict=True):
        parts += [header, data, bytes(aligned(size) - size)]
        start += aligned(size)
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
        return npy.load_array(self.blobs[index], self.bodies.get(index))

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


def decode(
    payload: bytes | bytearray | memoryview, shared: SharedMemory | None = None, shared_limit: int | None = None
) -> Any:
    """Inverse of encode (without the frame header); anything unexpected raises ProtocolError, whatever the
    bytes (no other exception escapes), and nothing is unpickled. Arrays share the payload's memory (writable
    when it is: a bytearray, or the reader's numpy buffer); shared arrays are private (copy-on-write) mappings of
    the memfds that came with the message over `shared`, at most `shared_limit` bytes of them (MessageTooLarge)."""
    return decode_counted(payload, shared, shared_limit)[0]


def decode_counted(
    payload: bytes | bytearray | memoryview, shared: SharedMemory | None, shared_limit: int | None
) -> tuple[Any, int]:
    """(value, bytes of shared arrays mapped for it)."""
    try:
        return _decode(payload, shared, shared_limit)
    except ProtocolError:
        raise
    except Exception as error:  # KeyError, TypeError, OverflowError, MemoryError, RecursionError, ...: refused
        raise ProtocolError(f"undecodable message ({type(error).__name__}: {str(error)[:120]})") from None


def _decode(
    payload: bytes | bytearray | memoryview, shared: SharedMemory | None, shared_limit: int | None
) -> tuple[Any, int]:
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
    start = aligned(end)
    for size in sizes:
        if start + size > len(view):
            raise ProtocolError("blob table does not match the message length")
        blobs.append(view[start : start + size])
        start = aligned(start + size)
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
