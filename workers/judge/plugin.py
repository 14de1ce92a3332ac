"""The pytest plugin the judge loads into the suite's tests: fixtures and per-test result lines."""

from __future__ import annotations

import contextlib
import json
import re
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import pytest

from workers.judge import checks
from workers.judge.session import DATA_INSIDE, InfrastructureError, StudentProblem
from workers.judge.suite import Suite

MESSAGE_CHARS = 1500
STATUS_RANK = {"passed": 0, "failed": 1, "error": 2, "timeout": 3}


class Caller(Protocol):
    def call(self, name: str, args: tuple, kwargs: dict[str, Any], deadline: float) -> Any: ...


class StudentProxy:
    """`student.ComputeCost(X, Y, W, b, lam)` runs the student's ComputeCost where it lives."""

    def __init__(self, call: Callable[[str, tuple, dict[str, Any]], Any]) -> None:
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


def classify(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, str, str]:
    """(status, reason, message) for a test phase that raised."""
    error = excinfo.value
    if isinstance(error, StudentProblem):
        return error.status, error.reason, _trim(str(error))
    if isinstance(error, AssertionError):
        return "failed", "assertion failed", _trim(assertion_message(str(error)))
    if isinstance(error, InfrastructureError):
        return "error", "infrastructure error", _trim(str(error))
    return "error", f"error in the test ({type(error).__name__})", _trim(excinfo.exconly())


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
    ) -> None:
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
        self.pipelining = False
        # Session-scoped fixtures as plain functions in a plugin module of their own (pytest deprecates them as
        # instance methods); suites build their own session fixtures (the loaded batches) on these.
        self.data_fixtures = types.ModuleType("coursesite_judge_data")
        self.data_fixtures.public_data = pytest.fixture(scope="session", name="public_data")(lambda: suite.public_data)
        # Where the student's code finds the public data (paths to pass to e.g. LoadBatch).
        self.data_fixtures.student_data = pytest.fixture(scope="session", name="student_data")(lambda: student_data_dir)
        self.data_fixtures.hidden_data = pytest.fixture(scope="session", name="hidden_data")(lambda: suite.hidden_data)

    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(self.data_fixtures, "coursesite-judge-data")
        checks.use_pipeline(self.pipeline)

    def pytest_unconfigure(self) -> None:
        checks.use_pipeline(None)

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
            path = self.figures / (re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] + ".png")
            fig.savefig(path, dpi=80)
            plt.close(fig)
            self.current.setdefault("figures", []).append(str(path))
            return path

        return save

    def _call(self, name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        assert self.caller is not None
        if self.pipelining:
            return self.caller.send(name, args, kwargs, self.deadline, hold=True)  # type: ignore[attr-defined]
        return self.caller.call(name, args, kwargs, self.deadline)

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
            caller.collect(self.deadline)  # type: ignore[attr-defined]

    # hooks ----------------------------------------------------------------
    def pytest_collection_finish(self) -> None:
        if self.before_tests is not None and self.blocked is None:
            self.blocked = self.before_tests()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        if self.after_tests is not None:
            self.after_tests()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        spec = self.suite.spec_for(nodeid)
        self.deadline = time.monotonic() + (spec.timeout_s or self.suite.per_test_timeout_s)
        self.current = {
            "kind": "test",
            "name": nodeid,
            "status": "passed",
            "reason": "",
            "message": "",
            "points": 0.0,
            "max_points": spec.points,
            "visibility": spec.visibility,
            "started": time.monotonic(),
        }

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if call.excinfo is not None and not report.skipped:
            status, reason, message = classify(call.excinfo)
            if reason == "infrastructure error":
                self.infrastructure = message
                item.session.shouldstop = "infrastructure error"
            if STATUS_RANK[status] > STATUS_RANK[self.current["status"]]:
                self.current.update(status=status, reason=reason, message=message)
        elif report.skipped and call.when == "setup":
            self.current.update(status="error", reason="skipped", message="the test was skipped")
        return report

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        record = self.current
        record["seconds"] = round(time.monotonic() - record.pop("started"), 3)
        if record["status"] == "passed":
            record["points"] = record["max_points"]
        self.records.append(record)
        self.results.write(json.dumps(record) + "\n")
        self.results.flush()
