"""Protocol checks that need numpy, so they run in the grading runtime (see test_protocol.py)."""

import io
import json
import os
import struct
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
        protocol.decode(struct.pack(">I", len(text)) + text)


def forged(blob):
    text = json.dumps({"v": {"$a": 0}, "blobs": [len(blob)]}).encode()
    return struct.pack(">I", len(text)) + text + blob


def test_pickled_object_arrays_are_refused_unread(tmp_path):
    marker = tmp_path / "unpickled"

    class Marker:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    np.save(buffer, np.array([Marker()], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(forged(buffer.getvalue()))
    assert not marker.exists()


def test_headers_that_lie_about_the_size_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(4))
    blob = buffer.getvalue().replace(b"(4,)", b"(10000000000,)".ljust(4))
    with pytest.raises(protocol.ProtocolError):
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
