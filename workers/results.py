"""The grading result's contract: what crosses from the judge to the worker to the pages.

Standard library only: the judge imports it inside the grading runtime's Python (3.11 or 3.12), the worker and the
pages in the app's. The enums are `StrEnum`s, so their members are the very strings that cross in JSON and that
the database stores (`Outcome.PASSED == "passed"`).

- `Status`: how one test ended (one `TestRecord` line per test in the judge's results stream).
- `Outcome`: how a whole run ended (the judge's `JudgeSummary`, then `GradeResult`, then `GradingJob.outcome`).
- `Fault`: whom an infrastructure error is about (the summary's `infrastructure_fault`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypedDict


class Status(StrEnum):
    """How one test ended, best first (a test's phases keep the worst: see `Status.rank`)."""

    PASSED = "passed"
    SKIPPED = "skipped"  # it did not run: it earns nothing
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"

    @property
    def rank(self) -> int:
        return list(Status).index(self)


class Outcome(StrEnum):
    """How a run ended: the judge says the first five; the worker adds the last two."""

    PASSED = "passed"
    FAILED = "failed"
    IMPORT_ERROR = "import_error"
    MISSING_FUNCTION = "missing_function"
    INFRASTRUCTURE_ERROR = "infrastructure_error"  # never counted against the student
    UNGRADABLE = "ungradable"  # every try failed on this file: counted, nothing earned
    SUPERSEDED = "superseded"  # a waiting run replaced by a newer submission (never ran)

    @property
    def words(self) -> str:
        """As the badge says it ("Import error", not `import_error`)."""
        return OUTCOME_WORDS[self]


OUTCOME_WORDS: dict[Outcome, str] = {
    Outcome.PASSED: "Passed",
    Outcome.FAILED: "Failed",
    Outcome.IMPORT_ERROR: "Import error",
    Outcome.MISSING_FUNCTION: "Missing function",
    Outcome.INFRASTRUCTURE_ERROR: "Autograder error",
    Outcome.UNGRADABLE: "Could not be graded",
    Outcome.SUPERSEDED: "Superseded",
}

# Outcomes the judge itself reports (the rest are the worker's).
JUDGE_OUTCOMES = frozenset(
    {Outcome.PASSED, Outcome.FAILED, Outcome.IMPORT_ERROR, Outcome.MISSING_FUNCTION, Outcome.INFRASTRUCTURE_ERROR}
)


class Fault(StrEnum):
    """Who an infrastructure error is about; the worker counts a job against the student's daily runs only when
    every try ended in one about the file (see workers.lifecycle.job_retry_or_fail)."""

    PLATFORM = "platform"  # the host could not run a sandbox now (no slot, isolation missing)
    SUITE = "suite"  # the suite's tests could not be collected or run: the same on every try, not retried
    FILE = "file"  # the judge failed while grading this submission (a crash of its own, a sandbox error)


FAULT_PLATFORM, FAULT_SUITE, FAULT_FILE = Fault.PLATFORM, Fault.SUITE, Fault.FILE


class TestRecord(TypedDict, total=False):
    """One test's line in the judge's results stream (`kind` "test"), as workers.judge.plugin writes it."""

    kind: str
    name: str
    status: str  # a Status
    reason: str
    message: str  # the student's (redacted)
    details: str  # staff's: the full text
    points: float
    max_points: float
    visibility: str  # workers.models.Visibility
    seconds: float
    figures: list[str]


class JudgeSummary(TypedDict, total=False):
    """The judge's last line (`kind` "summary"); a `provisional` one is written before each test's body and stands
    only if the judge's backstop ended it there."""

    kind: str
    outcome: str  # an Outcome in JUDGE_OUTCOMES
    score: float
    max_score: float
    module: str | None
    missing: list[str]
    import_error: str | None
    infrastructure: str | None  # staff's words for an infrastructure error
    infrastructure_fault: str | None  # a Fault
    suite_problems: list[str]
    notes: list[str]
    staff_notes: list[str]
    seconds: float
    provisional: bool
    backstop_file: str
    stopped: dict[str, Any]  # the TestRecord of the test the backstop stopped


class GradeResult(TypedDict):
    """What workers.judge.local.grade_local returns and the worker records (workers.lifecycle.job_finish)."""

    outcome: str  # an Outcome in JUDGE_OUTCOMES
    score: float
    max_score: float
    tests: list[TestRecord]  # without `kind` and `figures`; `message` public, `details` staff's
    figures: list[str]
    notes: list[str]  # the student's
    staff_notes: list[str]
    infrastructure_fault: str | None
    suite_problems: list[str]
    module: str | None
    missing: list[str]


def is_infrastructure(result: GradeResult | JudgeSummary) -> bool:
    return result.get("outcome") == Outcome.INFRASTRUCTURE_ERROR
