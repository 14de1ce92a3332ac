"""Grade one submission on this machine: unpack it, run the judge in the runtime, collect results."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from workers import runtimes
from workers.archives import SUBMISSION_MAX_FILES, SUBMISSION_MAX_UNPACKED, ArchiveError, safe_extract
from workers.judge import launcher
from workers.judge.advice import PYTHONS_ENV
from workers.results import GradeResult, JudgeSummary, Outcome, TestRecord

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_TAIL_CHARS = 3000
POLL_S = 0.05
SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
# What the host did wrong while unpacking (a full disk, a quota, a failing device): never the student's fault.
HOST_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ENOMEM})
STOP_GRACE_S = 10.0


class SubmissionError(ValueError):
    """The uploaded file cannot be unpacked (not the judge's or the sandbox's fault)."""


def runtime_python(runtime: str = runtimes.DEFAULT) -> str:
    """The Python of a grading runtime (see workers.runtimes); KeyError for one this site does not have."""
    return runtimes.python_for(runtime)


def suite_runtime(suite_dir: Path | str) -> str:
    """The runtime the suite names (its default when it names none, or when it cannot be read: the judge then
    reports what is wrong with it)."""
    from workers.judge.suite import SuiteError, load_suite

    try:
        return load_suite(suite_dir).runtime
    except (SuiteError, OSError, ValueError):
        return runtimes.DEFAULT


def unpack(path: Path, dest: Path) -> None:
    """Copy a .py/.ipynb file, a folder, or the contents of a .zip into `dest`."""
    if path.is_dir():
        shutil.copytree(path, dest, dirs_exist_ok=True, ignore=_ignore_links)
    elif path.suffix == ".zip":
        try:
            safe_extract(path, dest, max_bytes=SUBMISSION_MAX_UNPACKED, max_files=SUBMISSION_MAX_FILES)
        except ArchiveError as error:
            raise SubmissionError(str(error)) from None
    elif path.suffix in SUBMISSION_SUFFIXES:
        shutil.copyfile(path, dest / path.name)
    else:
        raise SubmissionError(f"cannot grade {path.name}: expected a .py, .ipynb or .zip file, or a folder")


def _ignore_links(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


def _judge_env(home: Path) -> dict[str, str]:
    """A clean environment: nothing of the caller's (secrets, Django settings) reaches the judge; the judge's and
    the sandbox's own settings do."""
    settings = {
        name: value
        for name, value in os.environ.items()
        if name.startswith(("COURSESITE_JUDGE_", "COURSESITE_SANDBOX_"))
        or name in ("COURSESITE_BWRAP", runtimes.RUNTIMES_ENV, runtimes.DEFAULT_PYTHON_ENV)
    }
    return settings | {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


STUDENT_INFRASTRUCTURE = "the autograder itself failed while grading your file; the teachers have the details"


def _backstop(summary: JudgeSummary) -> tuple[dict[str, Any], str] | None:
    """The test the judge was checking when its backstop ended it, and where it was stuck: the judge writes a
    provisional summary before each test's body (workers.judge.plugin), and the backstop's dump only if it fired."""
    path = summary.get("backstop_file")
    stopped = summary.get("stopped")
    if not isinstance(path, str) or not isinstance(stopped, dict):
        return None
    try:
        dump = Path(path).read_text(errors="replace")
    except OSError:
        return None
    return (stopped, dump[:LOG_TAIL_CHARS]) if dump.startswith("Timeout (") else None


def _result(summary: JudgeSummary | None, tests: list[TestRecord], notes: list[str], log: str) -> GradeResult:
    """The judge's summary as the worker records it: `notes` and each test's `message` are the student's (no
    judge traceback, no host path); `staff_notes` and a test's `details` keep the full text for staff."""
    from workers.judge.redact import public_text

    staff_notes: list[str] = []
    tests = list(tests)
    if summary is not None and summary.get("provisional"):
        stopped = _backstop(summary)
        if stopped is not None:
            # The judge's own checks on what the student returned ran past the test's deadline and could not be
            # interrupted: the student's outcome, like a test that timed out.
            record, dump = stopped
            tests.append(cast(TestRecord, record))
            summary = {
                "outcome": Outcome.FAILED,
                "score": sum(float(t.get("points") or 0) for t in tests),
                "max_score": summary.get("max_score", 0.0),
                "notes": [f"The judge had to stop in {record.get('name')}: {record.get('message')}."],
                "staff_notes": ["the judge's backstop ended it:\n" + dump],
            }
        else:
            summary = None  # the judge died in a test some other way
    if summary is None:
        summary = {
            "outcome": Outcome.INFRASTRUCTURE_ERROR,
            "infrastructure": "the judge ended without a summary\n" + log,
        }
    notes = notes + [str(note) for note in summary.get("notes", [])]
    staff_notes += [str(note) for note in summary.get("staff_notes", [])]
    if summary.get("import_error"):
        notes.append(str(summary["import_error"]))
    if summary.get("infrastructure"):
        staff_notes.append(str(summary["infrastructure"]))
        if STUDENT_INFRASTRUCTURE not in notes:
            notes.append(STUDENT_INFRASTRUCTURE)
    figures = [path for test in tests for path in test.get("figures", [])]
    shown: list[TestRecord] = []
    for test in tests:
        item = TestRecord(
            name=test.get("name", ""),
            status=test.get("status", ""),
            reason=test.get("reason", ""),
            message=public_text(str(test.get("message") or "")),
            points=test.get("points", 0.0),
            max_points=test.get("max_points", 0.0),
            visibility=test.get("visibility", ""),
            seconds=test.get("seconds", 0.0),
        )
        details = str(test.get("details") or "")
        if details or item["message"] != (test.get("message") or ""):
            item["details"] = details or str(test.get("message") or "")
        shown.append(item)
    return {
        "outcome": summary["outcome"],
        "score": summary.get("score", 0.0),
        "max_score": summary.get("max_score", sum(float(t.get("max_points") or 0) for t in tests)),
        "tests": shown,
        "figures": figures,
        "notes": [public_text(note) for note in notes],
        "staff_notes": staff_notes,
        "infrastructure_fault": summary.get("infrastructure_fault"),
        "suite_problems": [str(p) for p in summary.get("suite_problems") or []],
        "module": summary.get("module"),
        "missing": summary.get("missing", []),
    }


def grade_local(
    suite_dir: Path | str,
    path: Path | str,
    *,
    on_result: Callable[[TestRecord], None] | None = None,
    figures_dir: Path | str | None = None,
    gpu: int | None = None,
    timeout_s: float = 3600.0,
    runtime: str | None = None,
    python: str | None = None,
) -> GradeResult:
    """Grade `path` (a .py, .ipynb, .zip or folder) against the suite at `suite_dir`, in `runtime` (by default
    the one the suite names), whose judge runs with `python` (by default that runtime's, workers.runtimes)."""
    if python is None:
        runtime = runtime or suite_runtime(suite_dir)
        try:
            python = runtime_python(runtime)
        except (KeyError, runtimes.RuntimeConfigError) as error:
            return _infrastructure(f"the suite's runtime {runtime!r} is not one this site has ({error})")
    figures = Path(figures_dir) if figures_dir else Path(tempfile.mkdtemp(prefix="figures-"))
    with tempfile.TemporaryDirectory(prefix="grade-") as scratch:
        work = Path(scratch)
        work.chmod(0o711)  # the sandbox's uid must reach the submission folder inside
        submission = work / "submission"
        submission.mkdir()
        try:
            unpack(Path(path), submission)
        except OSError as error:
            if error.errno in HOST_ERRNOS:
                return _infrastructure(f"unpacking the submission failed on the worker's disk: {error}")
            return _result({"outcome": Outcome.IMPORT_ERROR, "import_error": str(error)}, [], [], "")
        except SubmissionError as error:
            return _result({"outcome": Outcome.IMPORT_ERROR, "import_error": str(error)}, [], [], "")
        results_path = work / "results.jsonl"
        results_path.touch()
        log_path = work / "judge.log"
        argv = [python, "-m", "workers.judge", "--suite", str(Path(suite_dir).resolve())]
        argv += ["--submission", str(submission), "--results", str(results_path), "--figures", str(figures)]
        if gpu is not None:
            argv += ["--gpu", str(gpu)]
        tests: list[TestRecord] = []
        notes: list[str] = []
        summary: JudgeSummary | None = None

        def consume(line: str) -> None:
            nonlocal summary
            record = json.loads(line)
            if record.get("kind") == "test":
                tests.append(record)
                if on_result is not None:
                    on_result(record)
            elif record.get("kind") == "summary":
                summary = record

        with log_path.open("wb") as log, results_path.open(encoding="utf-8") as stream:
            try:
                # The other runtimes' Pythons tell the judge whether a file it cannot parse is newer Python.
                env = _judge_env(work) | {PYTHONS_ENV: os.pathsep.join(runtimes.syntax_pythons(python))}
                judge = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            except OSError as error:
                return _infrastructure(f"cannot start the judge with {argv[0]}: {error}")
            deadline = time.monotonic() + timeout_s
            pending = ""
            while True:
                finished = judge.poll() is not None
                pending += stream.read()
                *lines, pending = pending.split("\n")
                for line in lines:
                    if line.strip():
                        consume(line)
                if finished:
                    break
                if time.monotonic() > deadline:
                    _stop(judge)
                    notes.append(f"the judge ran longer than {timeout_s:g} s and was stopped")
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):  # back at once when the judge ends
                    judge.wait(timeout=POLL_S)
        log_text = log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        if judge.returncode == launcher.JUDGE_OUT_OF_MEMORY:
            summary = _out_of_memory(suite_dir, tests)
        _keep_own_figures(tests, figures)
        return _result(summary, tests, notes, log_text)


def _infrastructure(words: str) -> GradeResult:
    """The judge could not be run at all (staff read `words`)."""
    return _result({"outcome": Outcome.INFRASTRUCTURE_ERROR, "infrastructure": words}, [], [], "")


def _stop(judge: subprocess.Popen[bytes]) -> None:
    """The launcher ends the judge and tears the student's processes down on SIGTERM; SIGKILL if it does not."""
    judge.terminate()
    try:
        judge.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        judge.kill()
        judge.wait()


def _out_of_memory(suite_dir: Path | str, tests: list[TestRecord]) -> JudgeSummary:
    """The judge hit its own memory limit while handling the student's values: the student's outcome."""
    from workers.judge.suite import SuiteError, load_suite

    try:
        suite = load_suite(suite_dir)
        limit = launcher.judge_memory_mb(int(suite.sandbox_limits.get("memory_mb", 2048)))
        max_score = suite.max_score
    except (SuiteError, OSError, ValueError):
        limit, max_score = None, sum(test.get("max_points", 0) for test in tests)
    reason = launcher.OUT_OF_MEMORY_REASON + (f" (limit {limit} MB)" if limit else "")
    return {
        "outcome": Outcome.FAILED,
        "score": sum(test.get("points", 0) for test in tests),
        "max_score": max_score,
        "notes": [reason + "; the tests after it did not run"],
    }


def _keep_own_figures(tests: list[TestRecord], folder: Path) -> None:
    """Figures are files the judge wrote into `folder`: a path elsewhere, or a link, is dropped (the worker reads
    them with its own rights, and the judge must not make it read what the judge itself may not)."""
    root = folder.resolve()
    for test in tests:
        kept = []
        for name in test.get("figures") or []:
            path = Path(str(name))
            try:
                st = path.lstat()
                inside = path.resolve().parent == root and path.parent.resolve() == root
            except (OSError, RuntimeError):
                continue
            if inside and stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                kept.append(str(path))
        test["figures"] = kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.judge.local", description=__doc__)
    parser.add_argument("--suite", required=True, type=Path)
    parser.add_argument("path", type=Path, help="a .py, .ipynb or .zip file, or a folder")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--figures", type=Path, default=None)
    args = parser.parse_args(argv)

    def show(record: TestRecord) -> None:
        print(
            f"{record['status']:>8}  {record['points']:g}/{record['max_points']:g}  {record['name']}", file=sys.stderr
        )

    result = grade_local(args.suite, args.path, on_result=None if args.json else show, figures_dir=args.figures)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['outcome']}: {result['score']:g}/{result['max_score']:g}")
        for note in result["notes"]:
            print(note)
    return 0 if result["outcome"] in (Outcome.PASSED, Outcome.FAILED) else 1


if __name__ == "__main__":
    sys.exit(main())
