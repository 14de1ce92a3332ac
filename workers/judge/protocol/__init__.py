"""Wire format between the judge and the sandboxed student runner: framed JSON plus .npy blobs.

The public surface; each piece reads alone:
    limits.py    the caps every message is held to (size, depth, items, arrays, dtypes) and the blob alignment
    errors.py    ProtocolError and its kinds (EncodeError, ChannelClosed, MessageTooLarge), ChannelTimeout
    npy.py       the .npy codec: headers written and parsed by numpy's own code, arrays viewed in place
    codec.py     a value as a message's payload (a JSON tree plus the blobs it refers to) and back
    framing.py   frames on a pipe: the header, and a whole frame written before a deadline
    memfd.py     large arrays as sealed memfds over the channel's socket (SharedMemory): the judge's to the student
    splice.py    large parts written to the pipe by reference (vmsplice): what the student returns
    cache.py     the judge's memfds already sent, sent again for unchanged memory (SentArrays)
    messages.py  a message written whole (memfds, then the frame) and the FrameReader

The package is also mounted in the sandbox (as /judge/protocol, imported as `protocol`) and runs under every
grading runtime's Python (3.11 and later): standard library and numpy only, relative imports only.
"""

from __future__ import annotations

from .cache import SentArrays
from .codec import decode, encode
from .errors import ChannelClosed, ChannelTimeout, EncodeError, MessageTooLarge, ProtocolError
from .framing import HEADER, MAGIC, write_frame
from .limits import ALIGN, MAX_DEPTH, MAX_DIMS, MAX_JSON_BYTES, MAX_MESSAGE_BYTES, MAX_NODES, SHARED_MIN_BYTES
from .memfd import KEPT_MAPPING_BYTES, SHARED_MARK, SHARED_SEALS, SharedMemory
from .messages import FrameReader, write_message, write_parts

__all__ = [
    "ALIGN",
    "HEADER",
    "KEPT_MAPPING_BYTES",
    "MAGIC",
    "MAX_DEPTH",
    "MAX_DIMS",
    "MAX_JSON_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_NODES",
    "SHARED_MARK",
    "SHARED_MIN_BYTES",
    "SHARED_SEALS",
    "ChannelClosed",
    "ChannelTimeout",
    "EncodeError",
    "FrameReader",
    "MessageTooLarge",
    "ProtocolError",
    "SentArrays",
    "SharedMemory",
    "decode",
    "encode",
    "write_frame",
    "write_message",
    "write_parts",
]
