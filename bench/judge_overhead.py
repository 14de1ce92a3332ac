"""Judge overhead: the A1 suite on the reference through judge + sandbox vs. in one bare process.

Run with the grading runtime: `.runtime/bin/python bench/judge_overhead.py [--repeat N]` (judge and bare runs
alternate; the ratio is of the medians).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "workers" / "suites" / "dd2424" / "a1"
REFERENCE = SUITE / "solutions" / "reference.py"


class InProcessCaller:
    """The `student` fixture's back end without a sandbox: the module imported right here."""

    def __init__(self, path: Path) -> None:
        spec = importlib.util.spec_from_file_location("student_reference", path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)

    def call(self, name: str, args: tuple, kwargs: dict[str, Any], deadline: float) -> Any:
        return getattr(self.module, name)(*args, **kwargs)


def in_process(scratch: Path) -> int:
    """The suite's tests with the same plugin, but the student's functions called directly."""
    import pytest

    from workers.judge.judge import pytest_args
    from workers.judge.plugin import JudgePlugin
    from workers.judge.suite import load_suite

    suite = load_suite(SUITE)
    with (scratch / "results.jsonl").open("w") as results:
        plugin = JudgePlugin(
            suite, InProcessCaller(REFERENCE), results, scratch / "figures", student_data_dir=str(suite.public_data)
        )
        code = pytest.main(pytest_args(suite), plugins=[plugin])
    passed = all(record["status"] == "passed" for record in plugin.records)
    return 0 if code == 0 and passed else 1


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.in_process)
    subprocess.run([sys.executable, "-m", "workers.suites.build_data"], cwd=REPO, check=True, capture_output=True)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg", "HOME": "/tmp"}
    sandboxed, bare = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            work.chmod(0o711)
            submission = work / "submission"
            submission.mkdir()
            (submission / "assignment1.py").write_text(REFERENCE.read_text())
            argv = [sys.executable, "-m", "workers.judge", "--suite", str(SUITE), "--submission", str(submission)]
            argv += ["--results", str(work / "results.jsonl"), "--figures", str(work / "figures")]
            sandboxed.append(timed(argv, env))
            summary = json.loads((work / "results.jsonl").read_text().splitlines()[-1])
            assert summary["outcome"] == "passed", summary
        with tempfile.TemporaryDirectory() as scratch:
            bare.append(timed([sys.executable, __file__, "--in-process", scratch], env))
    judge_s, bare_s = statistics.median(sandboxed), statistics.median(bare)
    print(f"A1 suite, reference solution, median of {args.repeat} runs on {os.cpu_count()} cores")
    print(f"  judge + sandbox : {judge_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in sandboxed)})")
    print(f"  one process     : {bare_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in bare)})")
    fastest = min(sandboxed) / min(bare)
    print(f"  ratio           : {judge_s / bare_s:6.2f}  (target <= 1.15; of the fastest runs: {fastest:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
