"""What a student reads of their results: the summary first, an import error's hint once, badges in words, the
test that is running and for how long, and an announcement for screen readers when the results arrive."""

import datetime as dt

from django.utils import timezone

from workers.judge.student_runner import MAIN_GUARD_HINT

from .workers_support import recorded_job

IMPORT_ERROR = "importing your file raised NameError: name 'X' is not defined (line 3)\n" + MAIN_GUARD_HINT
NAMES = ("test_a1.py::test_load_batch", "test_a1.py::test_compute_cost", "test_a1.py::test_gradients")


def test_an_import_error_is_said_once_at_the_top_with_badges_in_words(assignment, student, submit, client_for) -> None:
    submission = submit(assignment, student)
    tests = [(name, "error", "import error", IMPORT_ERROR, 0, 2, 0.0) for name in NAMES]
    job = recorded_job(submission, outcome="import_error", tests=tests, notes=[IMPORT_ERROR])
    page = client_for(student).get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert page.count("move the script part") == 1  # the 15-line hint once, not in every row and the notes
    assert page.count("Not run: the import failed (see above).") == 3
    assert ">Import error</span>" in page and "importerror" not in page and "import_error<" not in page
    summary, problem, table = (page.index(s) for s in ("grading-score", "grading-problem", "grading-tests"))
    assert summary < problem < table  # the summary first, then the problem, then the tests
    fragment = client_for(student).get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert f'hx-swap-oob="innerHTML:#grading-announce-{job.pk}"' in fragment
    assert "Autograder results are in: score 0 of 6, import error." in fragment


def test_a_missing_function_reads_as_words(assignment, student, submit, client_for) -> None:
    submission = submit(assignment, student)
    tests = [(NAMES[0], "failed", "missing function", "your module does not define LoadBatch", 0, 2, 0.1)]
    recorded_job(submission, outcome="missing_function", tests=tests)
    page = client_for(student).get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert page.count(">Missing function</span>") == 2 and "missingfunction" not in page


def test_while_a_test_runs_the_page_says_which_and_for_how_long_and_the_announcement_waits(
    assignment, student, submit, client_for
) -> None:
    submission = submit(assignment, student)
    started = timezone.now() - dt.timedelta(seconds=30)
    tests = [(NAMES[0], "passed", "", "", 2, 2, 1.5)]
    job = recorded_job(submission, state="running", tests=tests, running_at=started)
    job.suite.tests = {name: {"points": 2, "visibility": "visible"} for name in NAMES}
    job.suite.save()
    client = client_for(student)
    panel = client.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert f'role="status" aria-live="polite" id="grading-announce-{job.pk}"></p>' in panel  # empty till the end
    fragment = client.get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert "Test 2 of 3 is running (" in fragment and " s so far)" in fragment and "1 of 3 tests done" in fragment
    assert "hx-swap-oob" not in fragment and "data-poll-url=" in fragment  # still polling
