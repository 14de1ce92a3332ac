"""Hostile and broken students against a real sandbox: each misdeed costs its own test only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.judge.conftest import PROBES, by_name, grade_local, not_passed


@pytest.fixture(scope="module")
def probed(probe_suite: Path) -> dict[str, Any]:
    return grade_local(probe_suite, PROBES / "student.py")


def test_an_endless_loop_costs_that_test_only(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    assert tests["test_endless_loop"]["status"] == "timeout"
    assert tests["test_endless_loop"]["seconds"] < 15  # its own 2 s limit, not the suite's 15 s default
    assert tests["test_after_the_loop"]["status"] == "passed"
    assert tests["test_value_again"]["status"] == "passed"


def test_hidden_data_and_the_judge_are_out_of_the_sandbox_reach(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    assert tests["test_hidden_data_out_of_reach"]["status"] == "passed"
    assert tests["test_judge_out_of_reach"]["status"] == "passed"
    assert tests["test_public_data_readable"]["status"] == "passed"


def test_it_refuses_object_arrays_and_oversized_values(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    for name in ("test_object_array_return", "test_huge_return"):
        assert tests[name]["status"] == "failed"
        assert tests[name]["reason"] == "unacceptable return value"
    assert "dtype object" in tests["test_object_array_return"]["message"]
    assert "256 MB" in tests["test_huge_return"]["message"]


def test_it_never_unpickles_what_the_student_sent(probed: dict[str, Any], shared_tmp: Path) -> None:
    assert by_name(probed)["test_pickle_on_channel"]["reason"] == "protocol violation"
    assert not (shared_tmp / "unpickled-on-the-judge").exists()


def test_writing_onto_the_channel_forges_nothing(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    for name in ("test_garbage_on_channel", "test_forged_reply", "test_huge_frame_header", "test_lying_npy_header"):
        assert tests[name]["status"] == "error", name
        assert tests[name]["reason"] == "protocol violation", name
        assert tests[name]["points"] == 0
    assert tests["test_huge_frame_header"]["seconds"] < 15  # refused from the header, not waited for


def test_forged_shared_memory_is_refused(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    reasons = {"unsealed": "not in a sealed memfd", "short": "does not fit its memfd", "missing": "were not sent"}
    for kind, reason in reasons.items():
        result = tests[f"test_shared_memory_{kind}"]
        assert result["status"] == "error" and result["reason"] == "protocol violation", kind
        assert reason in result["message"], result["message"]


def test_crashes_are_told_in_plain_words(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    assert tests["test_exception"]["status"] == "failed"
    assert tests["test_exception"]["message"].startswith("your boom raised ValueError: shapes")
    assert tests["test_crash"]["reason"] == "crashed (signal 11)"
    assert tests["test_memory_hog"]["reason"] == "out of memory (limit 512 MB)"


def test_pipelined_calls_keep_each_calls_outcome(probed: dict[str, Any]) -> None:
    tests = by_name(probed)
    assert tests["test_shared_arrays_are_private_copies"]["status"] == "passed"
    for name in ("calls_carry_their_arguments_as_sent", "big_values_both_ways"):
        assert tests[f"test_pipelined_{name}"]["status"] == "passed", tests[f"test_pipelined_{name}"]["message"]
    assert tests["test_numerical_gradient_pipelined_or_not"]["status"] == "passed"
    # The calls around a failing one still return their values; the failure is the student's, in plain words.
    assert tests["test_pipelined_exception"]["status"] == "failed"
    assert tests["test_pipelined_exception"]["message"].startswith("your boom raised ValueError: shapes")
    # A crash fails the calls sent after it, and the next test gets a fresh process.
    assert tests["test_pipelined_crash"]["reason"] == "crashed (signal 11)"
    assert tests["test_pipelined_crash"]["message"].startswith("crashed (signal 11) during crash")
    assert tests["test_endless_loop"]["status"] == "timeout"


def test_the_score_counts_only_what_the_judge_saw_pass(probed: dict[str, Any]) -> None:
    passed = {"test_value", "test_after_the_loop", "test_value_again", "test_hidden_data_out_of_reach"}
    passed |= {"test_judge_out_of_reach", "test_public_data_readable"}
    passed |= {"test_pipelined_calls_carry_their_arguments_as_sent", "test_pipelined_big_values_both_ways"}
    passed |= {"test_numerical_gradient_pipelined_or_not", "test_shared_arrays_are_private_copies"}
    assert set(by_name(probed)) - set(not_passed(probed)) == passed
    assert probed["outcome"] == "failed"
    assert probed["score"] == len(passed)
    assert probed["max_score"] == 26
