"""The caps every message is held to, on both sides (checked before anything is parsed or allocated)."""

from __future__ import annotations

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

# Every blob starts at a multiple of this offset in the payload; with numpy's .npy headers padded to the same
# multiple, array data lands aligned and is decoded in place, without a copy.
ALIGN = 64
# Arrays at least this big cross as sealed memfds over the channel's socket instead of through the pipe: the
# writer copies the array once into the memfd, the reader maps its pages (no copy, no page zeroing).
SHARED_MIN_BYTES = 1 << 20
MAX_SHARED = 64


def aligned(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN
