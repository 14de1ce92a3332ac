"""`manage.py grade_local` runs the real judge and sandbox on a local file; the examiner's page offers the same."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from coursesite.uploads import store_by_hash
from tests.support import wait_for
from workers.archives import zip_folder
from workers.models import GradingJob, Suite

from .workers_support import A1_SUITE, QUICK_TOML, WRONG_LARGE, quick_suite_folder, zip_upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_grade_local_prints_the_judges_json_for_the_demo_a1_reference_solution(assignment, capsys) -> None:
    call_command("grade_local", str(A1_SUITE / "solutions" / "reference.py"), assignment="DD2424/1", json=True)
    result = json.loads(capsys.readouterr().out)
    assert (result["outcome"], result["score"], result["max_score"]) == ("passed", 10.0, 10.0)
    assert {"name", "status", "message", "points", "max_points", "seconds"} <= set(result["tests"][0])
    assert {t["status"] for t in result["tests"]} == {"passed"}


def test_grade_local_uses_the_uploaded_active_suite_when_there_is_one(quick_suite, tmp_path, capsys) -> None:
    solution = tmp_path / "mine.py"
    solution.write_bytes(WRONG_LARGE)
    call_command("grade_local", str(solution), assignment="DD2424/1", json=True)
    result = json.loads(capsys.readouterr().out)
    assert (result["outcome"], result["score"], result["max_score"]) == ("failed", 1.0, 6.0)
    assert [t["status"] for t in result["tests"]] == ["passed", "failed", "failed"]


def test_the_examiner_tries_the_suite_on_a_sample_solution_from_the_page(
    grading_worker, quick_suite, examiner, ta, client_for
) -> None:
    grading_worker("cpu")
    client = client_for(examiner)
    upload = SimpleUploadedFile("sample.py", WRONG_LARGE, content_type="text/x-python")
    response = client.post("/c/DD2424/workers/assignments/1/trial/", {"solution": upload}, follow=True)
    assert "sample.py is being graded with suite version 1" in response.content.decode()
    trial = GradingJob.objects.get(trigger="trial")
    assert trial.submission is None
    wait_for(lambda: GradingJob.objects.get(pk=trial.pk).is_final, timeout=90)
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "Score 1 / 6" in page and "SECRET-DETAIL" in page  # staff see every test of their trial
    bad = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    refused = client.post("/c/DD2424/workers/assignments/1/trial/", {"solution": bad}, follow=True)
    assert "Upload a .py, .ipynb or .zip file." in refused.content.decode()
    assert client_for(ta).get(f"/c/DD2424/workers/jobs/{trial.pk}/").status_code == 200


def test_a_draft_version_is_tried_before_students_get_it_and_a_judge_side_syntax_error_names_file_and_line(
    grading_worker, quick_suite, examiner, student, client_for, tmp_path
) -> None:
    """v2 worth more is tried as a draft; v3 names the torch runtime (Python 3.11) and has syntax only newer Pythons
    read (PEP 695 `type`, 3.12): the upload's check with that runtime's Python refuses it, and a suite stored
    without that check (an earlier site, another runtime on the workers) is reported by the judge, once, with its
    file and line."""
    grading_worker("cpu")
    client = client_for(examiner)
    richer = quick_suite_folder(tmp_path / "v2", toml=QUICK_TOML.replace("points = 2", "points = 4"))
    client.post("/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(richer))})
    newer = quick_suite_folder(tmp_path / "v3", toml='runtime = "torch"\n' + QUICK_TOML)
    tests = newer / "tests" / "test_quick.py"
    tests.write_text(tests.read_text() + "\ntype Pair = tuple[float, float]\n")
    refused = client.post(
        "/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(newer))}, follow=True
    )
    assert "SyntaxError: invalid syntax" in refused.content.decode()
    assert "(with the Python of the suite&#x27;s runtime, torch)" in refused.content.decode()
    stored = store_by_hash(zip_upload(zip_folder(newer)), folder="suites", extension=".zip")
    fields = {f: getattr(quick_suite, f) for f in ("name", "queue", "required", "limits", "tests", "max_score")}
    Suite.objects.create(
        assignment=quick_suite.assignment,
        version=3,
        archive=stored.name,
        sha256=stored.sha256,
        is_active=False,
        runtime="torch",
        **fields,
    )
    assert list(Suite.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    for version, name in ((2, "wrong_large.py"), (3, "reference.py")):
        upload = SimpleUploadedFile(name, WRONG_LARGE, content_type="text/x-python")
        client.post("/c/DD2424/workers/assignments/1/trial/", {"solution": upload, "version": version})
    wait_for(lambda: all(j.is_final for j in GradingJob.objects.filter(trigger="trial")), timeout=90)
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "Trial of <code>wrong_large.py</code> with v2 (draft)" in page and "Score 1 / 8" in page
    assert "Trial of <code>reference.py</code> with v3 (draft)" in page
    assert "tests/test_quick.py, line" in page and "SyntaxError" in page
    assert "names no test function" not in page
    broken = GradingJob.objects.get(trigger="trial", suite__version=3)
    assert (broken.state, broken.tries) == ("error", 1)  # a broken suite is not retried
    assert "Students are graded by version 1." in page  # trying changed nothing for them
    # A student can neither try nor activate a suite.
    other = client_for(student)
    upload = SimpleUploadedFile("x.py", WRONG_LARGE, content_type="text/x-python")
    assert other.post("/c/DD2424/workers/assignments/1/trial/", {"solution": upload, "version": 2}).status_code == 403
    assert other.post("/c/DD2424/workers/assignments/1/suites/2/activate/").status_code == 403
    assert other.post("/api/courses/DD2424/workers/assignments/1/suites/2/activate/").status_code == 403
    assert GradingJob.objects.filter(trigger="trial").count() == 2
    assert list(Suite.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
