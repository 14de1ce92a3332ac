"""Fixtures for the judge's tests: built demo suites, a probe suite of hostile students, grading."""

from __future__ import annotations

import os
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workers.judge.local import REPO_ROOT, grade_local, runtime_python

SUITES = REPO_ROOT / "workers" / "suites" / "dd2424"
PROBES = Path(__file__).resolve().parent / "probes"


@pytest.fixture(scope="session")
def suites() -> Path:
    """The demo course's suites with their data built (idempotent, about a second)."""
    subprocess.run(
        [runtime_python(), "-m", "workers.suites.build_data"], cwd=REPO_ROOT, check=True, capture_output=True
    )
    return SUITES


@pytest.fixture(scope="session")
def shared_tmp() -> Iterator[Path]:
    """A scratch folder the sandbox's unprivileged uid can traverse (pytest's tmp_path is 0700)."""
    with tempfile.TemporaryDirectory(prefix="judge-tests-") as folder:
        os.chmod(folder, 0o755)  # noqa: S103 -- the sandbox binds suite data from here
        yield Path(folder)


@pytest.fixture(scope="session")
def probe_suite(shared_tmp: Path) -> Path:
    """A suite whose tests call a hostile or broken student's functions; see probes/."""
    root = shared_tmp / "probe-suite"
    (root / "tests").mkdir(parents=True)
    (root / "public_data").mkdir()
    (root / "hidden_data").mkdir()
    (root / "public_data" / "public.txt").write_text("public")
    (root / "hidden_data" / "answers.txt").write_text("the hidden answers")
    marker = shared_tmp / "unpickled-on-the-judge"
    tests = (PROBES / "probe_tests.py").read_text()
    tests = tests.replace("@MARKER@", str(marker)).replace("@JUDGE_SOURCE@", str(REPO_ROOT / "workers/judge/judge.py"))
    (root / "tests" / "test_probe.py").write_text(tests)
    (root / "suite.toml").write_text((PROBES / "suite.toml").read_text())
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def not_passed(result: dict[str, Any]) -> dict[str, str]:
    """Test function name -> status for every test that did not pass."""
    return {t["name"].split("::")[-1]: t["status"] for t in result["tests"] if t["status"] != "passed"}


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"].split("::")[-1]: t for t in result["tests"]}


__all__ = ["by_name", "grade_local", "not_passed", "write"]
