"""The pytest plugin the judge loads into the suite's tests: fixtures and per-test result lines."""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import re
import signal
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import pytest

from workers.judge import checks
from workers.judge.advice import Advice
from workers.judge.redact import Redactor
from workers.judge.session import DATA_INSIDE, InfrastructureError, StudentMissing, StudentProblem, StudentRaised
from workers.judge.suite import Suite
from workers.results import Outcome, Status

MESSAGE_CHARS = 1500
DETAILS_CHARS = 6000
# A skipped test earns nothing, like a failed one; what went worse wins when phases disagree (Status.rank).
# After the test's deadline the judge's own work in it is interrupted (SIGALRM, again every ALARM_REPEAT_S
# should the test swallow it); BACKSTOP_S later the judge ends itself (faulthandler's C thread, which needs no
# GIL); before each test's body the judge writes the provisional summary that then stands (see _arm).
ALARM_REPEAT_S = 0.25
# The judge's own work ends that long after the deadline of the student's calls (which may use all of it), so that a
# test whose student call ended just in time still gets its plot and accuracy computed: half the test's time limit,
# at least JUDGE_GRACE_MIN_S.
JUDGE_GRACE_FRACTION = 0.5
JUDGE_GRACE_MIN_S = 5.0
BACKSTOP_S = 10.0
XFAIL_MESSAGE = (
    "the suite marks this test as expected to fail (xfail), which the autograder does not allow: it scores "
    "nothing; the teachers have been told"
)


def _uninterrupted() -> frozenset[str]:
    import pluggy

    folder = Path(pluggy.__file__).parent
    return frozenset({__file__, *(str(path) for path in folder.glob("*.py"))})


_UNINTERRUPTED = _uninterrupted()


class JudgeTimeout(BaseException):
    """The judge's own work in a test (checks on what the student returned) ran past the test's deadline.

    A BaseException, so that a test's `except Exception` does not swallow it."""


def judge_timeout_message(seconds: float) -> str:
    grace = max(JUDGE_GRACE_MIN_S, JUDGE_GRACE_FRACTION * seconds)
    return (
        f"checking what your code returned took longer than the test's time limit ({seconds:g} s, and "
        f"{grace:g} s more for the checks) and was stopped; this usually means a returned value was far larger "
        "than expected"
    )


class StudentWrongArguments(StudentProblem):
    """The student's def cannot take the call the assignment makes (the count or the names of its arguments)."""

    status, reason = Status.FAILED, "wrong arguments"


class Caller(Protocol):
    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], deadline: float) -> Any: ...


class StudentProxy:
    """`student.ComputeCost(X, Y, W, b, lam)` runs the student's ComputeCost where it lives."""

    def __init__(self, call: Callable[[str, tuple[Any, ...], dict[str, Any]], Any]) -> None:
        self._call = call

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def forward(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, args, kwargs)

        forward.__name__ = name
        return forward


def _trim(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 20] + "\n... (trimmed)"


def assertion_message(text: str) -> str:
    """The test author's message without pytest's introspection (array reprs, 'where ...')
    when there is one; the introspection otherwise."""
    lines = text.splitlines()
    for cut, line in enumerate(lines):
        if line.startswith("assert "):
            return "\n".join(lines[:cut]) if cut else "\n".join(lines[:3])
    return text


def classify(
    excinfo: pytest.ExceptionInfo[BaseException], redact: Redactor | None = None, trace: str = ""
) -> tuple[Status, str, str, str]:
    """(status, reason, message, details) for a test phase that raised. The message is the student's (no
    judge traceback, no host path); the details (`trace`: pytest's report of the phase) are staff's."""
    redact = redact or Redactor()
    error = excinfo.value
    trace = trace[-DETAILS_CHARS:] or excinfo.exconly()
    if isinstance(error, JudgeTimeout):
        return Status.TIMEOUT, "timed out", str(error), trace
    if isinstance(error, StudentProblem):
        text = _trim(str(error))
        return Status(error.status), error.reason, redact(text), text if redact(text) != text else ""
    if isinstance(error, AssertionError):
        text = _trim(assertion_message(str(error)))
        return Status.FAILED, "assertion failed", redact(text), text if redact(text) != text else ""
    if isinstance(error, pytest.fail.Exception):
        text = _trim(str(error))
        return Status.FAILED, "check failed", redact(text), text if redact(text) != text else ""
    if isinstance(error, InfrastructureError):
        return Status.ERROR, "infrastructure error", "the autograder itself failed in this test", _trim(str(error))
    message = "the test's own code failed with " + redact(_trim(excinfo.exconly()))
    return Status.ERROR, f"error in the test ({type(error).__name__})", message, trace


class JudgePlugin:
    """Provides `student`, `public_data`, `hidden_data`, `figure`; writes one JSON line per test."""

    def __init__(
        self,
        suite: Suite,
        caller: Caller | None,
        results: IO[str],
        figures: Path,
        blocked: StudentProblem | None = None,
        student_data_dir: str = DATA_INSIDE,
        before_tests: Callable[[], StudentProblem | None] | None = None,
        after_tests: Callable[[], None] | None = None,
        redact: Redactor | None = None,
        advice: Advice | None = None,
    ) -> None:
        self.redact = redact or Redactor([(suite.root, "<suite>"), (figures, "<figures>")])
        self.advice = advice  # what to tell about the required functions (see workers.judge.advice)
        self.figure_count = 0
        # The judge's own time limit in each test's call phase (see pytest_runtest_call).
        self.busy = 0  # > 0 while a call to the student's process is under way (it has its own deadline)
        self.overdue = False
        self.timeout_s = 0.0
        self.previous_alarm: Any = None
        # Where the backstop writes where the judge was stuck, beside the results (empty unless it fired).
        self.backstop_path = ""
        self.backstop_file: IO[str] | None = None
        name = getattr(results, "name", None)
        if isinstance(name, str) and os.path.isabs(name):
            try:
                self.backstop_file = open(name + ".backstop", "w")  # noqa: SIM115 -- open for the whole run
                self.backstop_path = name + ".backstop"
            except OSError:
                pass
        self.before_tests = before_tests
        self.after_tests = after_tests
        self.student_data_dir = student_data_dir
        self.suite = suite
        self.caller = caller
        self.results = results
        self.figures = figures
        self.blocked = blocked
        self.deadline = 0.0
        self.current: dict[str, Any] = {}
        self.records: list[dict[str, Any]] = []
        self.infrastructure: str | None = None
        self.infrastructure_platform = False  # the sandbox was unavailable (not caused by the submission)
        self.collection_errors: list[str] = []  # the suite's files pytest could not collect (staff only)
        self.pipelining = False
        # Session-scoped fixtures as plain functions in a plugin module of their own (pytest deprecates them as
        # instance methods); suites build their own session fixtures (the loaded batches) on these.
        self.data_fixtures = types.ModuleType("coursesite_judge_data")
        vars(self.data_fixtures).update(
            public_data=pytest.fixture(scope="session", name="public_data")(lambda: suite.public_data),
            # Where the student's code finds the public data (paths to pass to e.g. LoadBatch).
            student_data=pytest.fixture(scope="session", name="student_data")(lambda: student_data_dir),
            hidden_data=pytest.fixture(scope="session", name="hidden_data")(lambda: suite.hidden_data),
        )

    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(self.data_fixtures, "coursesite-judge-data")
        checks.use_pipeline(self.pipeline)
        self.previous_alarm = signal.signal(signal.SIGALRM, self._alarm)

    def pytest_unconfigure(self) -> None:
        checks.use_pipeline(None)
        self._disarm()
        if self.previous_alarm is not None:
            signal.signal(signal.SIGALRM, self.previous_alarm)

    # fixtures -------------------------------------------------------------
    @pytest.fixture
    def student(self) -> StudentProxy:
        if self.blocked is not None:
            # A fresh instance per test: pytest keeps the traceback of what it is given.
            raise type(self.blocked)(str(self.blocked))
        return StudentProxy(self._call)

    @pytest.fixture
    def figure(self) -> Callable[[str, Any], Path]:
        def save(name: str, fig: Any) -> Path:
            import matplotlib.pyplot as plt

            self.figures.mkdir(parents=True, exist_ok=True)
            # Numbered: two tests saving the same name keep a figure each (each follows its own test's visibility).
            self.figure_count += 1
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))[:80]
            path = self.figures / f"{self.figure_count:03d}-{safe}.png"
            fig.savefig(path, dpi=80)
            plt.close(fig)
            self.current.setdefault("figures", []).append(str(path))
            return path

        return save

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        assert self.caller is not None
        target = self.advice.target(name) if self.advice else name  # an accepted alias the module defines
        self.busy += 1
        try:
            if self.pipelining:
                value = self.caller.send(target, args, kwargs, self.deadline, hold=True)  # type: ignore[attr-defined]
            else:
                value = self.caller.call(target, args, kwargs, self.deadline)
        except StudentProblem as problem:
            explained = self._explained(name, args, kwargs, problem)
            if explained is problem:
                raise
            raise explained from None
        finally:
            self.busy -= 1
        self._raise_if_overdue()
        if self.advice is not None and not self.pipelining:
            # Kept for the test's result: shown first should the test fail (see _diagnose).
            diagnosis = self.advice.returned(name, args, kwargs, value)
            if diagnosis and diagnosis not in self.current.setdefault("diagnoses", []):
                self.current["diagnoses"].append(diagnosis)
        return value

    def _explained(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], problem: StudentProblem
    ) -> StudentProblem:
        """A missing function with its closest matches; a call the student's def cannot take, with why."""
        if self.advice is None:
            return problem
        if isinstance(problem, StudentMissing):
            return StudentMissing(self.advice.missing(name))
        first = str(problem).split("\n", 1)[0]
        if isinstance(problem, StudentRaised) and " raised TypeError: " in first and "argument" in first:
            explained = self.advice.wrong_arguments(name, args, kwargs)
            if explained:
                return StudentWrongArguments(f"{explained}\n{problem}")
        return problem

    # the judge's own time limit ---------------------------------------------
    def _alarm(self, signum: int, frame: Any) -> None:
        """SIGALRM past the test's deadline. A call to the student is left to end by its own deadline (the
        channel stays whole); anything else the judge does in the test is interrupted here."""
        if self.busy:
            self.overdue = True
            return
        if frame is not None and frame.f_code.co_filename in _UNINTERRUPTED:
            return  # the judge's own bookkeeping (disarming, hook calls): the repeat comes back in the test
        raise JudgeTimeout(judge_timeout_message(self.timeout_s))

    def _raise_if_overdue(self) -> None:
        if self.overdue and not self.busy:
            raise JudgeTimeout(judge_timeout_message(self.timeout_s))

    def _arm(self, nodeid: str) -> None:
        self.overdue = False
        grace = max(JUDGE_GRACE_MIN_S, JUDGE_GRACE_FRACTION * self.timeout_s)
        remaining = max(self.deadline + grace - time.monotonic(), 0.001)
        signal.setitimer(signal.ITIMER_REAL, remaining, ALARM_REPEAT_S)
        if self.backstop_file is not None:
            # Should the backstop end the judge in this test, this is the last summary grade_local reads: the test
            # timed out, the tests after it did not run (grade_local checks that the backstop really fired).
            stopped = {**self.current, "status": Status.TIMEOUT, "reason": "timed out", "seconds": self.timeout_s}
            stopped["message"] = judge_timeout_message(self.timeout_s) + (
                "; the judge could not interrupt it and had to stop, so the tests after it did not run"
            )
            stopped.pop("started", None)
            stopped.pop("figures", None)
            provisional = {
                "kind": "summary",
                "provisional": True,
                "backstop_file": self.backstop_path,
                "stopped": stopped,
                "outcome": Outcome.FAILED,
                "score": sum(record["points"] for record in self.records),
                "max_score": self.suite.max_score,
            }
            self.results.write(json.dumps(provisional) + "\n")
            self.results.flush()
            faulthandler.dump_traceback_later(remaining + BACKSTOP_S, exit=True, file=self.backstop_file)

    def _disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self.backstop_file is not None:
            faulthandler.cancel_dump_traceback_later()
        self.overdue = False

    @contextlib.contextmanager
    def pipeline(self) -> Iterator[None]:
        """Inside the block the student's calls are sent without waiting for their replies and return
        `Pending` values; leaving the block reads every reply (see checks.pipelined)."""
        caller = self.caller
        if self.pipelining or caller is None or not hasattr(caller, "send"):
            yield
            return
        caller.begin()  # type: ignore[attr-defined]
        self.pipelining = True
        try:
            yield
        finally:
            self.pipelining = False
            self.busy += 1
            try:
                caller.collect(self.deadline)  # type: ignore[attr-defined]
            finally:
                self.busy -= 1
        self._raise_if_overdue()

    # hooks ----------------------------------------------------------------
    def pytest_collection_finish(self) -> None:
        if self.before_tests is not None and self.blocked is None:
            self.blocked = self.before_tests()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid or 'tests'}: {_trim(report.longreprtext)}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        if self.after_tests is not None:
            self.after_tests()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        spec = self.suite.spec_for(nodeid)
        self.timeout_s = float(spec.timeout_s or self.suite.per_test_timeout_s)
        self.deadline = time.monotonic() + self.timeout_s
        self.current = {
            "kind": "test",
            "name": nodeid,
            "status": Status.PASSED,
            "reason": "",
            "message": "",
            "details": "",
            "points": 0.0,
            "max_points": spec.points,
            "visibility": spec.visibility,
            "started": time.monotonic(),
        }

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """The test's body runs under the judge's own time limit: the suite's checks on what the student
        returned (plots of a list of any length, loops over a returned array) end with the test's deadline."""
        self._arm(item.nodeid)
        try:
            return (yield)
        finally:
            self._disarm()

    def _worse(self, status: Status, reason: str, message: str, details: str = "") -> None:
        if status.rank > Status(self.current["status"]).rank:
            self.current.update(status=status, reason=reason, message=message, details=details[-DETAILS_CHARS:])

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """A test's phase as the student's result: a skip in any phase (mark, pytest.skip in a fixture or the
        body) earns nothing and shows as skipped; an xfail (mark or pytest.xfail, failing or passing, strict
        or not) counts as failed (load_suite refuses xfail marks at upload)."""
        report = yield
        if hasattr(report, "wasxfail"):
            self._worse(Status.FAILED, "marked xfail", XFAIL_MESSAGE, f"{call.when}: xfail {report.wasxfail}".strip())
        elif report.failed and call.excinfo is None:  # a strict xfail that passed ("[XPASS(strict)]")
            self._worse(Status.FAILED, "marked xfail", XFAIL_MESSAGE, f"{call.when}: {report.longreprtext}")
        elif report.skipped:
            why = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
            why = self.redact(_trim(str(why).removeprefix("Skipped: ").removeprefix("Skipped")).strip())
            message = "the test was skipped" + (f" ({why})" if why else "") + "; a skipped test earns no points"
            self._worse(Status.SKIPPED, "skipped", message)
        elif call.excinfo is not None:
            status, reason, message, details = classify(call.excinfo, self.redact, report.longreprtext)
            if reason == "infrastructure error":
                self.infrastructure = details
                self.infrastructure_platform = _sandbox_unavailable(call.excinfo.value)
                item.session.shouldstop = "infrastructure error"
            self._worse(status, reason, message, details)
        return report

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        record = self.current
        record["seconds"] = round(time.monotonic() - record.pop("started"), 3)
        self._diagnose(record)
        if not record["details"]:
            del record["details"]
        if record["status"] == Status.PASSED:
            record["points"] = record["max_points"]
        self.records.append(record)
        self.results.write(json.dumps(record) + "\n")
        self.results.flush()

    def _diagnose(self, record: dict[str, Any]) -> None:
        """A failed test whose student calls returned values unlike the declaration says so first; a test whose
        own code then broke on such a value (unpacking a dict, indexing an array) failed on the student's value."""
        diagnoses = record.pop("diagnoses", None)
        if not diagnoses or record["status"] not in (Status.FAILED, Status.ERROR):
            return
        if record["reason"] in ("infrastructure error", "import error", "timed out", "marked xfail"):
            return
        if record["reason"].startswith("error in the test"):
            record["status"], record["reason"] = Status.FAILED, "unacceptable return value"
        record["message"] = _trim(self.redact("\n".join(diagnoses)) + "\n" + record["message"])


def _sandbox_unavailable(error: BaseException) -> bool:
    """The host could not start a sandbox (no slot free, isolation missing): the platform's fault."""
    from workers.sandbox import SandboxUnavailable

    return isinstance(error.__cause__, SandboxUnavailable)
