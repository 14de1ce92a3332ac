"""Suites name their grading runtime and declare their functions: checked at upload, shown to the examiner (with
the runtime's Python and packages) and to students before they submit; the sandbox check reports every runtime."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError

from workers import runtimes, services
from workers.archives import zip_folder
from workers.models import Suite

from .workers_support import QUICK_TOML, REPO, quick_suite_folder, zip_upload

DECLARED = QUICK_TOML.replace(
    'required = ["ComputeCost", "LoadScale"]',
    'runtime = "torch"\nrequired = ["ComputeCost", "LoadScale"]\n\n[functions]\n'
    'ComputeCost = { signature = "ComputeCost(x: number) -> cost: number", aliases = ["ComputeLoss"] }\n'
    'LoadScale = "LoadScale(path: text) -> number"\n',
)


def suite_zip(tmp_path, toml: str) -> bytes:  # type: ignore[no-untyped-def]
    return zip_folder(quick_suite_folder(tmp_path, toml=toml))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            ('runtime = "torch"', 'runtime = "python3.9"'),
            "'runtime' must be one of the runtimes this site has (python3.12, torch), not 'python3.9'",
        ),
        (
            ("ComputeCost(x: number)", "ComputeCost(x: K y 1)"),
            "[functions.ComputeCost]: the signature of ComputeCost: 'K y 1' is not a shape",
        ),
        (('aliases = ["ComputeLoss"]', 'aliases = ["LoadScale"]'), "the alias LoadScale is already a required"),
        (("LoadScale = ", "LoadData = "), "[functions.LoadData] names no function in 'required'"),
    ],
)
def test_an_unknown_runtime_or_a_bad_declaration_is_refused_in_words(
    assignment, examiner, tmp_path, change, words
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.suite_upload(
            assignment=assignment, upload=zip_upload(suite_zip(tmp_path, DECLARED.replace(*change))), by=examiner
        )
    assert any(words in message for message in refused.value.messages), refused.value.messages
    assert not Suite.objects.exists()


def test_the_api_refuses_an_unknown_runtime_with_a_400(assignment, examiner, client_for, tmp_path) -> None:
    data = suite_zip(tmp_path, DECLARED.replace('runtime = "torch"', 'runtime = "python2"'))
    response = client_for(examiner).post(
        "/api/courses/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(data)}
    )
    assert response.status_code == 400
    assert "'runtime' must be one of the runtimes this site has" in json.dumps(response.json())


def versions_of(runtime: str) -> tuple[str, str]:
    """The runtime's Python and numpy, asked of the runtime itself."""
    code = "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"
    done = subprocess.run([runtimes.python_for(runtime), "-c", code], capture_output=True, text=True, check=True)
    python, numpy = done.stdout.split()
    return python, numpy


def test_the_examiner_sees_the_runtime_with_its_versions_and_students_see_the_signatures(
    assignment, examiner, student, client_for, tmp_path
) -> None:
    suite = services.suite_upload(assignment=assignment, upload=zip_upload(suite_zip(tmp_path, DECLARED)), by=examiner)
    assert suite.runtime == "torch"
    assert suite.functions["ComputeCost"] == {
        "signature": "ComputeCost(x: number) -> cost: number",
        "call": "ComputeCost(x)",
        "aliases": ["ComputeLoss"],
    }
    services.suite_activate(suite=suite, by=examiner)  # uploads arrive as drafts; the page describes the live one
    python, numpy = versions_of("torch")
    page = client_for(examiner).get("/c/DD2424/workers/assignments/1/").content.decode()
    assert f"Runtime <strong>torch</strong>: Python {python}, numpy {numpy}" in page
    assert "torch 2." in page and "<code>LoadScale(path: text) -&gt; number</code>" in page
    listing = client_for(examiner).get("/api/courses/DD2424/workers/assignments/1/suites/").json()
    assert listing[0]["runtime"] == "torch" and listing[0]["functions"]["LoadScale"]["call"] == "LoadScale(path)"
    before = client_for(student).get("/c/DD2424/assignments/1/").content.decode()
    assert "<code>ComputeCost(x: number) -&gt; cost: number</code>" in before
    assert "(or under the name <code>ComputeLoss</code>)" in before


def test_a_suite_naming_no_runtime_gets_the_default_and_the_demo_suites_declare_theirs(
    assignment, examiner, tmp_path
) -> None:
    suite = services.suite_upload(
        assignment=assignment, upload=zip_upload(suite_zip(tmp_path, QUICK_TOML)), by=examiner
    )
    assert (suite.runtime, suite.functions["ComputeCost"]["signature"]) == ("python3.12", "")
    a1 = services.suite_read_folder(folder=REPO / "workers/suites/dd2424/a1", assignment=assignment)
    assert a1.runtime == "python3.12" and a1.functions["ComputeGradients"]["aliases"] == ["BackwardPass"]


def test_the_sandbox_check_reports_every_runtime_and_runs_each_in_a_sandbox() -> None:
    env = dict(os.environ, COURSESITE_RUNTIMES="py-missing=/nonexistent/bin/python")
    done = subprocess.run(
        [sys.executable, "-m", "workers.sandbox", "check"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    info = json.loads(done.stdout)
    assert done.returncode == 0 and info["ok"]  # a runtime missing on this host is reported, not a broken sandbox
    found = info["runtimes"]
    assert set(found) == {"python3.12", "torch", "py-missing"}
    for name, major_minor in (("python3.12", "3.12."), ("torch", "3.11.")):
        assert found[name]["ok"] and found[name]["runs_in_sandbox"], found[name]["problems"]
        assert found[name]["python_version"].startswith(major_minor)
        assert {"numpy", "scipy", "scikit-learn", "matplotlib", "pytest"} <= set(found[name]["packages"])
    assert "torch" in found["torch"]["packages"] and "torch" not in found["python3.12"]["packages"]
    assert not found["py-missing"]["ok"] and "not installed on this host" in " ".join(found["py-missing"]["problems"])
