"""CSV files people open in a spreadsheet: cells the spreadsheet would run as a formula are kept as text."""

from typing import TypeVar

T = TypeVar("T")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: T) -> T | str:
    """Text that a spreadsheet would run as a formula (a group name "=HYPERLINK(...)") gets a leading quote;
    anything else is returned as it is."""
    if isinstance(cell, str) and cell[:1] in FORMULA_STARTS:
        return "'" + cell
    return cell
