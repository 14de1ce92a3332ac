"""The limits probe suite's tests (instructor side): each makes the student reply something the judge must refuse
as the student's protocol violation, without growing its own memory; the last one checks the judge's peak."""

import resource

import pytest

from workers.judge.checks import pipelined, value_of

# The judge's own peak memory after all of the below (ru_maxrss, in MB): well under what the replies would have
# cost it unchecked (about 800 MB for the pipelined flood, 500 MB for the 16 MB JSON reply).
PEAK_MB = 512


def test_value(student):
    assert student.value() == 42


@pytest.mark.parametrize(
    "variant",
    [
        "zero_itemsize_str",
        "zero_itemsize_bytes",
        "negative_dims",
        "overflowing_empty_shape",
        "too_many_dims",
        "unhashable_header",
        "fortran_order_not_bool",
        "huge_header",
    ],
)
def test_bad_npy_header(student, variant):
    student.bad_npy(variant)


def test_huge_json_reply(student):
    student.huge_json(16)


def test_many_items_reply(student):
    student.many_items()


def test_deep_json_reply(student):
    student.deep_json(100)


def test_very_deep_json_reply(student):
    student.deep_json(400_000)


@pytest.mark.parametrize("kind", ["array", "bool"])
def test_forged_reply_id(student, kind):
    student.forged_id(kind)


def test_forged_raised_reply(student):
    student.forged_raised("type")


def test_huge_text_return(student):
    student.huge_text()


def test_pipelined_flood(student):
    with pipelined():
        replies = [student.flood(24, 32)] + [student.value() for _ in range(23)]
    for reply in replies:
        value_of(reply)


def test_value_after_the_floods(student):
    assert student.value() == 42


def test_the_judge_stayed_small():
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    assert peak_mb < PEAK_MB, f"the judge's peak memory was {peak_mb} MB"
