"""A hostile student for the limits probe suite: replies the judge must refuse without growing or failing itself.

Each function writes hand-made frames straight onto the judge's channel (file descriptor 4), with the id of the
call it serves (read from the student runner's frame), then waits to be stopped."""

import json
import os
import struct
import sys
import time

CHANNEL_OUT = 4
NPY_MAGIC = b"\x93NUMPY"


def value():
    return 42


def _call_id():
    frame = sys._getframe(1)
    while frame is not None and "call_id" not in frame.f_locals:
        frame = frame.f_back
    return frame.f_locals["call_id"]


def _padded(data):
    return data + bytes(-len(data) % 64)  # the protocol's layout: each blob at a multiple of 64 bytes


def _frame(value_text, blobs=()):
    """A well-framed message whose JSON part is `value_text` (the value, as JSON) around the blobs."""
    sizes = json.dumps([len(blob) for blob in blobs])
    text = b'{"v": ' + value_text + b', "blobs": ' + sizes.encode() + b"}"
    payload = _padded(struct.pack(">I", len(text)) + text) + b"".join(_padded(blob) for blob in blobs)
    return b"CSJ1" + struct.pack(">I", len(payload)) + payload


def _reply(call_id, value_text, blobs=()):
    text = b'{"$d": {"kind": "result", "id": %d, "seconds": 0.0, "value": %s}}' % (call_id, value_text)
    return _frame(text, blobs)


def _write(data):
    view = memoryview(data)
    while view:
        view = view[os.write(CHANNEL_OUT, view) :]


def _npy(header_text, data=b""):
    header = header_text.encode("latin1")
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(header)) + header + data


# .npy headers the judge's decoder must refuse: numpy's header parser lets some through that make no array (items
# of zero bytes, negative or absurd shapes) and raises TypeError on others.
BAD_NPY = {
    "zero_itemsize_str": _npy("{'descr': '<U0', 'fortran_order': False, 'shape': (5,), }"),
    "zero_itemsize_bytes": _npy("{'descr': '|S0', 'fortran_order': False, 'shape': (3, 2), }"),
    "negative_dims": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -1), }", bytes(8)),
    "overflowing_empty_shape": _npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': (0, {2**62}, {2**62}), }}"),
    "too_many_dims": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (" + "1, " * 70 + "), }", bytes(8)),
    "unhashable_header": _npy("{[]: 0, 'descr': '<f8'}"),
    "fortran_order_not_bool": _npy("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (1,), }", bytes(8)),
    "huge_header": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), '" + "x" * 60000 + "': 0}"),
}


def bad_npy(variant):
    _write(_reply(_call_id(), b'{"$a": 0}', [BAD_NPY[variant]]))
    time.sleep(5)


def huge_json(mb):
    """A reply of `mb` MB of empty lists: cheap to send, some 30 times its size once parsed."""
    count = mb * 2**20 // 3
    _write(_reply(_call_id(), b"[" + b"[]," * count + b"[]]"))
    time.sleep(5)


def many_items():
    """Under the JSON cap, but two million items."""
    _write(_reply(_call_id(), b"[" + b"0," * 2_000_000 + b"0]"))
    time.sleep(5)


def deep_json(depth):
    _write(_reply(_call_id(), b"[" * depth + b"]" * depth))
    time.sleep(5)


def flood(count, mb):
    """Replies for this call and the `count - 1` pipelined calls after it, `mb` MB of array data each (the same
    buffer written again: it costs the student nothing)."""
    first = _call_id()
    data = bytes(mb * 2**20)
    blob = _npy(f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({len(data)},), }}", data)
    for call_id in range(first, first + count):
        _write(_reply(call_id, b'{"$a": 0}', [blob]))
    time.sleep(5)


def forged_id(kind):
    """A reply whose id is not a plain number (an array of two, or a bool)."""
    ids = {"array": b'{"$a": 0}', "bool": b"true"}
    blob = _npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", struct.pack("<qq", 1, 1))
    text = b'{"$d": {"kind": "result", "id": %s, "seconds": 0.0, "value": 1}}' % ids[kind]
    _write(_frame(text, [blob] if kind == "array" else []))
    time.sleep(5)


def forged_raised(field):
    """A 'raised' reply with one field of the wrong type."""
    fields = {"type": b'"ValueError"', "message": b'"m"', "traceback": b'""'}
    fields[field] = b'{"$d": {"x": [1, 2]}}'
    body = b", ".join(b'"%s": %s' % (key.encode(), text) for key, text in fields.items())
    _write(_frame(b'{"$d": {"kind": "raised", "id": %d, "seconds": 0.0, %s}}' % (_call_id(), body)))
    time.sleep(5)


def huge_text():
    return "x" * (5 * 2**20)  # an honest value, over the 4 MB cap on a message's JSON part
