"""Protocol checks that need numpy, so they run in the grading runtime (see test_protocol.py)."""

import fcntl
import io
import json
import os
import re
import socket
import struct
import threading
import time
import tracemalloc

import numpy as np
import pytest

from workers.judge import protocol
from workers.judge.protocol import codec, splice


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


@pytest.fixture
def channel():
    """Both ends of a channel with shared memory: a pipe for frames and a socket pair for memfds."""
    read_fd, write_fd = os.pipe()
    judge_socket, student_socket = socket.socketpair()
    sent = protocol.SentArrays()
    writer = protocol.SharedMemory(judge_socket, cache=sent)
    reader = protocol.FrameReader(read_fd, protocol.SharedMemory(student_socket))
    yield writer, reader, write_fd, student_socket
    sent.close()
    for fd in (read_fd, write_fd):
        os.close(fd)
    judge_socket.close()
    student_socket.close()


def send(writer, write_fd, value):
    parts = protocol.encode(value, writer)
    writer.flush(time.monotonic() + 5)
    for part in parts:
        os.write(write_fd, part)
    return parts


def test_large_arrays_cross_as_sealed_memfds_and_arrive_private(channel):
    writer, reader, write_fd, _ = channel
    X = np.arange(300_000.0).reshape(300, 1000)  # 2.4 MB: shared; the small one stays inline
    parts = send(writer, write_fd, {"X": X, "b": np.ones(3)})
    assert sum(len(part) for part in parts) < 4096  # only the headers went through the pipe
    got = reader.read(deadline=time.monotonic() + 5)
    assert np.array_equal(got["X"], X) and np.array_equal(got["b"], np.ones(3))
    assert got["X"].flags.aligned and got["X"].flags.writeable
    got["X"][0, 0] = -1.0  # the reader's copy is its own ...
    X[0, 1] = -2.0  # ... and so is the writer's
    assert X[0, 0] == 0.0 and got["X"][0, 1] == 1.0
    fortran = np.asfortranarray(np.ones((700, 400)))
    send(writer, write_fd, fortran)
    back = reader.read(deadline=time.monotonic() + 5)
    assert back.flags.f_contiguous and np.array_equal(back, fortran)


def test_an_array_sent_again_reuses_its_memfd_only_while_unchanged(channel):
    writer, reader, write_fd, _ = channel
    X = np.random.default_rng(0).standard_normal((200, 1000))
    send(writer, write_fd, X)
    assert np.array_equal(reader.read(deadline=time.monotonic() + 5), X)
    assert len(writer.cache.entries) == 1
    ((fd, _),) = writer.cache.entries.values()
    send(writer, write_fd, X)
    assert np.array_equal(reader.read(deadline=time.monotonic() + 5), X)
    assert [fd] == [entry[0] for entry in writer.cache.entries.values()]  # the same memfd, not a new copy
    X[123, 456] = 7.0  # changed in place: the copy sent before is stale
    send(writer, write_fd, X)
    assert reader.read(deadline=time.monotonic() + 5)[123, 456] == 7.0
    X[0, 0] = np.nan  # NaN is not equal to itself, but the same bytes are the same array
    send(writer, write_fd, X)
    send(writer, write_fd, X)
    assert np.isnan(reader.read(deadline=time.monotonic() + 5)[0, 0])
    assert np.isnan(reader.read(deadline=time.monotonic() + 5)[0, 0])
    assert len(writer.cache.entries) == 1


def test_the_students_side_maps_an_array_sent_again_once_while_it_wrote_nothing_to_it():
    read_fd, write_fd = os.pipe()
    judge_socket, student_socket = socket.socketpair()
    writer = protocol.SharedMemory(judge_socket, cache=protocol.SentArrays())
    student = protocol.SharedMemory(student_socket, keep_mappings=8 * 2**20)
    reader = protocol.FrameReader(read_fd, student)

    def round_trip(value):
        send(writer, write_fd, value)
        return reader.read(deadline=time.monotonic() + 5)

    try:
        X = np.random.default_rng(0).standard_normal((200, 1000))  # 1.6 MB
        first, again = round_trip(X), round_trip(X)
        assert again.ctypes.data == first.ctypes.data and np.array_equal(again, X)  # the same pages
        again[5, 5] = 99.0  # the student writes to what it got: the next call gets the judge's bytes again
        fresh = round_trip(X)
        assert fresh[5, 5] == X[5, 5] and fresh.ctypes.data != again.ctypes.data and again[5, 5] == 99.0
        assert round_trip(X).ctypes.data == fresh.ctypes.data
        kept = student.mapped_bytes
        round_trip(X)[0, 1] = 5.0  # written during a call: its copied pages are not held after the call
        student.forget_written()
        assert student.mapped_bytes < kept
        student.forget_written()  # nothing handed out since: nothing to check
        X[0, 0] = 3.0  # changed by the judge: a new memfd, so a new mapping
        assert round_trip(X)[0, 0] == 3.0
        others = [round_trip(np.full(2**18, float(i))) for i in range(6)]  # 2 MB each: the oldest are let go
        assert student.mapped_bytes <= 8 * 2**20 and all(np.all(a == i) for i, a in enumerate(others))
        assert protocol.SharedMemory(judge_socket).keep_mappings == 0  # the judge maps every reply afresh
    finally:
        writer.cache.close()
        for fd in (read_fd, write_fd):
            os.close(fd)
        judge_socket.close()
        student_socket.close()


def test_the_cache_of_sent_arrays_is_bounded():
    cache = protocol.SentArrays(limit=3 * 2**20)
    judge_socket, student_socket = socket.socketpair()
    try:
        writer = protocol.SharedMemory(judge_socket, cache=cache)
        arrays = [np.full(2**17, float(i)) for i in range(4)]  # 1 MB each
        for array in arrays:
            protocol.encode(array, writer)
            writer.flush(time.monotonic() + 5)
            for fd in socket.recv_fds(student_socket, 1, 1)[1]:
                os.close(fd)
        assert cache.total <= 3 * 2**20 and len(cache.entries) == 3
    finally:
        cache.close()
        judge_socket.close()
        student_socket.close()
    assert not cache.entries


def test_arrays_over_the_file_size_limit_stay_inline():
    judge_socket, student_socket = socket.socketpair()
    try:
        shared = protocol.SharedMemory(student_socket, max_file_bytes=2 * 2**20)
        parts = protocol.encode({"X": np.ones(2**19)}, shared)  # 4 MB: more than the sandbox may write to a file
        assert not shared.outgoing and sum(len(part) for part in parts) > 4 * 2**20
        parts = protocol.encode({"X": np.ones(2**17)}, shared)  # 1 MB
        assert len(shared.outgoing) == 1
        shared.discard()
    finally:
        judge_socket.close()
        student_socket.close()


def shared_frame(size, shape):
    """A frame whose one array is announced as shared, `size` bytes of data in the memfd sent with it."""
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    blob = header.getvalue()
    text = json.dumps({"v": {"$a": 0}, "blobs": [len(blob)], "shared": [[0, 0, size]]}).encode()
    payload = padded(struct.pack(">I", len(text)) + text) + padded(blob)
    return protocol.HEADER.pack(protocol.MAGIC, len(payload)) + payload


def memfd(data, seals=protocol.SHARED_SEALS):
    fd = os.memfd_create("forged", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ("nothing sent", "were not sent"),
        ("unsealed memfd", "not in a sealed memfd"),
        ("writable memfd", "not in a sealed memfd"),
        ("regular file", "not in a sealed memfd"),
        ("pipe", "not in a sealed memfd"),
        ("short memfd", "does not fit its memfd"),
        ("two fds for one array", "do not match the message"),
        ("data without fds", "do not match the message"),
    ],
)
def test_forged_shared_arrays_are_refused(channel, tmp_path, forgery, reason):
    _, reader, write_fd, student_socket = channel
    peer = channel[0].sock  # the writer's end of the socket pair
    data = np.arange(2**17, dtype=np.float64).tobytes()
    fds = []
    if forgery == "unsealed memfd":
        fds = [memfd(data, seals=0)]
    elif forgery == "writable memfd":
        fds = [memfd(data, seals=fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)]
    elif forgery == "regular file":
        (tmp_path / "data").write_bytes(data)
        fds = [os.open(tmp_path / "data", os.O_RDONLY)]
    elif forgery == "pipe":
        read_end, write_end = os.pipe()
        os.close(write_end)
        fds = [read_end]
    elif forgery == "short memfd":
        fds = [memfd(data[:1024])]
    elif forgery == "two fds for one array":
        fds = [memfd(data), memfd(data)]
    if forgery == "data without fds":
        peer.send(protocol.SHARED_MARK)
    elif fds:
        socket.send_fds(peer, [protocol.SHARED_MARK], fds)
    for fd in fds:
        os.close(fd)
    os.write(write_fd, shared_frame(len(data), (2**17,)))
    with pytest.raises(protocol.ProtocolError, match=reason):
        reader.read(deadline=time.monotonic() + 5)


def test_shared_arrays_need_a_channel_with_shared_memory():
    payload = shared_frame(8, (1,))[protocol.HEADER.size :]
    with pytest.raises(protocol.ProtocolError, match="without shared memory"):
        protocol.decode(bytearray(payload))


def npy(header, data=b""):
    """A hand-made .npy 1.0 blob: `header` is the literal numpy would parse."""
    raw = header.encode("latin1") + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + data


BAD_NPY = {
    "zero itemsize str": (npy("{'descr': '<U0', 'fortran_order': False, 'shape': (5,), }"), "items of zero bytes"),
    "zero itemsize bytes": (npy("{'descr': '|S0', 'fortran_order': False, 'shape': (3, 2), }"), "items of zero"),
    "void": (npy("{'descr': '|V0', 'fortran_order': False, 'shape': (5,), }"), "are refused"),
    "structured": (npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", bytes(8)), "refused"),
    "negative dims": (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, -1), }", bytes(8)), "is refused"),
    "negative empty": (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, -3), }"), "is refused"),
    "overflowing empty": (
        npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': (0, {2**62}, {2**62}), }}"),
        "is refused",
    ),
    "too many dims": (
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (" + "1, " * 70 + "), }", bytes(8)),
        "is refused",
    ),
    "product overflows": (
        npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({2**32}, {2**32}), }}"),
        "does not match",
    ),
    "unhashable": (npy("{[]: 0, 'descr': '<f8'}"), "bad .npy header (TypeError)"),
    "fortran order not bool": (npy("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (1,), }", bytes(8)), "bool"),
    "not a dict": (npy("[1, 2, 3]"), "not a dictionary"),
    "shape not a tuple": (
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': 5, }", bytes(8)),
        "shape is not valid",
    ),
    "huge header": (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), '" + "x" * 60000 + "': 0}"), "large"),
    "deep header": (npy("{'descr': " + "(" * 5000 + ")" * 5000 + "}"), "bad .npy header"),
    "bad descr": (npy("{'descr': '<q17', 'fortran_order': False, 'shape': (1,), }", bytes(8)), "bad .npy header"),
    "version 9": (b"\x93NUMPY\x09\x00" + bytes(56), "unsupported .npy version"),
    "bad utf-8 in version 3": (b"\x93NUMPY\x03\x00" + struct.pack("<I", 4) + b"\xff\xfe{}", "bad .npy header"),
    "truncated": (b"\x93NUMPY\x01\x00\xff", "bad .npy header"),
}


@pytest.mark.parametrize("variant", list(BAD_NPY))
def test_bad_npy_headers_are_protocol_errors_and_nothing_else(variant):
    blob, reason = BAD_NPY[variant]
    with pytest.raises(protocol.ProtocolError, match=re.escape(reason)):
        protocol.decode(bytearray(forged(blob)))


def test_any_corruption_of_a_message_is_a_protocol_error_or_a_value():
    # Random damage to real messages: decoding raises ProtocolError or returns a value, never anything else.
    rng = np.random.default_rng(13)
    values = [
        {"W": np.arange(12.0).reshape(3, 4), "t": (1, "x", [None, True]), "s": np.int16(3), "f": float("inf")},
        {"kind": "result", "id": 7, "value": [np.zeros((2, 0)), np.array(["ab"]), np.asfortranarray(np.eye(3))]},
    ]
    for value in values:
        message = b"".join(bytes(part) for part in protocol.encode(value))[protocol.HEADER.size :]
        for _ in range(1000):
            damaged = bytearray(message)
            for position in rng.integers(0, len(damaged), size=rng.integers(1, 4)):
                damaged[position] = rng.integers(0, 256)
            if rng.random() < 0.2:
                damaged = damaged[: rng.integers(0, len(damaged))]
            try:
                protocol.decode(damaged)
            except protocol.ProtocolError:
                pass


def json_message(value_text):
    text = b'{"v": ' + value_text + b', "blobs": []}'
    return bytearray(padded(struct.pack(">I", len(text)) + text))


def decoding_peak(payload, refusal):
    """The memory decoding `payload` took at its peak (traced Python allocations), refused with `refusal`."""
    tracemalloc.start()
    try:
        with pytest.raises(protocol.ProtocolError, match=refusal):
            protocol.decode(payload)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_json_part_over_its_cap_is_refused_before_it_is_parsed():
    # Parsed, these 1.4 million empty lists would cost the judge about 100 MB; unchecked (16 MB), 500 MB.
    payload = json_message(b"[" + b"[]," * (protocol.MAX_JSON_BYTES // 3) + b"[]]")
    assert decoding_peak(payload, "JSON part is larger than 4 MB") < 2**20


def test_too_many_items_are_refused_before_they_are_parsed():
    payload = json_message(b"[" + b"[]," * 1_100_000 + b"[]]")  # 3.3 MB: under the cap on the JSON part
    assert decoding_peak(payload, "more than 1000000 items") < 4 * 2**20  # the text, copied out once


@pytest.mark.parametrize("depth", [protocol.MAX_DEPTH + 2, 500, 100_000, 400_000])
def test_deep_json_is_refused_in_plain_words(depth):
    with pytest.raises(protocol.ProtocolError, match="nested deeper than 32 levels"):
        protocol.decode(json_message(b"[" * depth + b"]" * depth))


def test_what_the_encoder_sends_the_decoder_takes_and_what_it_would_refuse_is_not_sent(monkeypatch):
    with pytest.raises(protocol.EncodeError, match="at most 4 MB besides numpy arrays"):
        protocol.encode("x" * protocol.MAX_JSON_BYTES)
    assert len(round_trip("x" * (protocol.MAX_JSON_BYTES - 100))) == protocol.MAX_JSON_BYTES - 100
    with pytest.raises(protocol.EncodeError, match="dtype"):
        protocol.encode(np.empty(3, dtype="V0"))
    with pytest.raises(protocol.EncodeError, match="dimensions"):
        protocol.encode(np.zeros((1,) * 40))
    assert round_trip(np.zeros((1,) * protocol.MAX_DIMS)).ndim == protocol.MAX_DIMS
    # At the item cap (smaller here, so that values at it are quick to build): within the encoder's own count of
    # items, a value can still have more as JSON (brackets and separators); it is refused, not sent.
    monkeypatch.setattr(codec, "MAX_NODES", 1000)  # the encoder's own binding of the cap
    with pytest.raises(protocol.EncodeError, match="more than 1000 items"):
        protocol.encode([() for _ in range(600)])
    with pytest.raises(protocol.EncodeError, match="more than 1000 items"):
        protocol.encode(list(range(1000)))
    for value in ([() for _ in range(300)], list(range(990)), [[]] * 490, {"a": [1.5] * 900}):
        assert round_trip(value) == value  # just under the cap: sent and taken


def test_the_arrays_of_one_message_and_its_shared_memory_share_one_cap():
    # Too big for the message cap once inline data and shared memory are added up, though each part fits.
    judge_socket, student_socket = socket.socketpair()
    try:
        shared = protocol.SharedMemory(student_socket)
        half = np.zeros(protocol.MAX_MESSAGE_BYTES // 16 + 1024)  # just over half the cap, in float64
        with pytest.raises(protocol.EncodeError, match="256 MB"):
            protocol.encode({"a": half, "b": half}, shared)
        assert not shared.outgoing
    finally:
        judge_socket.close()
        student_socket.close()


def test_a_reader_limit_refuses_a_message_before_reading_it(channel):
    writer, reader, write_fd, _ = channel
    parts = send(writer, write_fd, {"X": np.ones(2**18)})  # 2 MB, shared
    with pytest.raises(protocol.MessageTooLarge, match="shared arrays of 2 MB"):
        reader.read(deadline=time.monotonic() + 5, limit=2**20)
    os.write(write_fd, protocol.HEADER.pack(protocol.MAGIC, 2**24))
    with pytest.raises(protocol.MessageTooLarge, match="a message of 16 MB"):
        reader.read(deadline=time.monotonic() + 5, limit=2**23)
    assert sum(len(part) for part in parts) < 4096


def test_a_message_read_counts_its_pipe_bytes_and_its_shared_arrays(channel):
    writer, reader, write_fd, _ = channel
    send(writer, write_fd, {"X": np.ones(2**18), "y": np.ones(8)})
    reader.read(deadline=time.monotonic() + 5, limit=2**22)
    assert 2**21 < reader.last_bytes < 2**21 + 4096


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"kind": "ready", "functions": 5, "import_seconds": 0.1, "hint": ""}, "functions is of type int"),
        ({"kind": "ready", "functions": {"a": 1}, "import_seconds": 0.1, "hint": ""}, "functions is of type dict"),
        ({"kind": "ready", "functions": [1], "import_seconds": 0.1, "hint": ""}, "not all names"),
        ({"kind": "ready", "functions": [], "import_seconds": "1", "hint": ""}, "import_seconds is of type str"),
        ({"kind": "ready", "functions": [], "import_seconds": True, "hint": ""}, "import_seconds is of type bool"),
        ({"kind": "ready", "functions": [], "import_seconds": float("nan"), "hint": ""}, "not a number"),
        ({"kind": "ready", "functions": [], "import_seconds": np.float64(1), "hint": ""}, "of type float64"),
        ({"kind": "ready", "functions": [], "import_seconds": 1, "hint": [""]}, "hint is of type list"),
        ({"kind": "ready", "ok": "yes", "functions": [], "import_seconds": 1, "hint": ""}, "with the fields"),
        ({"kind": "ready", "functions": []}, "with the fields"),
        ({"kind": "import_error", "type": "E", "message": ["m"], "traceback": "", "hint": ""}, "message is of type"),
        ({"kind": "import_error", "type": 1, "message": "m", "traceback": "", "hint": ""}, "type is of type int"),
        ({"kind": np.array(["ready", "x"]), "functions": []}, "not a message of kind"),
        ({"kind": ["ready"]}, "not a message of kind"),
        (["ready"], "not a message of kind"),
    ],
)
def test_forged_ready_messages_are_named_for_what_is_wrong(message, problem):
    from workers.judge.session import _ready_problem

    assert problem in _ready_problem(message)


def test_the_runners_own_messages_pass_the_judges_checks():
    from workers.judge.session import _ready_problem, _reply_problem

    assert _ready_problem({"kind": "ready", "functions": ["f"], "import_seconds": 0.25, "hint": ""}) is None
    assert _ready_problem({"kind": "import_error", "type": "E", "message": "m", "traceback": "", "hint": ""}) is None
    assert _reply_problem({"kind": "result", "id": 3, "value": [np.ones(2), True], "seconds": 0.0}) is None
    assert _reply_problem({"kind": "result", "id": 3, "value": None, "seconds": 1}) is None
    raised = {"kind": "raised", "id": 3, "type": "E", "message": "m", "traceback": "t", "seconds": 0.1}
    assert _reply_problem(raised) is None
    assert "type is of type list" in _reply_problem({**raised, "type": ["E"]})
    assert "seconds is of type str" in _reply_problem({**raised, "seconds": "0"})
    assert _reply_problem({"kind": "missing", "id": 3, "function": "f"}) is None
    assert _reply_problem({"kind": "unencodable", "id": 3, "message": "m"}) is None
    assert "not a message of kind" in _reply_problem({"kind": "ready", "id": 3})


def test_what_the_student_returns_goes_by_reference_through_the_pipe_and_arrives_as_the_readers_own():
    # The student's side does not export memfds: a large array is spliced into the pipe (vmsplice) and read into
    # the reader's own memory, so writing to the sender's array afterwards changes nothing the reader holds.
    read_fd, write_fd = os.pipe()
    student_socket, judge_socket = socket.socketpair()
    student = protocol.SharedMemory(student_socket, keep_mappings=protocol.KEPT_MAPPING_BYTES, export=False)
    X = np.arange(3_000_000.0).reshape(3000, 1000)  # 24 MB, far more than the pipe holds
    parts = protocol.encode({"X": X.T, "y": np.arange(10)}, student)
    assert not student.outgoing  # no memfd
    assert any(len(part) == X.nbytes for part in parts)  # the array's own memory, not a copy

    def write() -> None:
        protocol.write_parts(write_fd, parts, student)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        got = protocol.FrameReader(read_fd, protocol.SharedMemory(judge_socket)).read(deadline=time.monotonic() + 30)
    finally:
        writer.join()
        for fd in (read_fd, write_fd):
            os.close(fd)
        student_socket.close()
        judge_socket.close()
    assert np.array_equal(got["X"], X.T) and got["X"].flags.f_contiguous and got["X"].flags.writeable
    X[0, 0] = -1.0
    assert got["X"][0, 0] == 0.0


def test_splicing_falls_back_to_writing_where_the_target_is_not_a_pipe(tmp_path):
    data = np.random.default_rng(1).integers(0, 255, 3 * 2**20, dtype=np.uint8)
    path = tmp_path / "out"
    with path.open("wb", buffering=0) as out:
        splice.write_pipe_all(out.fileno(), data)  # vmsplice refuses a regular file (EBADF): written instead
    assert path.read_bytes() == data.tobytes()


def test_splicing_an_array_in_parts_keeps_every_byte_in_order(monkeypatch):
    def copied(fd, data):
        raise AssertionError("written by copy, not spliced")

    monkeypatch.setattr(splice, "write_all", copied)  # only vmsplice itself may move these bytes
    read_fd, write_fd = os.pipe()
    data = np.random.default_rng(2).integers(0, 255, 5 * 2**20 + 17, dtype=np.uint8)
    received = bytearray()

    def read() -> None:
        while chunk := os.read(read_fd, 1 << 20):
            received.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    splice.write_pipe_all(write_fd, data[1:])  # an address that is not page-aligned
    os.close(write_fd)
    reader.join()
    os.close(read_fd)
    assert bytes(received) == data[1:].tobytes()
