"""What students may see of a run, through a real worker: skipped tests, figures of hidden tests, the judge's own
failures (no tracebacks or host paths; staff see them), and a file that breaks the judge on every try (counted)."""

import pytest

from coursesite.models import AuditLog
from tests.support import wait_for
from workers import conf, services
from workers.archives import zip_folder
from workers.models import GradingJob

from .workers_support import LOAD, RIGHT, quick_suite_folder, zip_upload

pytestmark = pytest.mark.django_db(transaction=True)

OUTCOMES_TOML = """
name = "Outcomes"
assignment = "DD2424/1"
queue = "cpu"
required = ["ComputeCost", "LoadScale"]

[limits]
per_test_timeout_s = 20
import_timeout_s = 15

[tests.test_visible_figure]
points = 1

[tests.test_hidden_figure]
points = 2
visibility = "hidden"

[tests.test_secret_figure]
points = 1
visibility = "secret"

[tests.test_skipped]
points = 1

[tests.test_judge_side_error]
points = 1

[tests.test_judge_breaks]
points = 1
"""

OUTCOMES_TESTS = """
import matplotlib.pyplot as plt
import pytest

from workers.judge.session import InfrastructureError


def _plot(figure, name, values):
    fig, ax = plt.subplots()
    ax.plot(values)
    figure(name, fig)


def test_visible_figure(student, figure):
    _plot(figure, "curve", [float(student.ComputeCost(x)) for x in (0.0, 1.0)])


def test_hidden_figure(student, figure):
    _plot(figure, "curve", [float(student.ComputeCost(x)) for x in (4.0, 5.0)])  # the same name, on purpose


def test_secret_figure(student, figure):
    _plot(figure, "secret_curve", [float(student.ComputeCost(x)) for x in (6.0, 7.0)])


def test_skipped(student):
    assert float(student.ComputeCost(1.0)) == 1.0
    pytest.skip("graded by hand this year")


def test_judge_side_error(student, hidden_data):
    if float(student.ComputeCost(2.0)) == 4.0:
        (hidden_data / "answers-v2.txt").read_text()  # the suite's own bug, met on the judge


def test_judge_breaks(student):
    if float(student.ComputeCost(-1.0)) == -1.0:  # this file trips a failure of the judge's own
        raise InfrastructureError(f"the judge broke in {__file__}")
"""

TRIPS_THE_JUDGE = LOAD + b"def ComputeCost(x):\n    return -1.0 if x == -1.0 else x * x\n"
LEAKS = ("Traceback (most recent call last)", "/tmp/", "plugin.py", "the judge broke in")


@pytest.fixture
def outcomes_suite(assignment, examiner, tmp_path):  # type: ignore[no-untyped-def]
    folder = quick_suite_folder(tmp_path, toml=OUTCOMES_TOML)
    (folder / "tests" / "test_quick.py").write_text(OUTCOMES_TESTS)
    draft = services.suite_upload(assignment=assignment, upload=zip_upload(zip_folder(folder)), by=examiner)
    return services.suite_activate(suite=draft, by=examiner)


def _grading(client, submission) -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/").json()["job"]


def test_students_see_skipped_tests_in_words_and_no_figure_traceback_or_host_path_of_the_judge(
    grading_worker, outcomes_suite, student, examiner, assignment, submit, client_for
) -> None:
    grading_worker("cpu")
    submission = submit(assignment, student, code=RIGHT)
    wait_for(lambda: GradingJob.objects.filter(submission=submission, state="finished").exists(), timeout=90)
    job = GradingJob.objects.get(submission=submission)
    assert (job.outcome, job.score) == ("failed", 5.0)  # the skipped test and the judge-side error earn nothing
    mine, pupil = _grading(client_for(student), submission), client_for(student)
    tests = {t["name"].split("::")[-1]: t for t in mine["tests"]}
    skipped = tests["test_skipped"]
    assert (skipped["status"], skipped["points"]) == ("skipped", 0.0)
    assert "graded by hand this year" in skipped["message"] and "earns no points" in skipped["message"]
    assert tests["test_hidden_figure"]["status"] == "passed" and "test_secret_figure" not in tests
    assert all("details" not in t for t in mine["tests"]) and "staff_notes" not in mine

    # The figures of the hidden and the secret test are staff's: one figure for the student, everywhere.
    assert len(mine["figures"]) == 1
    assert pupil.get(f"/c/DD2424/workers/jobs/{job.pk}/figures/0/").status_code == 200
    assert pupil.get(f"/c/DD2424/workers/jobs/{job.pk}/figures/1/").status_code == 404
    staff = _grading(client_for(examiner), submission)
    assert len(staff["figures"]) == 3
    assert client_for(examiner).get(f"/c/DD2424/workers/jobs/{job.pk}/figures/2/").status_code == 200

    # The judge-side error: what failed, without the judge's traceback or this host's paths; staff have both.
    error = tests["test_judge_side_error"]
    assert error["status"] == "error" and "FileNotFoundError" in error["message"]
    suite_cache = str(conf.suite_cache_dir())
    page = pupil.get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    panel = pupil.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    for shown in (page, panel, str(mine)):
        assert suite_cache not in shown and "Traceback (most recent call last)" not in shown
        assert "/tmp/" not in shown and "Details (staff only)" not in shown
    assert '<span class="badge warn">Skipped</span>' in page
    assert "the test was skipped (graded by hand this year); a skipped test earns no points" in page
    staff_error = next(t for t in staff["tests"] if t["name"].endswith("test_judge_side_error"))
    assert suite_cache in staff_error["details"] and "answers-v2.txt" in staff_error["details"]
    assert "Details (staff only)" in client_for(examiner).get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()


def test_a_file_that_breaks_the_judge_on_every_try_is_counted_and_told_plainly_while_staff_see_why(
    grading_worker, outcomes_suite, student, examiner, assignment, submit, client_for
) -> None:
    grading_worker("cpu", COURSESITE_GRADING_RETRY_DELAY_S="0", COURSESITE_GRADING_MAX_TRIES="3")
    submission = submit(assignment, student, code=TRIPS_THE_JUDGE)
    job = GradingJob.objects.get(submission=submission)
    wait_for(lambda: GradingJob.objects.get(pk=job.pk).is_final, timeout=120)
    job.refresh_from_db()
    assert (job.state, job.outcome, job.tries, job.file_failures, job.score) == ("finished", "ungradable", 3, 3, 0)
    assert services.runs_used_today(assignment=assignment, student=student) == 1
    assert AuditLog.objects.filter(action="job.give_up", target_id=str(job.pk)).exists()

    mine = _grading(client_for(student), submission)
    page = client_for(student).get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    for shown in (page, str(mine)):
        assert "could not grade this file" in shown and "counts against your daily autograder runs" in shown
        for leak in (*LEAKS, str(conf.suite_cache_dir())):
            assert leak not in shown, leak
    staff = _grading(client_for(examiner), submission)
    assert sum("the judge broke in" in note for note in staff["staff_notes"]) == 3  # one per try, with the path
    assert any(str(conf.suite_cache_dir()) in note for note in staff["staff_notes"])


def test_an_upload_with_an_xfail_test_is_refused_naming_the_file_and_the_test(
    assignment, examiner, tmp_path, client_for
) -> None:
    folder = quick_suite_folder(tmp_path)
    tests = folder / "tests" / "test_quick.py"
    tests.write_text(tests.read_text().replace("def test_cost_hidden(", "@pytest.mark.xfail\ndef test_cost_hidden("))
    tests.write_text("import pytest\n" + tests.read_text())
    response = client_for(examiner).post(
        "/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(folder))}, follow=True
    )
    page = response.content.decode()
    assert "The suite was refused:" in page
    assert "tests/test_quick.py, test test_cost_hidden, line" in page and "xfail is not allowed" in page
    assert not assignment.suites.exists()
