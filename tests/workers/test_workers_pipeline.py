"""End to end with a real worker: a submission is graded, each test is stored, the live fragment shows it."""

import pytest

from tests.support import wait_for
from workers.models import GradingJob, TestResult

from .workers_support import WRONG_LARGE

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_submission_is_graded_by_a_real_worker_and_its_page_polls_until_the_score(
    grading_worker, quick_suite, student, examiner, assignment, submit, client_for
) -> None:
    submission = submit(assignment, student)
    job = GradingJob.objects.get(submission=submission)
    assert job.attempt == 1 and job.queue == "cpu" and job.suite == quick_suite

    client = client_for(student)
    waiting = client.get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert "data-poll-url" in waiting and "queued" in waiting
    assert 'position <strong class="queue-position">1</strong>' in waiting

    grading_worker("cpu")
    wait_for(lambda: GradingJob.objects.get(pk=job.pk).is_final, timeout=90)
    job.refresh_from_db()
    assert (job.state, job.outcome, job.score, job.max_score) == ("finished", "passed", 6.0, 6.0)
    assert job.received_at <= job.queued_at <= job.running_at <= job.finished_at
    assert job.worker and job.tries == 1
    names = list(TestResult.objects.filter(job=job).values_list("name", "status"))
    assert [status for _, status in names] == ["passed", "passed", "passed"]

    done = client.get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert "data-poll-url" not in done  # polling stops once the job has ended
    assert "Score 6 / 6" in done and "test_cost_visible" in done
    assert "test_cost_secret" not in done and "1 more test ran but is not shown" in done
    figure = client.get(f"/c/DD2424/workers/jobs/{job.pk}/figures/0/")
    assert figure.status_code == 200 and figure["Content-Type"] == "image/png"
    assert b"".join(figure.streaming_content).startswith(b"\x89PNG")

    # The submission page carries the same fragment through the assignments app's panel.
    page = client.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/")
    assert page.status_code == 200 and "Score 6 / 6" in page.content.decode()


def test_students_see_hidden_tests_as_pass_fail_and_secret_tests_not_at_all_while_staff_see_everything(
    grading_worker, quick_suite, student, other_student, examiner, ta, assignment, submit, client_for
) -> None:
    grading_worker("cpu")
    submission = submit(assignment, student, code=WRONG_LARGE)
    wait_for(lambda: GradingJob.objects.filter(submission=submission, state="finished").exists(), timeout=90)
    job = GradingJob.objects.get(submission=submission)
    assert (job.outcome, job.score) == ("failed", 1.0)

    mine = client_for(student).get(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/").json()["job"]
    assert [(t["name"].split("::")[-1], t["status"], t["visibility"]) for t in mine["tests"]] == [
        ("test_cost_visible", "passed", "visible"),
        ("test_cost_hidden", "failed", "hidden"),
    ]
    hidden = mine["tests"][1]
    assert hidden["message"] == "" and hidden["points"] is None and hidden["reason"] == ""
    assert mine["secret_tests"] == 1 and mine["score"] == 1.0 and mine["max_score"] == 6.0
    page = client_for(student).get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert "HIDDEN-DETAIL" not in page and "SECRET-DETAIL" not in page and "test_cost_secret" not in page

    for teacher in (ta, examiner):
        staff = client_for(teacher).get(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/").json()
        tests = staff["job"]["tests"]
        assert len(tests) == 3 and staff["job"]["secret_tests"] == 0
        assert "HIDDEN-DETAIL" in tests[1]["message"] and "SECRET-DETAIL" in tests[2]["message"]

    other = client_for(other_student)
    assert other.get(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/").status_code == 403
    assert other.get(f"/c/DD2424/workers/jobs/{job.pk}/").status_code == 403
    assert other.get(f"/c/DD2424/workers/jobs/{job.pk}/figures/0/").status_code == 403
