"""Swedish personal identity numbers (personnummer, and coordination numbers): pure functions, no Django.

The student records system (Ladok) takes the 12-digit form `YYYYMMDD-XXXX`. People and registrars write them in
several ways: `YYMMDD-XXXX`, `YYMMDDXXXX`, `YYMMDD+XXXX` (the `+` for someone 100 or older), `YYYYMMDDXXXX`,
`YYYYMMDD-XXXX`, with spaces. `normalise` turns any of these into the 12-digit form after checking the date and
the check digit (the Luhn algorithm over the ten digits YYMMDDXXXX); a coordination number has 60 added to the day.
"""

import datetime as dt
import re

__all__ = ["InvalidPersonalId", "check_digit", "normalise"]

_SHAPE = re.compile(r"^(?P<century>\d{2})?(?P<date>\d{6})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$")


class InvalidPersonalId(ValueError):
    """The value is not a personal identity number; the message says why, in words for the examiner."""


def check_digit(nine: str) -> int:
    """The Luhn check digit of the nine digits YYMMDDNNN."""
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def normalise(value: str, *, today: dt.date | None = None) -> str:
    """`value` as `YYYYMMDD-XXXX`, or InvalidPersonalId with the reason.

    Without a century, the number belongs to someone under 100 on `today` (over 100 with `+`), as the Tax Agency
    writes it.
    """
    text = re.sub(r"\s+", "", value or "")
    if not text:
        raise InvalidPersonalId("no personal identity number")
    match = _SHAPE.match(text)
    if match is None:
        raise InvalidPersonalId(f"{value!r} is not in the form YYYYMMDD-XXXX")
    yymmdd, serial, check = match["date"], match["serial"], match["check"]
    if match["century"] and match["sep"] == "+":
        raise InvalidPersonalId(f"{value!r}: '+' is only written with a 2-digit year")
    if check_digit(yymmdd + serial) != int(check):
        raise InvalidPersonalId(f"{value!r}: the check digit is wrong (a typing mistake?)")
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > 60:  # a coordination number (samordningsnummer)
        day -= 60
    today = today or dt.date.today()
    if match["century"]:
        year = int(match["century"] + yymmdd[:2])
    else:
        year = (today.year // 100) * 100 + int(yymmdd[:2])
        if (year, month, day) > (today.year, today.month, today.day):
            year -= 100
        if match["sep"] == "+":
            year -= 100
    try:
        born = dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidPersonalId(f"{value!r}: {yymmdd} is not a date") from exc
    if born > today:
        raise InvalidPersonalId(f"{value!r}: the birth date is in the future")
    return f"{year:04d}{yymmdd[2:]}-{serial}{check}"
