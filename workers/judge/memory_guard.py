"""Loaded into the judge's pytest run (`-p`): a MemoryError anywhere ends the judge at once.

The judge runs under a memory limit of its own (see launcher); past it, allocations fail. What the judge was doing
then is the handling of what the student's code returned (a reply too large to hold, a value that builds a huge
figure), so the job ends as the student's: the exit status JUDGE_OUT_OF_MEMORY, which the worker reports in plain
words. Nothing is allocated on the way out.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from workers.judge.launcher import JUDGE_OUT_OF_MEMORY


def out_of_memory() -> None:
    try:
        os.write(2, b"the judge ran out of memory\n")
    finally:
        os._exit(JUDGE_OUT_OF_MEMORY)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    if call.excinfo is not None and isinstance(call.excinfo.value, MemoryError):
        out_of_memory()


def pytest_internalerror(excinfo: Any) -> None:
    if isinstance(getattr(excinfo, "value", None), MemoryError):
        out_of_memory()
