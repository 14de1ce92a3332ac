"""Replies a student's process can send that the judge must refuse as the student's fault (never an infrastructure
error), in plain words and without growing its own memory: through the real sandbox and judge."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.judge.conftest import PROBES, by_name, grade_local, write


@pytest.fixture(scope="module")
def limits_suite(shared_tmp: Path) -> Path:
    """A suite whose tests make probes/limits_student.py reply what the judge must refuse."""
    root = shared_tmp / "limits-suite"
    (root / "tests").mkdir(parents=True)
    (root / "public_data").mkdir()
    (root / "hidden_data").mkdir()
    (root / "tests" / "test_limits.py").write_text((PROBES / "limits_tests.py").read_text())
    (root / "suite.toml").write_text((PROBES / "limits_suite.toml").read_text())
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


@pytest.fixture(scope="module")
def limited(limits_suite: Path) -> dict[str, Any]:
    return grade_local(limits_suite, PROBES / "limits_student.py")


def violation(result: dict[str, Any], words: str) -> None:
    assert (result["status"], result["reason"]) == ("error", "protocol violation"), result
    assert words in result["message"], result["message"]
    assert result["points"] == 0


def test_bad_npy_headers_are_the_students_protocol_violation(limited: dict[str, Any]) -> None:
    tests = by_name(limited)
    # More variants, each decoded directly, in runtime/check_protocol.py.
    words = {
        "zero_itemsize_str": "arrays of dtype <U0 (items of zero bytes) are refused",
        "zero_itemsize_bytes": "arrays of dtype |S0 (items of zero bytes) are refused",
        "negative_dims": "an array of shape (-1, -1) is refused",
        "overflowing_empty_shape": "an empty array of shape (0, 4611686018427387904, 4611686018427387904) is refused",
        "too_many_dims": "an array of shape (1, 1, 1",
        "unhashable_header": "bad .npy header (TypeError)",
        "fortran_order_not_bool": "bad .npy header: fortran_order is not a valid bool",
        "huge_header": "bad .npy header: Header info length (60086) is large",
    }
    for variant, reason in words.items():
        violation(tests[f"test_bad_npy_header[{variant}]"], reason)
    assert limited["outcome"] == "failed"


def test_json_too_big_or_too_deep_is_refused_before_it_is_parsed(limited: dict[str, Any]) -> None:
    tests = by_name(limited)
    violation(tests["test_huge_json_reply"], "JSON part is larger than 4 MB")
    violation(tests["test_many_items_reply"], "more than 1000000 items")
    violation(tests["test_deep_json_reply"], "nested deeper than 32 levels")
    violation(tests["test_very_deep_json_reply"], "nested deeper than 32 levels")


def test_replies_with_fields_of_the_wrong_type_are_refused(limited: dict[str, Any]) -> None:
    tests = by_name(limited)
    for kind in ("array", "bool"):
        violation(tests[f"test_forged_reply_id[{kind}]"], "out-of-order reply")
    violation(tests["test_forged_raised_reply"], "a malformed reply arrived during forged_raised (its type is of type")


def test_an_honest_value_over_the_json_cap_is_an_unacceptable_return_value(limited: dict[str, Any]) -> None:
    result = by_name(limited)["test_huge_text_return"]
    assert (result["status"], result["reason"]) == ("failed", "unacceptable return value")
    assert "at most 4 MB besides numpy arrays" in result["message"]


def test_pipelined_replies_beyond_the_cap_fail_and_the_judge_stays_small(limited: dict[str, Any]) -> None:
    tests = by_name(limited)
    violation(tests["test_pipelined_flood"], "add up to more than 256 MB")
    assert tests["test_value_after_the_floods"]["status"] == "passed"  # a fresh process for the next test
    # The judge's own peak memory (ru_maxrss, measured by the suite's last test in the judge's process).
    assert tests["test_the_judge_stayed_small"]["status"] == "passed", tests["test_the_judge_stayed_small"]
    assert tests["test_value"]["status"] == "passed"


def _forged_ready(value: str, blob: bytes = b"") -> str:
    """A student file that writes its own 'ready' frame onto the judge's channel while it is imported."""
    sizes = [len(blob)] if blob else []
    text = f'{{"v": {value}, "blobs": {json.dumps(sizes)}}}'.encode()
    head = struct.pack(">I", len(text)) + text
    payload = head + bytes(-len(head) % 64) + blob + bytes(-len(blob) % 64)
    frame = b"CSJ1" + struct.pack(">I", len(payload)) + payload
    functions = "".join(f"\ndef {name}(*args):\n    return 42\n" for name in ("value", "loop", "read"))
    return f"import os\n\nos.write(4, {frame!r})\n{functions}"


def _npy(header: str) -> bytes:
    raw = header.encode() + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw


READY = '"import_seconds": 0.1, "hint": ""'
FORGED_READY = {
    "functions a number": (f'{{"$d": {{"kind": "ready", "functions": 5, {READY}}}}}', b"", "functions is of type int"),
    "functions a dict": (
        f'{{"$d": {{"kind": "ready", "functions": {{"$d": {{"value": 1}}}}, {READY}}}}}',
        b"",
        "functions is of type dict",
    ),
    "seconds a string": (
        '{"$d": {"kind": "ready", "functions": ["value"], "import_seconds": "soon", "hint": ""}}',
        b"",
        "import_seconds is of type str",
    ),
    "an ok field": (
        f'{{"$d": {{"kind": "ready", "ok": "yes", "functions": ["value"], {READY}}}}}',
        b"",
        "fields functions, hint, import_seconds, kind, ok",
    ),
    "kind an array": (
        f'{{"$d": {{"kind": {{"$a": 0}}, "functions": ["value"], {READY}}}}}',
        _npy("{'descr': '<i8', 'fortran_order': False, 'shape': (0, 2), }"),
        "not a message of kind ready or import_error",
    ),
    "an error a list": (
        '{"$d": {"kind": "import_error", "type": "E", "message": ["a", "b"], "traceback": "", "hint": ""}}',
        b"",
        "message is of type list",
    ),
    "a bad .npy header": (
        f'{{"$d": {{"kind": "ready", "functions": {{"$a": 0}}, {READY}}}}}',
        _npy("{'descr': '<U0', 'fortran_order': False, 'shape': (5,), }"),
        "items of zero bytes",
    ),
}


@pytest.mark.parametrize("forgery", list(FORGED_READY))
def test_a_forged_ready_frame_is_the_students_import_error(probe_suite: Path, shared_tmp: Path, forgery: str) -> None:
    value, blob, words = FORGED_READY[forgery]
    folder = shared_tmp / f"forged-ready-{forgery.replace(' ', '-').replace('.', '')}"
    student = write(folder, "student.py", _forged_ready(value, blob))
    folder.chmod(0o755)
    student.chmod(0o644)
    result = grade_local(probe_suite, student)
    assert result["outcome"] == "import_error", result["notes"]
    notes = [note for note in result["notes"] if note.startswith("your file wrote onto the judge's channel while")]
    assert len(notes) == 1 and words in notes[0], result["notes"]
    assert all((t["status"], t["reason"]) == ("error", "import error") for t in result["tests"]), result["tests"]
    assert result["score"] == 0
