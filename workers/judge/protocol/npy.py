"""The .npy codec: numpy's own header format, written for arrays sent and parsed (never unpickled) for arrays
received, with the checks that keep a forged header from allocating or reading past its blob."""

from __future__ import annotations

import functools
import io
import math
import struct

import numpy as np

from .errors import ProtocolError
from .limits import ALLOWED_DTYPE_KINDS, MAX_DIMS, MAX_MESSAGE_BYTES

# Enough bytes to hold any .npy header we accept (numpy caps headers far below this).
HEADER_PEEK = 65536 + 16
NPY_PREFIX = struct.Struct("<6sBB")  # magic string, major and minor version
NPY_HEADER_LEN = {1: struct.Struct("<H"), 2: struct.Struct("<I"), 3: struct.Struct("<I")}
CACHED_HEADER_BYTES = 1024


@functools.lru_cache(maxsize=256)
def header(dtype: np.dtype, fortran: bool, shape: tuple[int, ...]) -> bytes:
    """numpy's own .npy 2.0 header (padded to a multiple of 64 bytes); calls repeat shapes, so it is cached."""
    header = io.BytesIO()
    descr = np.lib.format.dtype_to_descr(dtype)
    np.lib.format.write_array_header_2_0(header, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return header.getvalue()


def parse_header(raw: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
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
_parse_header_cached = functools.lru_cache(maxsize=256)(parse_header)


def _header_bytes(data: memoryview) -> bytes:
    """The magic, version, length and header text of an .npy blob (at most HEADER_PEEK bytes)."""
    if data.nbytes >= NPY_PREFIX.size:
        _, major, _ = NPY_PREFIX.unpack_from(data)
        length = NPY_HEADER_LEN.get(major)
        if length is not None and data.nbytes >= NPY_PREFIX.size + length.size:
            (size,) = length.unpack_from(data, NPY_PREFIX.size)
            return bytes(data[: min(NPY_PREFIX.size + length.size + size, HEADER_PEEK)])
    return bytes(data[:HEADER_PEEK])


def load_array(data: memoryview, body: memoryview | None = None) -> np.ndarray:
    """An .npy blob read without pickles: numpy's own header parser, the header checked
    against the bytes present, then the array viewed in place (no copy when aligned).
    With `body`, the blob is the header alone and the array's data is `body` (a shared memfd's pages)."""
    raw = _header_bytes(data)
    parse = _parse_header_cached if len(raw) <= CACHED_HEADER_BYTES else parse_header
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
