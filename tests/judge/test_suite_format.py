"""suite.toml validation and module discovery: plain-words problems, no execution of student code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.judge.conftest import write
from workers.judge.discover import discover
from workers.judge.suite import SuiteError, load_suite, validate

GOOD = """
name = "demo"
assignment = "X/1"
required = ["f"]

[limits]
memory_mb = 512
per_test_timeout_s = 5

[tests.test_f]
points = 2
visibility = "hidden"
"""


def test_the_demo_suites_are_valid(suites: Path) -> None:
    for folder in sorted(suites.glob("a*")):
        suite = load_suite(folder)
        assert suite.queue == "cpu" and suite.max_score >= 10
        assert suite.assignment == f"DD2424/{folder.name[1]}"


def test_a_good_suite_loads(tmp_path: Path) -> None:
    write(tmp_path, "suite.toml", GOOD)
    write(tmp_path, "tests/test_f.py", "def test_f(student):\n    pass\n")
    suite = load_suite(tmp_path)
    assert suite.required == ("f",)
    assert suite.sandbox_limits == {"memory_mb": 512}
    assert suite.per_test_timeout_s == 5
    assert suite.spec_for("test_f.py::test_f[case]").points == 2
    assert suite.spec_for("test_f.py::test_other").points == 0


def test_it_names_every_problem(tmp_path: Path) -> None:
    write(
        tmp_path,
        "suite.toml",
        """
        name = ""
        assignment = "X/1"
        queue = "tpu"
        required = ["not a name"]
        colour = "red"

        [limits]
        memory_mb = -1
        gpus = 2

        [tests.test_f]
        points = "many"
        visibility = "private"

        [tests.test_absent]
        points = 1
        """,
    )
    write(tmp_path, "tests/test_f.py", "def test_f(student):\n    pass\n")
    problems = "\n".join(validate(tmp_path))
    for expected in (
        "'name' must be a non-empty string",
        "'queue' must be one of cpu, gpu",
        "'required' must be a non-empty list of function names",
        "unknown top-level key(s): colour",
        "limit 'memory_mb' must be a positive integer",
        "unknown limit 'gpus'",
        "points must be a number >= 0",
        "visibility must be one of visible, hidden, secret",
        '[tests."test_absent"] names no test function',
    ):
        assert expected in problems


def test_it_rejects_a_folder_without_suite_toml_or_tests(tmp_path: Path) -> None:
    assert validate(tmp_path) == [f"no suite.toml in {tmp_path.name}"]
    write(tmp_path, "suite.toml", "name = [")
    assert validate(tmp_path)[0].startswith("suite.toml is not valid TOML")
    write(tmp_path, "suite.toml", GOOD)
    with pytest.raises(SuiteError) as raised:
        load_suite(tmp_path)
    assert "tests/ must contain at least one test_*.py file" in raised.value.problems


def test_it_rejects_symbolic_links_in_an_uploaded_suite(tmp_path: Path) -> None:
    write(tmp_path, "suite.toml", GOOD)
    write(tmp_path, "tests/test_f.py", "def test_f(student):\n    pass\n")
    (tmp_path / "hidden_data").mkdir()
    (tmp_path / "hidden_data" / "passwd").symlink_to("/etc/passwd")
    assert "hidden_data/passwd is a symbolic link" in validate(tmp_path)


def test_discovery_prefers_the_file_that_defines_most(tmp_path: Path) -> None:
    write(tmp_path, "src/helpers.py", "def f():\n    pass\n")
    write(tmp_path, "src/DD2424_Assignment1.py", "import numpy\n\ndef f():\n    pass\n\ndef g():\n    pass\n")
    write(tmp_path, "src/main_only.py", 'if __name__ == "__main__":\n    def h():\n        pass\n')
    found = discover(tmp_path, ["f", "g", "h"])
    assert found.module == tmp_path / "src" / "DD2424_Assignment1.py"
    assert found.missing == ("h",)


def test_discovery_converts_notebooks_without_magics(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": ["%load_ext autoreload\n", "def f():\n", "    !ls\n", "    return 1\n"]},
        {"cell_type": "code", "source": "%%html\n<b>hi</b>"},
    ]
    (tmp_path / "A1.ipynb").write_text(json.dumps({"cells": cells}))
    found = discover(tmp_path, ["f"])
    assert found.module == tmp_path / "A1.py"
    assert "dropped 4 IPython magic or shell line(s)" in found.notes[0]
    namespace: dict = {}
    exec(compile(found.module.read_text(), "A1.py", "exec"), namespace)  # noqa: S102 -- our own test text
    assert namespace["f"]() == 1


def test_a_suite_sets_the_size_and_file_count_of_the_students_work_folder(tmp_path: Path) -> None:
    from workers.sandbox import Limits

    write(tmp_path, "suite.toml", GOOD.replace("memory_mb = 512", "memory_mb = 512\nwork_mb = 64\nwork_files = 500"))
    write(tmp_path, "tests/test_f.py", "def test_f(student):\n    pass\n")
    limits = Limits(**load_suite(tmp_path).sandbox_limits)  # as the judge's session builds them
    assert (limits.work_mb, limits.work_files) == (64, 500)
    write(tmp_path, "suite.toml", GOOD.replace("memory_mb = 512", "work_mb = 0.5"))
    assert validate(tmp_path) == ["limit 'work_mb' must be a positive integer"]


XFAIL_TOML = GOOD.replace('[tests.test_f]\npoints = 2\nvisibility = "hidden"\n', "[tests.test_f]\npoints = 2\n")


def test_it_refuses_every_xfail_naming_the_file_and_the_test(tmp_path: Path) -> None:
    write(tmp_path, "suite.toml", XFAIL_TOML)
    write(
        tmp_path,
        "tests/test_f.py",
        """
        import pytest
        from pytest import xfail as expect_failure


        def test_f(student):
            pass


        @pytest.mark.xfail(strict=True)
        def test_marked(student):
            pass


        def test_called(student):
            pytest.xfail("not yet")


        @pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.xfail)])
        def test_param(student, n):
            pass


        class TestGroup:
            def test_by_name(self, student):
                getattr(pytest.mark, "xfail")
        """,
    )
    write(tmp_path, "tests/test_g.py", "import pytest\n\npytestmark = pytest.mark.xfail\n\n\ndef test_g():\n    pass\n")
    write(tmp_path, "tests/conftest.py", 'def pytest_itemcollected(item):\n    item.add_marker("xfail")\n')
    problems = validate(tmp_path)
    text = "\n".join(problems)
    for where in (
        "tests/test_f.py, outside any test (it may mark every test in the file), line 3",
        "tests/test_f.py, test test_marked, line 10",
        "tests/test_f.py, test test_called, line 16",
        "tests/test_f.py, test test_param, line 19",
        "tests/test_f.py, test TestGroup.test_by_name, line 26",
        "tests/test_g.py, outside any test (it may mark every test in the file), line 3",
        "tests/conftest.py, test pytest_itemcollected, line 2",
    ):
        assert f"{where}: xfail is not allowed" in text, (where, problems)
    assert all("xfail is not allowed" in problem for problem in problems)
    with pytest.raises(SuiteError):
        load_suite(tmp_path)


def test_discovery_never_raises_on_what_the_student_wrote(tmp_path: Path) -> None:
    write(tmp_path, "good.py", "def f():\n    pass\n")
    (tmp_path / "deep.py").write_text("x = " + "1+" * 600_000 + "1\n")
    (tmp_path / "nulls.py").write_bytes(b"def g():\n    pass\n\0")
    (tmp_path / "latin.py").write_bytes(b"def h():\n    return '\xff'\n")
    (tmp_path / "N.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": [None]}]}))
    found = discover(tmp_path, ["f"])
    assert found.module == tmp_path / "good.py" and found.problem is None
    assert any(note.startswith("could not read deep.py: it is too deeply nested to read") for note in found.notes)
    assert any(note.startswith("could not read notebook N.ipynb") for note in found.notes)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "deep.py").write_text("x = " + "-" * 1_000_000 + "1\n")
    found = discover(alone, ["f"])
    assert found.module is None
    assert found.problem == (
        "the autograder could not read deep.py: it is too deeply nested to read (its expressions or brackets nest "
        "deeper than Python can parse)"
    )
