"""The exam app's clock: every release and deadline decision asks `now()`, so tests can set the moment.

Setting the clock affects only this app's decisions (questions release, answer deadline, poll window, choice cutoff);
it exists because those rules must be proved to the second, including on daylight-saving days.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    return _frozen if _frozen is not None else timezone.now()


def set_now(moment: dt.datetime | None) -> None:
    """Freeze the clock at `moment` (an aware datetime), or let it run again with None."""
    global _frozen
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("Set the clock with an aware datetime.")
    _frozen = moment


@contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    previous = _frozen
    set_now(moment)
    try:
        yield
    finally:
        set_now(previous)
