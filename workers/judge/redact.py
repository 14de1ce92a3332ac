"""What of a failure a student may read: no tracebacks of the judge or the worker, no paths of the host.

Staff keep the full text (a test's `details`, a job's `staff_notes`); the student's copy goes through
`public_text`. The student's own traceback (from the sandboxed process) has no "Traceback (most recent call
last):" header and names only the sandbox's paths (/work, /data, /opt/runtime), so it stays as it is.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

TRACEBACK_HEADER = "Traceback (most recent call last):"
CHAINED = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
JUDGE_ROOT = Path(__file__).resolve().parents[2]
# The judge's and the worker's scratch folders (tempfile.mkdtemp / TemporaryDirectory with these prefixes).
SCRATCH_PREFIXES = ("grade-", "job-", "figures-", "suite-upload-", "judge-tests-", "coursesite-")


def _without_tracebacks(text: str) -> str:
    """Drop every traceback block (its header and indented frame lines); keep the exception line after it."""
    kept: list[str] = []
    in_block = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == TRACEBACK_HEADER:
            in_block = True
            continue
        if stripped in CHAINED:
            continue
        if in_block and (line.startswith((" ", "\t")) or not stripped):
            continue
        in_block = False
        kept.append(line)
    return "\n".join(kept).strip("\n")


class Redactor:
    """Replaces the host's own paths (the judge's code, the suite, scratch folders) by short labels."""

    def __init__(self, labels: Iterable[tuple[str | Path, str]] = ()) -> None:
        pairs = [(str(JUDGE_ROOT), "<judge>"), *((str(path), label) for path, label in labels)]
        # Longest first, so that a folder inside another is named by its own label.
        self.labels = sorted(
            ((p.rstrip("/"), label) for p, label in pairs if str(p).strip("/")), key=lambda x: -len(x[0])
        )
        tmp = re.escape(tempfile.gettempdir().rstrip("/"))
        self.scratch = re.compile(rf"{tmp}/(?:{'|'.join(map(re.escape, SCRATCH_PREFIXES))})[^/\s'\"]*")

    def __call__(self, text: str) -> str:
        return public_text(text, self)

    def paths(self, text: str) -> str:
        for path, label in self.labels:
            # The whole folder only (followed by a separator or the end), never a longer name that starts alike.
            text = re.sub(re.escape(path) + r"(?=[/\s'\":,;)\]]|$)", _literal(label), text)
        return self.scratch.sub("<scratch>", text)


def _literal(label: str) -> Callable[[re.Match[str]], str]:
    """A replacement for re.sub that is `label` as it is (a string would have its backslashes read)."""
    return lambda _match: label


DEFAULT = Redactor()


def public_text(text: str, redactor: Redactor | None = None) -> str:
    """`text` as a student may read it: no traceback blocks, no host paths the redactor knows."""
    if not text:
        return text
    return (redactor or DEFAULT).paths(_without_tracebacks(str(text)))
