"""`manage.py grade_local` runs the real judge and sandbox on a local file; the examiner's page offers the same."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.support import wait_for
from workers.models import GradingJob

from .workers_support import A1_SUITE, WRONG_LARGE

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
    assert "The sample solution is being graded" in response.content.decode()
    trial = GradingJob.objects.get(trigger="trial")
    assert trial.submission is None
    wait_for(lambda: GradingJob.objects.get(pk=trial.pk).is_final, timeout=90)
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "Score 1 / 6" in page and "SECRET-DETAIL" in page  # staff see every test of their trial
    bad = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    refused = client.post("/c/DD2424/workers/assignments/1/trial/", {"solution": bad}, follow=True)
    assert "Upload a .py, .ipynb or .zip file." in refused.content.decode()
    assert client_for(ta).get(f"/c/DD2424/workers/jobs/{trial.pk}/").status_code == 200
