"""Fixtures for the sandbox suite: real runtime, throwaway work dirs, a leak check after each test."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.sandbox.support import PYTHON, RUNTIME_BIND, SMALL, job_cgroups, slot_processes
from workers.sandbox import Limits, Outcome, run


@pytest.fixture(autouse=True)
def nothing_outlives_the_job() -> Iterator[None]:
    yield
    # Teardown finishes just after the Outcome is returned; then nothing may remain.
    deadline = time.monotonic() + 5
    while job_cgroups() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slot_processes() == [], "a sandboxed process outlived its job"
    assert job_cgroups() == [], "a job cgroup was left behind"


def _mkdir() -> str:
    # Under /tmp (world-traversable), not pytest's tmp_path (0700 root), because bwrap
    # resolves bind sources as the unprivileged slot uid.
    return tempfile.mkdtemp(prefix="sandbox-test-", dir="/tmp")


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = _mkdir()
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_dir() -> Iterator[Callable[[], Path]]:
    made: list[str] = []

    def make() -> Path:
        made.append(_mkdir())
        os.chmod(made[-1], 0o755)  # noqa: S103 - slot uids must traverse bind sources
        return Path(made[-1])

    yield make
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def run_python(workdir: Path) -> Callable[..., Outcome]:
    """Write `code` to /work/main.py and run it with the grading runtime in the sandbox."""

    def go(code: str, limits: Limits = SMALL, readonly: tuple = (), **kwargs: object) -> Outcome:
        (workdir / "main.py").write_text(textwrap.dedent(code))
        return run(
            [PYTHON, "main.py"],
            workdir=str(workdir),
            readonly=(RUNTIME_BIND, *readonly),
            limits=limits,
            **kwargs,  # type: ignore[arg-type]
        )

    return go
