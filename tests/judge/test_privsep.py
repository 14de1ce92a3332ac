"""The judge runs suite code under a uid of its own, with a memory limit of its own, and starts the student's
process only through the launcher, which decides everything but the module (real judge, launcher and sandbox)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.judge.conftest import by_name, grade_local, write
from workers.judge import fontcache
from workers.judge.launcher import DEFAULT_JUDGE_UID, OUT_OF_MEMORY_REASON, judge_ids

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the judge changes uid only under a root worker")

STUDENT = """
def answer():
    return 42

def size():
    return 200_000_000

def crash():
    import os
    os._exit(3)

def fonts():
    import os
    from pathlib import Path
    lists = sorted(Path(os.environ.get("MPLCONFIGDIR", "/nowhere")).glob("fontlist-*.json"))
    before = [path.stat().st_mtime_ns for path in lists]
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure = plt.figure()
    figure.text(0.5, 0.5, "loss")
    figure.canvas.draw()
    return [path.name for path in lists], [path.stat().st_mtime_ns for path in lists] == before
"""

TESTS = """
import json
import os
from pathlib import Path

import numpy as np
import pytest

from workers.judge import launcher
from workers.sandbox import SandboxUnavailable

ROOT_ONLY = "@ROOT_ONLY@"
ROOT_ONLY_PNG = "@ROOT_ONLY@.png"


def test_the_judge_is_not_root(student, hidden_data):
    assert student.answer() == 42
    assert os.getuid() != 0 and os.geteuid() != 0 and os.getgid() != 0 and os.getgroups() == []
    status = Path("/proc/self/status").read_text()
    assert "CapEff:\\t0000000000000000" in status and "CapPrm:\\t0000000000000000" in status
    assert "NoNewPrivs:\\t1" in status
    assert os.nice(0) >= 10  # below the web server's CPU priority, like the student's process
    for secret in (ROOT_ONLY, "/etc/shadow"):
        with pytest.raises(PermissionError):
            Path(secret).read_bytes()
    assert (hidden_data / "answers.txt").read_text() == "the hidden answers"


def test_the_launcher_starts_only_the_student_runner(student):
    assert student.answer() == 42
    runner = launcher._client  # the judge's own connection to the launcher
    with pytest.raises(SandboxUnavailable, match="refused"):
        runner.spawn(["/bin/sh", "-c", "id"])
    prefix = ["/opt/runtime/bin/python", "-E", "-s", "-u", "-B", "/judge/student_runner.py"]
    for module in ("/etc/passwd", "/work/../etc/passwd", "/data/public.txt"):
        with pytest.raises(SandboxUnavailable, match="inside /work"):
            runner.spawn([*prefix, module])


def test_a_student_process_replaced_many_times_is_started_again(student):
    from workers.judge.session import StudentProblem

    for _ in range(2 * launcher.MAX_LIVE_JOBS):  # each ended job no longer counts against the launcher's limit
        with pytest.raises(StudentProblem, match="exited with code 3"):
            student.crash()
    assert student.answer() == 42


def test_the_judge_home_has_matplotlibs_font_list_and_cannot_change_the_shared_one():
    import sys

    assert "matplotlib.font_manager" not in sys.modules  # nothing built it in this job yet
    copies = sorted(Path(os.environ["MPLCONFIGDIR"]).glob("fontlist-*.json"))
    assert copies, "the judge's home came without the font list: matplotlib scans the fonts in every job"
    json.loads(copies[0].read_text())  # a whole list, which the judge may read
    shared = Path("/run/coursesite-sandbox/matplotlib")
    assert shared.is_dir()
    for attempt in (lambda: list(shared.iterdir()), lambda: (shared / "planted.json").write_text("{}")):
        with pytest.raises(PermissionError):  # the shared lists are root's alone (0750), whatever the umask
            attempt()


def test_the_students_home_has_the_font_list_and_pyplot_uses_it_as_it_is(student):
    lists, unchanged = student.fonts()
    assert lists and unchanged, (lists, unchanged)


def test_figures_are_only_what_the_judge_wrote_in_its_folder(request, figure):
    import matplotlib.pyplot as plt

    plugin = next(p for p in request.config.pluginmanager.get_plugins() if hasattr(p, "figures"))
    figure("own", plt.figure())
    link = plugin.figures / "leak.png"
    link.symlink_to(ROOT_ONLY_PNG)
    plugin.current["figures"] += [str(link), ROOT_ONLY_PNG]  # for the worker to read with its rights


def test_what_the_student_returned_is_too_big_for_the_judge(student):
    values = np.ones(student.size())  # 1.6 GB: past the judge's limit in this test
    assert values.sum() > 0
"""

SUITE_TOML = """
name = "privsep"
assignment = "TEST/privsep"
required = ["answer", "size", "crash"]

[limits]
memory_mb = 256

[tests.test_the_judge_is_not_root]
points = 1

[tests.test_the_launcher_starts_only_the_student_runner]
points = 1

[tests.test_a_student_process_replaced_many_times_is_started_again]
points = 1

[tests.test_the_judge_home_has_matplotlibs_font_list_and_cannot_change_the_shared_one]
points = 1

[tests.test_the_students_home_has_the_font_list_and_pyplot_uses_it_as_it_is]
points = 1

[tests.test_figures_are_only_what_the_judge_wrote_in_its_folder]
points = 1

[tests.test_what_the_student_returned_is_too_big_for_the_judge]
points = 1
"""


@pytest.fixture(scope="module")
def graded(shared_tmp: Path) -> dict[str, Any]:
    """The probe suite graded once, with the judge's memory limit at 1 GB."""
    root = shared_tmp / "privsep-suite"
    root_only = shared_tmp / "root-only.txt"
    root_only.write_text("only root reads this")
    root_only.chmod(0o600)
    Path(f"{root_only}.png").write_bytes(b"only root reads this")
    Path(f"{root_only}.png").chmod(0o600)
    write(root, "tests/test_privsep_probe.py", TESTS.replace("@ROOT_ONLY@", str(root_only)))
    write(root, "hidden_data/answers.txt", "the hidden answers")
    write(root, "public_data/public.txt", "public")
    write(root, "suite.toml", SUITE_TOML)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    student = write(shared_tmp / "privsep-student", "student.py", STUDENT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSESITE_JUDGE_MEMORY_MB", "1024")
        return grade_local(root, student)


def test_suite_code_runs_as_the_judge_uid(graded: dict[str, Any]) -> None:
    test = by_name(graded)["test_the_judge_is_not_root"]
    assert test["status"] == "passed", test


def test_the_judge_cannot_ask_the_launcher_for_other_processes(graded: dict[str, Any]) -> None:
    test = by_name(graded)["test_the_launcher_starts_only_the_student_runner"]
    assert test["status"] == "passed", test


def test_the_launcher_starts_the_students_process_again_after_it_ended(graded: dict[str, Any]) -> None:
    test = by_name(graded)["test_a_student_process_replaced_many_times_is_started_again"]
    assert test["status"] == "passed", test


def test_the_judge_starts_with_a_built_font_list_it_cannot_change(graded: dict[str, Any]) -> None:
    test = by_name(graded)["test_the_judge_home_has_matplotlibs_font_list_and_cannot_change_the_shared_one"]
    assert test["status"] == "passed", test


def test_the_students_code_finds_the_font_list_in_its_home(graded: dict[str, Any]) -> None:
    test = by_name(graded)["test_the_students_home_has_the_font_list_and_pyplot_uses_it_as_it_is"]
    assert test["status"] == "passed", test


def test_an_upload_that_brings_its_own_cache_folder_keeps_it_and_no_link_is_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for planted in ("link", "folder"):
        work = tmp_path / planted
        work.mkdir()
        if planted == "link":
            (work / ".cache").symlink_to(elsewhere)
        else:
            (work / ".cache" / "matplotlib").mkdir(parents=True)
            (work / ".cache" / "matplotlib" / "fontlist-v0.json").symlink_to(elsewhere / "written")
        assert fontcache.student_seed(work) == []
    assert list(elsewhere.iterdir()) == []
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert [path.parent for path in fontcache.student_seed(fresh)] == [fresh / ".cache" / "matplotlib"]


def test_the_worker_takes_only_figures_the_judge_wrote_in_its_folder(graded: dict[str, Any]) -> None:
    assert by_name(graded)["test_figures_are_only_what_the_judge_wrote_in_its_folder"]["status"] == "passed"
    # The judge numbers its figure files (two tests may save the same name); the planted ones are not taken.
    assert [Path(path).name.split("-", 1)[-1] for path in graded["figures"]] == ["own.png"], graded["figures"]


def test_a_judge_out_of_memory_is_the_students_outcome(graded: dict[str, Any]) -> None:
    assert graded["outcome"] == "failed", graded
    assert any(OUT_OF_MEMORY_REASON in note and "1024 MB" in note for note in graded["notes"]), graded["notes"]
    assert graded["max_score"] == 7 and graded["score"] == 6
    assert "test_what_the_student_returned_is_too_big_for_the_judge" not in by_name(graded)


def test_the_judge_uid_is_the_setting_and_never_a_slot_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSESITE_JUDGE_UID", raising=False)
    assert judge_ids() == (DEFAULT_JUDGE_UID, DEFAULT_JUDGE_UID)
    monkeypatch.setenv("COURSESITE_JUDGE_UID", "61005")
    with pytest.raises(ValueError, match="slot uids"):
        judge_ids()
    monkeypatch.setenv("COURSESITE_JUDGE_UID", "0")
    with pytest.raises(ValueError, match="never runs as root"):
        judge_ids()
