"""The judge's entry point: discover the module, import it in the sandbox, run the suite's tests."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from workers.judge.advice import SYNTAX_ERRORS, Advice, FunctionAsked, newer_syntax
from workers.judge.discover import Discovery, discover
from workers.judge.redact import Redactor
from workers.judge.session import (
    InfrastructureError,
    StudentCrashed,
    StudentImportError,
    StudentMissing,
    StudentProblem,
    StudentSession,
)
from workers.judge.suite import Suite, SuiteError, load_suite
from workers.results import FAULT_FILE, FAULT_PLATFORM, FAULT_SUITE, Fault, JudgeSummary, Outcome, Status

__all__ = ["FAULT_FILE", "FAULT_PLATFORM", "FAULT_SUITE", "grade", "main"]  # the faults: see workers.results.Fault
STUDENT_INFRASTRUCTURE = "the autograder itself failed while grading your file; the teachers have the details"


def pytest_args(suite: Suite) -> list[str]:
    """Run only the suite's own tests, with no configuration found above them."""
    return [
        str(suite.tests_dir),
        "-q",
        "-c",
        os.devnull,
        "--rootdir",
        str(suite.tests_dir),
        "--confcutdir",
        str(suite.tests_dir),
        "-p",
        "no:cacheprovider",
        "-p",
        "workers.judge.memory_guard",
        "-o",
        "python_files=test_*.py",
    ]


def _emit(results: IO[str], record: Mapping[str, object]) -> None:
    results.write(json.dumps(record) + "\n")
    results.flush()


def _format_import_error(error: dict[str, str], hint: str) -> str:
    text = f"importing your file failed with {error.get('type')}: {error.get('message')}"
    if error.get("traceback"):
        text += f"\n{error['traceback']}"
    return text + (f"\n{hint}" if hint else "")


class Startup:
    """The student's first process: launched before pytest starts, so its import overlaps the
    judge's own start-up and collection; its report is awaited just before the first test.

    The launch itself (the sandbox's set-up until bwrap runs, some 20-30 ms) happens on a thread of its own
    while the judge imports pytest. That thread stays until `release`: bwrap's die-with-parent follows the
    thread that forked it, not the process."""

    def __init__(
        self, suite: Suite, submission: Path, module: Path | None, gpu: int | None, found: Discovery | None = None
    ) -> None:
        self.suite = suite
        self.found = found or Discovery(module, (), (), ())
        self.advice = advice_for(suite, self.found, submission)
        self.session = StudentSession(suite, submission, module, gpu) if module else None
        self.missing: list[str] = [] if module else list(suite.required)
        self.import_error: str | None = None
        self.infrastructure: str | None = None
        self.infrastructure_fault: Fault = FAULT_FILE
        self.notes: list[str] = []
        self._launched = threading.Event()
        self._released = threading.Event()
        self._launch_error: InfrastructureError | None = None
        self._thread = threading.Thread(target=self._launch, args=(self.session,), name="student-launch", daemon=True)
        if self.session is not None:
            self._thread.start()

    def _launch(self, session: StudentSession | None) -> None:
        assert session is not None
        try:
            session.launch()
        except InfrastructureError as error:
            self._launch_error = error
        except Exception as error:  # never the student's fault
            trace = traceback.format_exc()[-2000:]
            self._launch_error = InfrastructureError(f"the student's process could not be started: {error!r}\n{trace}")
        finally:
            self._launched.set()
        self._released.wait()

    def release(self) -> None:
        """The first process is over (closed): its launching thread ends."""
        self._released.set()
        if self._thread.is_alive():
            self._thread.join()

    def finish(self) -> StudentProblem | None:
        """Wait for the import; the problem that blocks every test, if any."""
        if self.session is None:
            lines = [self.advice.missing(name) for name in self.suite.required]
            return StudentMissing(
                "no .py file or notebook in your submission defines any of: "
                + ", ".join(self.suite.required)
                + "".join(f"\n- {line}" for line in lines)
            )
        self._launched.wait()
        try:
            if self._launch_error is not None:
                raise self._launch_error
            report = self.session.wait_ready()
        except StudentCrashed as error:
            self.import_error = str(error)
            return StudentImportError(self.import_error)
        except InfrastructureError as error:
            self.infrastructure = str(error)
            if _caused_by_unavailable_sandbox(error):
                self.infrastructure_fault = FAULT_PLATFORM
            return StudentCrashed(STUDENT_INFRASTRUCTURE, "infrastructure error")
        if not report.ok:
            self.import_error = _format_import_error(report.error, report.hint)
            if report.error.get("type") in SYNTAX_ERRORS:
                # Newer Python first, in plain words: the bare SyntaxError of an older one misleads.
                newer = [text for text in map(newer_syntax, self.found.broken[:3]) if text]
                self.import_error = "\n".join([*newer, self.import_error])
            return StudentImportError(self.import_error)
        # What the import really defined is authoritative over the source scan.
        self.missing = self.advice.defines(report.functions)
        if report.hint:
            self.notes.append(report.hint)
        return None


def _caused_by_unavailable_sandbox(error: BaseException) -> bool:
    from workers.sandbox import SandboxUnavailable

    return isinstance(error.__cause__, SandboxUnavailable)


def _discover(submission: Path, suite: Suite) -> Discovery:
    """The source scan; whatever it meets in the student's files is the student's (an import error)."""
    try:
        aliases = {name: suite.function(name).aliases for name in suite.required}
        return discover(submission, suite.required, aliases)
    except Exception as error:  # noqa: BLE001 -- discover handles each file; this is the last line
        problem = f"the autograder could not read your files ({type(error).__name__})"
        return Discovery(None, (), tuple(suite.required), (problem,), problem)


def advice_for(suite: Suite, found: Discovery, submission: Path) -> Advice:
    """The required functions as the suite declares them, against what the submission defines."""
    asked = {
        name: FunctionAsked(name, suite.function(name).signature, suite.function(name).aliases)
        for name in suite.required
    }
    module = found.module.relative_to(submission).as_posix() if found.module else None
    return Advice(asked, found.definitions, module, found.notebooks)


def redactor_for(suite: Suite, submission: Path, figures: Path) -> Redactor:
    """The host's paths this judge knows, named as the student knows them (or not at all)."""
    labels: list[tuple[str | Path, str]] = [
        (submission, "/work"),
        (suite.root, "<suite>"),
        (figures, "<figures>"),
        (submission.parent, "<scratch>"),
        (sys.prefix, "/opt/runtime"),
    ]
    return Redactor(labels)


def grade(suite: Suite, submission: Path, results: IO[str], figures: Path, gpu: int | None) -> JudgeSummary:
    """Run the suite against the submission, stream test lines, and return the summary.

    Nothing the submission holds makes this raise: a failure of the judge's own while grading it ends in a
    summary whose infrastructure error is about this file (FAULT_FILE)."""
    started = time.monotonic()
    try:
        return _grade(suite, submission, results, figures, gpu, started)
    except Exception:  # noqa: BLE001 -- a judge bug met on this file
        summary: JudgeSummary = {
            "kind": "summary",
            "outcome": Outcome.INFRASTRUCTURE_ERROR,
            "score": 0.0,
            "max_score": suite.max_score,
            "infrastructure": traceback.format_exc()[-3000:],
            "infrastructure_fault": FAULT_FILE,
            "notes": [STUDENT_INFRASTRUCTURE],
            "staff_notes": [],
            "seconds": round(time.monotonic() - started, 3),
        }
        _emit(results, summary)
        return summary


def _grade(
    suite: Suite, submission: Path, results: IO[str], figures: Path, gpu: int | None, started: float
) -> JudgeSummary:
    redact = redactor_for(suite, submission, figures)
    found = _discover(submission, suite)
    notes = [redact(note) for note in found.notes]
    module = found.module.relative_to(submission).as_posix() if found.module else None
    _emit(results, {"kind": "discovery", "module": module, "missing": list(found.missing), "notes": notes})
    startup = Startup(suite, submission, found.module, gpu, found)
    if found.problem is not None and found.module is None:
        startup.import_error = redact(found.problem)
    # Imported only now: the student's import runs meanwhile.
    import pytest

    from workers.judge.plugin import JudgePlugin

    session = startup.session
    plugin = JudgePlugin(
        suite,
        session,
        results,
        figures,
        blocked=StudentImportError(startup.import_error) if startup.import_error else None,
        before_tests=startup.finish,
        after_tests=session.close if session is not None else None,
        redact=redact,
        advice=startup.advice,
    )
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        exit_code = pytest.main(pytest_args(suite), plugins=[plugin])
    finally:
        if startup.session is not None:
            startup.session.close()
            startup.release()
    missing, import_error = startup.missing, startup.import_error
    notes += [redact(note) for note in startup.notes]
    if import_error is None:
        notes += [redact(startup.advice.missing(name)) for name in missing]
    staff_notes: list[str] = []
    records = plugin.records
    infrastructure = plugin.infrastructure or startup.infrastructure
    fault = FAULT_PLATFORM if plugin.infrastructure_platform else FAULT_FILE
    if startup.infrastructure and not plugin.infrastructure:
        fault = startup.infrastructure_fault
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and infrastructure is None:
        infrastructure = f"the suite's tests could not run (pytest exit code {int(exit_code)})"
        if plugin.collection_errors:
            infrastructure = "the suite's tests could not be collected:\n" + "\n".join(plugin.collection_errors)
        # An internal error is a hook of the judge's that failed on what this file sent; the rest is the suite's
        # (collection errors, no tests, usage).
        fault = FAULT_FILE if exit_code == pytest.ExitCode.INTERNAL_ERROR else FAULT_SUITE
    names = {record["name"] for record in records}
    for key in suite.tests:
        if not any(key in (name, name.split("[")[0], name.split("::")[-1].split("[")[0]) for name in names):
            # For staff: a secret test's name is not the student's to read.
            staff_notes.append(f"suite lists test {key!r}, which did not run")
    if infrastructure is not None:
        notes.append(STUDENT_INFRASTRUCTURE)
        outcome = Outcome.INFRASTRUCTURE_ERROR
    elif import_error is not None:
        outcome = Outcome.IMPORT_ERROR
    elif missing or startup.session is None:
        outcome = Outcome.MISSING_FUNCTION
    elif records and all(record["status"] == Status.PASSED for record in records):
        outcome = Outcome.PASSED
    else:
        outcome = Outcome.FAILED
    summary: JudgeSummary = {
        "kind": "summary",
        "outcome": outcome,
        "score": sum(record["points"] for record in records),
        "max_score": sum(record["max_points"] for record in records) if records else suite.max_score,
        "module": module,
        "missing": missing,
        "import_error": redact(import_error) if import_error else import_error,
        "infrastructure": infrastructure,
        "infrastructure_fault": fault if infrastructure is not None else None,
        "notes": notes,
        "staff_notes": staff_notes,
        "seconds": round(time.monotonic() - started, 3),
    }
    _emit(results, summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Load the suite, then fork the judge under its own uid and memory limit, and serve it (see launcher)."""
    from workers.judge import launcher

    parser = argparse.ArgumentParser(prog="python -m workers.judge", description=__doc__)
    parser.add_argument("--suite", required=True, type=Path)
    parser.add_argument("--submission", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path)
    parser.add_argument("--figures", required=True, type=Path)
    parser.add_argument("--gpu", type=int, default=None)
    args = parser.parse_args(argv)
    # Opened here, with the worker's rights: the judge writes to what it inherits.
    with args.results.open("a", encoding="utf-8") as results:
        try:
            # The backstop's file beside it (see JudgePlugin) is made here and given to the judge's uid, which
            # cannot create files in that folder.
            backstop = Path(f"{args.results}.backstop")
            backstop.touch(mode=0o600)
            ids = launcher.judge_ids()
            if ids is not None:
                os.chown(backstop, *ids)
            suite = load_suite(args.suite)
            submission, figures = args.submission.resolve(), args.figures.resolve()
            return launcher.run(
                suite, submission, figures, args.gpu, lambda: _judge(suite, submission, results, figures, args.gpu)
            )
        except SuiteError as error:
            # The suite itself is unusable (a test file with a SyntaxError under this Python, ...): the same on
            # every try, so the worker reports it at once, with every problem, instead of retrying.
            _emit(results, _broken(str(error), fault=FAULT_SUITE, problems=error.problems))
            return 2
        except (InfrastructureError, OSError, ValueError) as error:
            _emit(results, _broken(str(error)))
            return 2


def _judge(suite: Suite, submission: Path, results: IO[str], figures: Path, gpu: int | None) -> int:
    """The judge's own process (its uid, its memory limit): grade and write the summary."""
    try:
        grade(suite, submission, results, figures, gpu)
    except InfrastructureError as error:
        _emit(results, _broken(str(error)))
        return 2
    except MemoryError:
        raise  # the launcher's exit status says so; nothing more can be allocated here
    except Exception:
        _emit(results, _broken(traceback.format_exc()[-3000:]))  # a judge crash is never the student's fault
        return 3
    return 0


def _broken(words: str, *, fault: Fault | None = None, problems: list[str] | None = None) -> JudgeSummary:
    """The summary of a judge that could not grade at all (staff read `words`; the worker retries it, or, for a
    broken suite, reports it at once)."""
    summary = JudgeSummary(kind="summary", outcome=Outcome.INFRASTRUCTURE_ERROR, infrastructure=words)
    if fault is not None:
        summary["infrastructure_fault"], summary["suite_problems"] = fault, list(problems or [])
    return summary


if __name__ == "__main__":
    sys.exit(main())
