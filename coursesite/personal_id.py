"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

Accepted on a roster as YYYYMMDD-XXXX, YYYYMMDDXXXX, YYMMDD-XXXX, YYMMDDXXXX or YYMMDD+XXXX ('+' for people 100
years or older); always stored as the 12-digit YYYYMMDD-XXXX the student records system wants. Checked: the
format, a real date of birth (a coordination number's day is the day plus 60) and the Luhn check digit over the
last 10 digits.
"""

import datetime as dt
import re

_FORMAT = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<serial>\d{4})$")


class PersonalIdError(ValueError):
    """The value is not a personal identity number; the message says why, in words for the examiner."""


InvalidPersonalId = PersonalIdError


def check_digit(nine: str) -> int:
    """The Luhn check digit of the nine digits YYMMDDNNN."""
    total = 0
    for position, char in enumerate(nine):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def luhn_ok(digits: str) -> bool:
    """The ten digits YYMMDDNNNC end in their check digit."""
    return check_digit(digits[:9]) == int(digits[9])


def normalise(text: str, *, today: dt.date | None = None) -> str:
    """The number as YYYYMMDD-XXXX, or PersonalIdError saying what is wrong with it."""
    compact = re.sub(r"\s+", "", text or "")
    if not compact:
        raise PersonalIdError("no personal identity number")
    match = _FORMAT.match(compact)
    if match is None:
        raise PersonalIdError(f"{text!r} is not a personal identity number (write it as YYYYMMDD-XXXX, or YYMMDD-XXXX)")
    today = today or dt.date.today()
    yymmdd, serial = match["yymmdd"], match["serial"]
    if match["century"] and match["sep"] == "+":
        raise PersonalIdError(f"{text!r}: a '+' belongs only in the 10-digit form YYMMDD+XXXX")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    birth_day = day - 60 if day > 60 else day  # a coordination number adds 60 to the day
    if match["century"]:
        year = int(match["century"] + yymmdd[:2])
    else:
        # The 10-digit form: the most recent such year not in the future; '+' means 100 years earlier still.
        year = today.year - (today.year - yy) % 100
        candidate = _date_or_none(year, month, birth_day)
        if candidate is not None and candidate > today:
            year -= 100
        if match["sep"] == "+":
            year -= 100
    born = _date_or_none(year, month, birth_day)
    if born is None:
        raise PersonalIdError(f"{text!r}: {year:04d}-{month:02d}-{birth_day:02d} is not a date")
    if born > today:
        raise PersonalIdError(f"{text!r}: the date of birth {born} is in the future")
    if not luhn_ok(yymmdd + serial):
        raise PersonalIdError(f"{text!r}: the check digit (the last digit) is wrong; is there a typo?")
    return f"{year:04d}{yymmdd[2:]}-{serial}"


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def normalised_or_same(text: str) -> str:
    """A stored number in the normal form when it can be read, else as it is (to compare old records)."""
    try:
        return normalise(text)
    except PersonalIdError:
        return text
