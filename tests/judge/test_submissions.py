"""Submissions in the shapes students really hand in, graded on the A1 suite through grade_local."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.judge.conftest import grade_local, not_passed, write
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
    assert "does not define ComputeAccuracy" in next(t["message"] for t in result["tests"] if "accuracy" in t["name"])


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
    assert any("/nonexistent/python" in note for note in result["notes"])


def test_a_broken_suite_is_an_infrastructure_error(suites: Path, shared_tmp: Path) -> None:
    suite = shared_tmp / "broken-suite"
    write(suite, "suite.toml", "[tests.test_x]\npoints = 1\n")
    write(suite, "tests/test_x.py", "def test_x(student):\n    pass\n")
    result = grade_local(suite, suites / "a1" / "solutions" / "reference.py")
    assert result["outcome"] == "infrastructure_error"
    assert any("'name' must be a non-empty string" in note for note in result["notes"])


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
