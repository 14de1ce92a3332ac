"""Submissions in the shapes students really hand in, graded on the A1 suite through grade_local."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.judge.conftest import by_name, grade_local, not_passed, write
from workers.judge.local import main as local_main


def reference(suites: Path) -> str:
    return (suites / "a1" / "tests" / "reference.py").read_text()


def test_it_finds_the_module_in_src(suites: Path, shared_tmp: Path) -> None:
    folder = shared_tmp / "src-layout"
    write(folder, "src/DD2424_Assignment1.py", reference(suites))
    write(folder, "src/plots.py", "import matplotlib\n\ndef plot_costs(costs):\n    pass\n")
    write(folder, "README.md", "my submission")
    result = grade_local(suites / "a1", folder)
    assert result["outcome"] == "passed"
    assert result["module"] == "src/DD2424_Assignment1.py"


def test_a_zip_is_unpacked_and_graded(suites: Path, shared_tmp: Path) -> None:
    archive = shared_tmp / "submission.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("assignment1/assignment1.py", reference(suites))
        bundle.writestr("assignment1/report.txt", "see the pdf")
    assert grade_local(suites / "a1", archive)["outcome"] == "passed"


def test_a_notebook_with_magics_is_graded(suites: Path, shared_tmp: Path) -> None:
    code = reference(suites).split('\nif __name__ == "__main__":')[0]
    cells = [
        {"cell_type": "markdown", "source": ["# Assignment 1"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "!ls ../data\n", "import numpy as np\n"]},
        {"cell_type": "code", "source": code},
        {"cell_type": "code", "source": ["%%time\n", "print('ready')\n"]},
        {"cell_type": "code", "source": ["%%bash\n", "echo this is not python\n"]},
    ]
    path = shared_tmp / "Assignment1.ipynb"
    path.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    result = grade_local(suites / "a1", path)
    assert result["outcome"] == "passed", result
    assert any("converted notebook Assignment1.ipynb" in note and "magic" in note for note in result["notes"])


def test_missing_functions_are_listed_by_name(suites: Path, shared_tmp: Path) -> None:
    code = reference(suites).replace("def MiniBatchGD(", "def Train(").replace("def ComputeAccuracy(", "def Accuracy(")
    path = write(shared_tmp / "missing", "assignment1.py", code)
    result = grade_local(suites / "a1", path)
    assert result["outcome"] == "missing_function"
    assert result["missing"] == ["ComputeAccuracy", "MiniBatchGD"]
    failing = not_passed(result)
    assert set(failing) == {"test_compute_accuracy", "test_minibatch_gd_benchmark"}
    said = next(t["message"] for t in result["tests"] if "accuracy" in t["name"])
    assert said.startswith("the assignment asks for `ComputeAccuracy(X, y, W, b)`; your file defines `Accuracy(")


def test_import_time_data_loading_is_explained(suites: Path, shared_tmp: Path) -> None:
    code = reference(suites).split('\nif __name__ == "__main__":')[0]
    code += (
        '\nX, Y, y = LoadBatch("Datasets/cifar-10-batches-py/data_batch_1")\nW = MiniBatchGD(X, Y, {}, None, None, 0)\n'
    )
    path = write(shared_tmp / "import-time", "assignment1.py", code)
    result = grade_local(suites / "a1", path)
    assert result["outcome"] == "import_error"
    assert all(t["status"] == "error" and t["reason"] == "import error" for t in result["tests"])
    explained = "\n".join(result["notes"])
    assert "FileNotFoundError" in explained
    assert "tried to open a file while being imported" in explained
    assert 'if __name__ == "__main__":' in explained


def test_import_time_training_is_stopped_and_explained(probe_suite: Path, shared_tmp: Path) -> None:
    code = """
        import time

        def value():
            return 42

        for epoch in range(1000):
            time.sleep(0.05)
            print("epoch", epoch, "cost", 2.3 - epoch / 1000)
    """
    result = grade_local(probe_suite, write(shared_tmp / "slow-import", "training.py", code))
    assert result["outcome"] == "import_error"
    explained = "\n".join(result["notes"])
    assert "did not finish within 3 s" in explained
    assert "printed" in explained and "epoch" in explained
    assert 'if __name__ == "__main__":' in explained


def test_a_syntax_error_is_an_import_error(suites: Path, shared_tmp: Path) -> None:
    path = write(shared_tmp / "syntax", "assignment1.py", "def LoadBatch(filename)\n    return 1\n")
    result = grade_local(suites / "a1", path)
    assert result["outcome"] == "import_error"
    assert any("SyntaxError" in note for note in result["notes"])


def test_a_missing_runtime_is_an_infrastructure_error(suites: Path, monkeypatch) -> None:
    monkeypatch.setenv("COURSESITE_RUNTIME_PYTHON", "/nonexistent/python")
    result = grade_local(suites / "a1", suites / "a1" / "solutions" / "reference.py")
    assert result["outcome"] == "infrastructure_error"
    assert any("/nonexistent/python" in note for note in result["staff_notes"])  # staff's: the student reads
    assert not any("/nonexistent/python" in note for note in result["notes"])  # a plain sentence
    assert result["infrastructure_fault"] is None  # the judge never ran: the platform's, never counted


def test_a_broken_suite_is_an_infrastructure_error(suites: Path, shared_tmp: Path) -> None:
    suite = shared_tmp / "broken-suite"
    write(suite, "suite.toml", "[tests.test_x]\npoints = 1\n")
    write(suite, "tests/test_x.py", "def test_x(student):\n    pass\n")
    result = grade_local(suite, suites / "a1" / "solutions" / "reference.py")
    assert result["outcome"] == "infrastructure_error"
    assert any("'name' must be a non-empty string" in note for note in result["staff_notes"])
    assert result["infrastructure_fault"] == "suite"  # the suite's problem, not the file's: never counted


def test_the_cli_prints_the_result_as_json(suites: Path, capsys) -> None:
    code = local_main(["--suite", str(suites / "a1"), str(suites / "a1" / "solutions" / "reference.py"), "--json"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["outcome"] == "passed"
    assert {"outcome", "score", "max_score", "tests", "figures", "notes"} <= set(printed)


def _orphaned_job_cgroups() -> set[str]:
    """Job cgroups (job-<slot>-<pid that ran it>-<n>) whose process is gone: nothing will ever remove them."""
    found = set()
    for controller in ("memory", "pids", "cpuacct", ""):
        parent = Path("/sys/fs/cgroup", controller, "coursesite-sandbox")
        if parent.is_dir():
            for child in parent.glob("job-*"):
                pid = child.name.split("-")[2]
                if not Path("/proc", pid).exists():
                    found.add(str(child))
    return found


def test_the_judge_leaves_no_cgroup_behind_when_it_exits(suites: Path, shared_tmp: Path) -> None:
    # The judge kills the student's process at the end and exits at once; the sandbox removes a job's cgroup
    # just after the job's outcome is known, so the judge must wait for that before it exits.
    before = _orphaned_job_cgroups()
    path = write(shared_tmp / "leak", "assignment1.py", reference(suites))
    for _ in range(3):
        assert grade_local(suites / "a1", path)["outcome"] == "passed"
    assert _orphaned_job_cgroups() - before == set()


# --- outcomes a student must not be able to bend (issue 13) -------------------------------------------------------

OUTCOME_TOML = """
name = "outcomes"
assignment = "TEST/outcomes"
required = ["value", "many"]

[limits]
per_test_timeout_s = 3
import_timeout_s = 10

[tests.test_skip_in_body]
points = 1
[tests.test_skip_in_a_fixture]
points = 1
[tests.test_skip_mark]
points = 1
[tests.test_skip_in_teardown]
points = 1
[tests.test_xfail_mark_that_fails]
points = 1
[tests.test_xfail_strict_mark_that_passes]
points = 1
[tests.test_xfail_called]
points = 1
[tests.test_judge_loops_over_a_returned_list]
points = 1
[tests.test_after_the_loops]
points = 1
[tests.test_error_in_the_test]
points = 1
"""

# The static check at upload refuses xfail marks; these reach the judge the way a check cannot see.
OUTCOME_TESTS = """
import pytest

XFAIL = getattr(pytest.mark, "xf" + "ail")


@pytest.fixture
def needs_gpu():
    pytest.skip("needs a GPU")


@pytest.fixture
def skips_after():
    yield
    pytest.skip("skipped while tearing down")


def test_skip_in_body(student):
    assert student.value() == 42
    pytest.skip("not graded this year")


def test_skip_in_a_fixture(student, needs_gpu):
    assert student.value() == 42


@pytest.mark.skip(reason="later")
def test_skip_mark(student):
    assert student.value() == 42


def test_skip_in_teardown(student, skips_after):
    assert student.value() == 42


@XFAIL(reason="known to fail")
def test_xfail_mark_that_fails(student):
    assert student.value() == 41


@XFAIL(strict=True)
def test_xfail_strict_mark_that_passes(student):
    assert student.value() == 42


def test_xfail_called(student):
    assert student.value() == 42
    getattr(pytest, "xf" + "ail")("expected to fail")


def test_judge_loops_over_a_returned_list(student):
    values = student.many(100_000)
    pairs = sum(1 for a in values for b in values if a == b)  # 10^10 steps of the judge's own work
    assert pairs == len(values)


def test_after_the_loops(student):
    assert student.value() == 42


def test_error_in_the_test(student, hidden_data):
    assert student.value() == 42
    (hidden_data / "absent.txt").read_text()
"""

OUTCOME_STUDENT = """
def value():
    return 42


def many(n):
    return list(range(n))
"""


def _suite(shared_tmp: Path, name: str, toml: str, tests: str) -> Path:
    root = shared_tmp / name
    write(root, "suite.toml", toml)
    write(root, "tests/test_outcomes.py", tests)
    (root / "public_data").mkdir(exist_ok=True)
    (root / "hidden_data").mkdir(exist_ok=True)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def test_skipped_and_xfail_tests_earn_nothing_and_the_judge_s_own_work_ends_with_the_test(shared_tmp: Path) -> None:
    suite = _suite(shared_tmp, "outcome-suite", OUTCOME_TOML, OUTCOME_TESTS)
    student = write(shared_tmp / "outcome-student", "assignment.py", OUTCOME_STUDENT)
    result = grade_local(suite, student, timeout_s=120)
    tests = by_name(result)
    assert result["outcome"] == "failed", result
    for name in ("test_skip_in_body", "test_skip_in_a_fixture", "test_skip_mark", "test_skip_in_teardown"):
        assert (tests[name]["status"], tests[name]["points"]) == ("skipped", 0), tests[name]
        assert "skipped" in tests[name]["message"] and "earns no points" in tests[name]["message"]
    assert "needs a GPU" in tests["test_skip_in_a_fixture"]["message"]
    for name in ("test_xfail_mark_that_fails", "test_xfail_strict_mark_that_passes", "test_xfail_called"):
        assert (tests[name]["status"], tests[name]["points"]) == ("failed", 0), tests[name]
        assert "xfail" in tests[name]["message"]
    # The judge's own loop over what the student returned ends with the test's deadline.
    looped = tests["test_judge_loops_over_a_returned_list"]
    assert (looped["status"], looped["points"]) == ("timeout", 0), looped
    assert "took longer than the test's time limit (3 s, and 5 s more for the checks)" in looped["message"]
    assert tests["test_after_the_loops"]["status"] == "passed"
    assert result["score"] == 1
    # A failure of the test's own code: the student reads what failed, not the judge's traceback or host paths.
    error = tests["test_error_in_the_test"]
    assert error["status"] == "error" and "FileNotFoundError" in error["message"]
    for leak in (str(suite), str(shared_tmp), "Traceback (most recent call last)", "plugin.py", "/tmp/"):
        assert leak not in error["message"], error["message"]
        assert all(leak not in note for note in result["notes"])
    assert "<suite>/hidden_data/absent.txt" in error["message"]
    assert str(suite / "hidden_data" / "absent.txt") in error["details"]  # staff's


BACKSTOP_TOML = """
name = "backstop"
assignment = "TEST/backstop"
required = ["size"]

[limits]
per_test_timeout_s = 2
import_timeout_s = 10

[tests.test_sums_up_to_the_returned_size]
points = 1
visibility = "hidden"
[tests.test_never_reached]
points = 1
"""

BACKSTOP_TESTS = """
def test_sums_up_to_the_returned_size(student):
    assert sum(range(student.size())) > 0  # one C call that never lets the judge's signal handler run


def test_never_reached(student):
    assert student.size() > 0
"""


def test_judge_work_that_cannot_be_interrupted_is_ended_by_the_backstop_as_the_student_s_timeout(
    shared_tmp: Path,
) -> None:
    suite = _suite(shared_tmp, "backstop-suite", BACKSTOP_TOML, BACKSTOP_TESTS)
    student = write(shared_tmp / "backstop-student", "assignment.py", "def size():\n    return 10**12\n")
    result = grade_local(suite, student, timeout_s=120)
    assert result["outcome"] == "failed", result
    stopped = by_name(result)["test_sums_up_to_the_returned_size"]
    assert (stopped["status"], stopped["points"], stopped["visibility"]) == ("timeout", 0, "hidden")
    assert "test_never_reached" not in by_name(result)
    assert any("the judge had to stop in" in note.lower() for note in result["notes"])
    assert any("Timeout (" in note for note in result["staff_notes"])


def _import_error_for(shared_tmp: Path, probe_suite: Path, name: str, files: dict[str, str | bytes]) -> dict:
    folder = shared_tmp / name
    folder.mkdir()
    for file, content in files.items():
        target = folder / file
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return grade_local(probe_suite, folder, timeout_s=120)


def test_a_file_too_deeply_nested_to_parse_is_the_student_s_import_error(shared_tmp: Path, probe_suite: Path) -> None:
    for name, source in (
        ("deep-sum", "def value():\n    return 42\n\nx = " + "1+" * 600_000 + "1\n"),  # RecursionError
        ("deep-unary", "def value():\n    return 42\n\nx = " + "-" * 1_000_000 + "1\n"),  # MemoryError
    ):
        result = _import_error_for(shared_tmp, probe_suite, name, {"assignment.py": source})
        assert result["outcome"] == "import_error", (name, result)
        assert any("assignment.py: it is too deeply nested to read" in note for note in result["notes"]), result
        assert all(t["status"] == "error" and t["reason"] == "import error" for t in result["tests"])


def test_any_notebook_the_judge_cannot_read_is_the_student_s_import_error(shared_tmp: Path, probe_suite: Path) -> None:
    cases = {
        "nb-types": json.dumps({"cells": [{"cell_type": "code", "source": [1, None]}]}),
        "nb-deep": "[" * 200_000 + "]" * 200_000,
        "nb-bytes": b'{"cells": "\xff\xfe"}',
        "nb-cells-not-a-list": json.dumps({"cells": {"cell_type": "code"}, "metadata": 3}),
    }
    for name, text in cases.items():
        result = _import_error_for(shared_tmp, probe_suite, name, {"A1.ipynb": text})
        assert result["outcome"] in ("import_error", "missing_function"), (name, result)
        if name != "nb-cells-not-a-list":  # an empty notebook is read: it just defines nothing
            assert result["outcome"] == "import_error", (name, result)
            assert any(note.startswith("the autograder could not read notebook A1.ipynb") for note in result["notes"])
