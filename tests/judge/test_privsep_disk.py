"""A full disk on the worker while the submission is unpacked is the platform's fault (an infrastructure error,
retried and not counted), never the student's; a bad archive stays the student's. The real command line on a
tiny tmpfs mounted as the worker's scratch folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.judge.local import REPO_ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def tiny_disk(shared_tmp: Path) -> Iterator[Path]:
    mount = shared_tmp / "tiny-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=1777", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
        mount.rmdir()


def grade_on(scratch: Path, suite: Path, path: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(scratch), "PYTHONPATH": str(REPO_ROOT)}
    argv = [sys.executable, "-m", "workers.judge.local", "--suite", str(suite), str(path), "--json"]
    return json.loads(subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True).stdout)


def test_a_full_disk_while_unpacking_is_an_infrastructure_error(
    tiny_disk: Path, suites: Path, shared_tmp: Path
) -> None:
    code = (suites / "a1" / "tests" / "reference.py").read_text()
    archive = shared_tmp / "large-submission.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("assignment1.py", code)
        bundle.writestr("data/notes.txt", "x" * (2 * 1024 * 1024))  # 2 MB unpacked: more than the disk holds
    result = grade_on(tiny_disk, suites / "a1", archive)
    assert result["outcome"] == "infrastructure_error", result
    # Staff see the host's error; the student reads only that the autograder failed (not counted).
    assert any("No space left on device" in note for note in result["staff_notes"]), result["staff_notes"]
    assert not any("No space left on device" in note for note in result["notes"]), result["notes"]

    script = shared_tmp / "assignment1.py"
    script.write_text(code + "\n" + "# padding\n" * 100_000)  # 1 MB
    assert grade_on(tiny_disk, suites / "a1", script)["outcome"] == "infrastructure_error"


def test_a_bad_archive_stays_the_students_fault(tiny_disk: Path, suites: Path, shared_tmp: Path) -> None:
    archive = shared_tmp / "not-a.zip"
    archive.write_bytes(b"PK\x03\x04 this is no zip")
    result = grade_on(tiny_disk, suites / "a1", archive)
    assert result["outcome"] == "import_error", result
