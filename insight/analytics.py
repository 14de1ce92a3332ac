"""Pure computations behind the analytics page: grouping failure messages, kinds of outcome, distributions."""

import bisect
import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Order matters: whole array reprs and addresses before the bare numbers inside them.
_ARRAY = re.compile(r"(?:array|tensor)\((?:[^()]|\([^()]*\))*\)", re.S)
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?")
_NUMBER_LIST = re.compile(r"\[[\s\d.,eE+\-\[\]naifNI]*\d[\s\d.,eE+\-\[\]naifNI]*\]")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_QUOTED_NUMBER = re.compile(r"\b(?:nan|inf)\b")
_SPACE = re.compile(r"\s+")
MESSAGE_KEY_CHARS = 300


@functools.lru_cache(maxsize=4096)
def failure_key(message: str) -> str:
    """The message with what varies between students replaced, so that the same assertion groups as one."""
    text = message.strip()
    if "array(" in text or "tensor(" in text:
        text = _ARRAY.sub("array(…)", text)
    if "0x" in text:
        text = _HEX.sub("0x…", text)
    if "/" in text or "\\" in text:
        text = _PATH.sub("<path>", text)
    if "[" in text:
        text = _NUMBER_LIST.sub("[…]", text)
    text = _NUMBER.sub("N", text)
    text = _QUOTED_NUMBER.sub("N", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:MESSAGE_KEY_CHARS] or "(no message)"


# What a test's result says about how it ended; labels as the student sees them.
KINDS = {
    "passed": "Passed",
    "assertion": "Wrong result (assertion failed)",
    "exception": "Raised an exception",
    "timeout": "Timed out",
    "out_of_memory": "Out of memory",
    "import_error": "Import error",
    "missing_function": "Missing function",
    "crashed": "Crashed",
    "output_limit": "Output limit",
    "cpu_limit": "CPU time limit",
    "bad_return": "Unacceptable return value",
    "other": "Other error",
}


def outcome_kind(status: str, reason: str) -> str:
    """One of KINDS for a test result (its status and the judge's reason)."""
    reason = (reason or "").lower()
    if status == "passed":
        return "passed"
    if status == "timeout" or reason.startswith("timed out"):
        return "timeout"
    for needle, kind in (
        ("out of memory", "out_of_memory"),
        ("import error", "import_error"),
        ("missing function", "missing_function"),
        ("crashed", "crashed"),
        ("output limit", "output_limit"),
        ("cpu time limit", "cpu_limit"),
        ("unacceptable return", "bad_return"),
        ("raised an exception", "exception"),
    ):
        if needle in reason:
            return kind
    if status == "failed":
        return "assertion"
    return "other"


@dataclass(frozen=True)
class Bin:
    label: str
    count: int


def score_histogram(fractions: Iterable[float], bins: int = 10) -> list[Bin]:
    """Counts of scores (as a fraction of the maximum) in `bins` equal bins; a full score is in the last one."""
    counts = [0] * bins
    for value in fractions:
        index = min(bins - 1, max(0, math.floor(value * bins + 1e-9)))
        counts[index] += 1
    width = 100 // bins
    return [Bin(f"{i * width}–{(i + 1) * width}%", counts[i]) for i in range(bins)]


# Edges in seconds for grading time and queue wait: short runs are common, long ones matter.
DURATION_EDGES = (1, 5, 15, 30, 60, 120, 300, 600)


def _seconds_label(value: float) -> str:
    return f"{value:g} s" if value < 60 else f"{value / 60:g} min"


def duration_histogram(seconds: Iterable[float], edges: Sequence[float] = DURATION_EDGES) -> list[Bin]:
    counts = [0] * (len(edges) + 1)
    for value in seconds:
        counts[bisect.bisect_right(edges, value)] += 1
    labels = [f"< {_seconds_label(edges[0])}"]
    labels += [f"{_seconds_label(lo)}–{_seconds_label(hi)}" for lo, hi in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {_seconds_label(edges[-1])}")
    return [Bin(label, count) for label, count in zip(labels, counts, strict=True)]


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of values, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]
