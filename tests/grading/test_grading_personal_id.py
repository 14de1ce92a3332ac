"""Personal identity numbers on export: every way a registrar writes one becomes YYYYMMDD-XXXX, checked."""

import datetime as dt

import pytest

from coursesite.personal_id import InvalidPersonalId, check_digit, normalise

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("811218-9876", "19811218-9876"),  # the Tax Agency's example number
        ("8112189876", "19811218-9876"),
        ("19811218-9876", "19811218-9876"),
        ("198112189876", "19811218-9876"),
        (" 19811218 9876 ", "19811218-9876"),
        ("121212+1212", "19121212-1212"),  # '+': 100 or older
        ("121212-1212", "20121212-1212"),
        ("261130-1231", "20261130-1231"),  # born this year, before today
        ("261202-1234", "19261202-1234"),  # a later day of this year: a century ago
        ("701063-2391", "19701063-2391"),  # a coordination number: the day plus 60
    ],
)
def test_a_number_is_written_in_12_digits(written: str, expected: str) -> None:
    assert normalise(written, today=TODAY) == expected


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("", "no personal identity number"),
        ("alice", "is not a personal identity number"),
        ("811218-9875", "the check digit \\(the last digit\\) is wrong"),
        ("811318-9875", "is not a date"),
        ("19811218+9876", "a '+' belongs only in the 10-digit form"),
        ("20301218-9878", "the date of birth 2030-12-18 is in the future"),
    ],
)
def test_a_wrong_number_is_refused_with_the_reason(written: str, problem: str) -> None:
    with pytest.raises(InvalidPersonalId, match=problem.replace("+", r"\+")):
        normalise(written, today=TODAY)


def test_the_check_digit_is_luhn_over_the_ten_digits() -> None:
    assert check_digit("811218987") == 6
    assert check_digit("121212121") == 2
