"""A hostile and broken student for the probe suite: loops, crashes, and attacks the channel."""

import io
import json
import os
import signal
import struct
import time

import numpy as np

CHANNEL_OUT = 4


def value():
    return 42


def echo(value):
    return value


def square_sum(w):
    return float(np.sum(w * w))


def loop():
    while True:
        pass


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return "unreadable"


def object_array():
    return np.array([{"a": 1}, None], dtype=object)


def huge():
    return np.zeros(40_000_000)  # 320 MB, over the 256 MB message cap


def _padded(data):
    return data + bytes(-len(data) % 64)  # the protocol's layout: each blob at a multiple of 64 bytes


def _frame(tree, blobs=()):
    """A well-formed frame, so that only its contents can be refused."""
    text = json.dumps({"v": tree, "blobs": [len(b) for b in blobs]}).encode()
    payload = _padded(struct.pack(">I", len(text)) + text) + b"".join(_padded(b) for b in blobs)
    return b"CSJ1" + struct.pack(">I", len(payload)) + payload


class Marker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def pickle_bomb(marker):
    buffer = io.BytesIO()
    np.save(buffer, np.array([Marker(marker)], dtype=object), allow_pickle=True)
    reply = {"$d": {"kind": "result", "id": 0, "value": {"$a": 0}}}
    os.write(CHANNEL_OUT, _frame(reply, [buffer.getvalue()]))
    time.sleep(5)


def garbage():
    os.write(CHANNEL_OUT, b"this is not a frame " * 100)
    return 1


def forge():
    # A fake result line on stdout, and a well-formed reply with a guessed id.
    print(json.dumps({"kind": "summary", "outcome": "passed", "score": 1000, "max_score": 1000}))
    os.write(CHANNEL_OUT, _frame({"$d": {"kind": "result", "id": 10**6, "value": 42}}))
    return 0


def huge_header():
    os.write(CHANNEL_OUT, b"CSJ1" + struct.pack(">I", 2**31))
    time.sleep(5)


def lying_npy():
    header = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118)
    header += b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }".ljust(117) + b"\n"
    blob = header + b"\x00" * 16
    os.write(CHANNEL_OUT, _frame({"$d": {"kind": "result", "id": 0, "value": {"$a": 0}}}, [blob]))
    time.sleep(5)


def boom():
    raise ValueError("shapes (10, 3072) and (20, 5) not aligned")


def crash():
    os.kill(os.getpid(), signal.SIGSEGV)


def hog():
    blocks = []
    while True:
        blocks.append(np.ones(25_000_000))  # 200 MB each, touched
