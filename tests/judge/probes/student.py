"""A hostile and broken student for the probe suite: loops, crashes, and attacks the channel."""

import fcntl
import io
import json
import os
import signal
import socket
import struct
import time

import numpy as np

CHANNEL_OUT = 4
CHANNEL_SOCKET = 7


def value():
    return 42


def echo(value):
    return value


def scale_in_place(x, k):
    x *= k  # the student's copy only
    return float(x.sum())


KEPT = []


def address(x):
    KEPT.append(x)  # kept alive: a second mapping could not take the same address
    return int(x.ctypes.data)


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


def _frame(tree, blobs=(), shared=None):
    """A well-formed frame, so that only its contents can be refused."""
    envelope = {"v": tree, "blobs": [len(b) for b in blobs]}
    if shared:
        envelope["shared"] = shared
    text = json.dumps(envelope).encode()
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


def forged_shared(kind):
    """A reply whose array is announced as shared memory, with a memfd the judge must refuse."""
    data = np.arange(2**18, dtype=np.float64).tobytes()
    fd = os.memfd_create("forged", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if kind == "short":
        os.ftruncate(fd, 4096)
    if kind != "unsealed":
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
    if kind != "missing":
        socket.send_fds(socket.socket(fileno=os.dup(CHANNEL_SOCKET)), [b"M"], [fd])
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**18,)})
    reply = {"$d": {"kind": "result", "id": 0, "value": {"$a": 0}}}
    os.write(CHANNEL_OUT, _frame(reply, [header.getvalue()], shared=[[0, 0, len(data)]]))
    if kind == "unsealed":
        os.pwrite(fd, b"changed after the judge looked" * 1000, 0)
    time.sleep(5)
