"""Protocol checks that need numpy, so they run in the grading runtime (see test_protocol.py)."""

import io
import json
import os
import struct
import threading
import time

import numpy as np
import pytest

from workers.judge import protocol


def round_trip(value):
    message = b"".join(bytes(part) for part in protocol.encode(value))
    return protocol.decode(bytearray(message[protocol.HEADER.size :]))


def test_values_round_trip():
    value = {
        "W": np.arange(6, dtype=np.float64).reshape(2, 3),
        "pair": (1, [2.5, None, True, "x"]),
        "scalar": np.float32(1.5),
        "nan": float("nan"),
        "labels": np.array([1, 2], dtype=np.int64),
        "$d": "a key that looks like a tag",
    }
    back = round_trip(value)
    assert np.array_equal(back["W"], value["W"]) and back["W"].dtype == np.float64
    assert back["pair"] == (1, [2.5, None, True, "x"])
    assert back["scalar"] == np.float32(1.5) and isinstance(back["scalar"], np.float32)
    assert np.isnan(back["nan"])
    assert back["$d"] == "a key that looks like a tag"
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    assert np.array_equal(round_trip(fortran[:, ::2]), fortran[:, ::2])
    assert round_trip(np.zeros((0, 3))).shape == (0, 3)
    assert round_trip(np.array(["ab", "c"])).tolist() == ["ab", "c"]


def test_decoded_arrays_are_aligned_whatever_their_offset_in_the_message():
    # Blobs land at arbitrary offsets; an unaligned array makes numpy skip BLAS (several times slower).
    for prefix in ("", "x", "xy", "xyz", "abcdefg"):
        back = round_trip({"label": prefix, "X": np.ones((64, 32)), "F": np.asfortranarray(np.ones((8, 4)))})
        assert back["X"].flags.aligned and back["F"].flags.aligned
        assert back["F"].flags.f_contiguous  # sent in its own order, without a copy into C order


def test_arrays_are_decoded_in_place_at_aligned_offsets():
    for prefix in ("", "x", "xyz"):
        message = b"".join(bytes(part) for part in protocol.encode({"label": prefix, "X": np.ones((300, 70))}))
        payload = bytearray(message[protocol.HEADER.size :])
        X = protocol.decode(payload)["X"]
        # The array is a view on the message buffer (no copy), writable like any argument the student gets.
        assert X.base is not None and np.shares_memory(X, np.frombuffer(payload, dtype=np.uint8))
        X[0, 0] = 2.0
        assert X.flags.aligned and X[0, 0] == 2.0


def test_small_messages_are_one_write_and_big_arrays_are_not_copied():
    small = protocol.encode({"kind": "call", "args": [np.zeros((20, 10)), np.zeros((10, 1)), 0.5]})
    assert len(small) == 1
    big = np.zeros((300, 300))
    parts = protocol.encode({"kind": "result", "value": big})
    assert any(isinstance(part, memoryview) and np.shares_memory(np.asarray(part), big) for part in parts)


def test_padding_that_does_not_match_the_blob_table_is_refused():
    message = b"".join(bytes(part) for part in protocol.encode({"X": np.ones(3)}))
    payload = message[protocol.HEADER.size :]
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(bytearray(payload + bytes(protocol.ALIGN)))
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(bytearray(payload[:-1]))


def test_object_arrays_and_odd_types_are_not_encoded():
    for bad in (np.array([{}], dtype=object), object(), {1: 2}, lambda: 0):
        with pytest.raises(protocol.EncodeError):
            protocol.encode(bad)


def test_depth_is_capped():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(protocol.EncodeError):
        protocol.encode(deep)
    text = json.dumps({"v": json.loads("[" * 100 + "]" * 100), "blobs": []}).encode()
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(padded(struct.pack(">I", len(text)) + text))


def padded(data):
    return data + bytes(-len(data) % protocol.ALIGN)


def forged(blob):
    """A well-framed message around a hand-made .npy blob: only the blob itself can be refused."""
    text = json.dumps({"v": {"$a": 0}, "blobs": [len(blob)]}).encode()
    return padded(struct.pack(">I", len(text)) + text) + padded(blob)


def test_a_forged_well_formed_blob_is_read():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(5.0))
    assert np.array_equal(protocol.decode(bytearray(forged(buffer.getvalue()))), np.arange(5.0))


def test_pickled_object_arrays_are_refused_unread(tmp_path):
    marker = tmp_path / "unpickled"

    class Marker:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    np.save(buffer, np.array([Marker()], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError, match="dtype object"):
        protocol.decode(forged(buffer.getvalue()))
    assert not marker.exists()


def test_headers_that_lie_about_the_size_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(4))
    blob = buffer.getvalue().replace(b"(4,)", b"(10000000000,)".ljust(4))
    with pytest.raises(protocol.ProtocolError, match="does not match its header"):
        protocol.decode(forged(blob))
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(forged(b"\x80\x04not an npy"))


def test_frames_are_read_with_a_deadline_and_size_cap():
    read_fd, write_fd = os.pipe()
    try:
        protocol.write_message(write_fd, {"kind": "ready"})
        reader = protocol.FrameReader(read_fd)
        assert reader.read(deadline=None) == {"kind": "ready"}
        with pytest.raises(protocol.ChannelTimeout):
            reader.read(deadline=time.monotonic() + 0.05)
        os.write(write_fd, protocol.MAGIC + struct.pack(">I", protocol.MAX_MESSAGE_BYTES + 1))
        with pytest.raises(protocol.ProtocolError):
            reader.read(deadline=None)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_messages_back_to_back_are_read_one_by_one():
    # The reader reads ahead; what it read of the next message must still be there for the next read.
    read_fd, write_fd = os.pipe()
    big = np.arange(300_000.0)  # larger than the pipe and the read-ahead chunk
    values = [{"n": 1}, {"X": big}, {"n": 3}, {"X": big[:7]}]

    def write_all():
        for value in values:
            protocol.write_message(write_fd, value)

    writer = threading.Thread(target=write_all)
    writer.start()
    try:
        reader = protocol.FrameReader(read_fd)
        got = [reader.read(deadline=time.monotonic() + 30) for _ in values]
    finally:
        writer.join()
        os.close(read_fd)
        os.close(write_fd)
    assert got[0] == {"n": 1} and got[2] == {"n": 3}
    assert np.array_equal(got[1]["X"], big) and np.array_equal(got[3]["X"], big[:7])
