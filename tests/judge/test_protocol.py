"""Runs the protocol checks (they need numpy) in the grading runtime, with its own pytest."""

from __future__ import annotations

import subprocess
from pathlib import Path

from workers.judge.local import REPO_ROOT, runtime_python

CHECKS = Path(__file__).resolve().parent / "runtime"


def test_the_protocol_checks_pass_in_the_runtime() -> None:
    argv = [runtime_python(), "-m", "pytest", "-q", "-c", "/dev/null", "--rootdir", str(CHECKS)]
    argv += ["--confcutdir", str(CHECKS), "-p", "no:cacheprovider", "-o", "python_files=check_*.py", str(CHECKS)]
    done = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
