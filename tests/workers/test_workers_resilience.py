"""Workers die and infrastructure fails: kill -9 mid-job still ends with a result; infrastructure errors retry."""

import os

import pytest

from coursesite.models import AuditLog
from tests.support import wait_for
from workers import services
from workers.models import GradingJob, TestResult

from .workers_support import SLOW, kill_tree

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_whose_worker_is_killed_with_sigkill_mid_job_is_taken_over_and_ends_with_a_result(
    grading_worker, quick_suite, student, assignment, submit, settings
) -> None:
    settings.GRADING_STALE_AFTER_S = 2
    settings.GRADING_RETRY_DELAY_S = 0
    doomed = grading_worker("cpu")
    submission = submit(assignment, student, code=SLOW)  # each call sleeps 1.5 s: the job lasts about 5 s
    job = GradingJob.objects.get(submission=submission)
    wait_for(lambda: TestResult.objects.filter(job=job).exists(), timeout=90)
    first_worker = GradingJob.objects.get(pk=job.pk).worker
    kill_tree(doomed.pid)
    doomed.wait()
    assert GradingJob.objects.get(pk=job.pk).state == "running"  # nobody told the database

    grading_worker("cpu")

    def watchdog_until_final() -> bool:
        services.jobs_watchdog()
        return GradingJob.objects.get(pk=job.pk).is_final

    wait_for(watchdog_until_final, timeout=120, interval=0.5)
    job.refresh_from_db()
    assert (job.state, job.outcome, job.score, job.tries) == ("finished", "passed", 6.0, 2)
    assert job.worker != first_worker
    assert TestResult.objects.filter(job=job).count() == 3
    assert services.runs_used_today(assignment=assignment, student=student) == 1


def test_a_worker_restarted_under_its_name_takes_back_the_job_it_was_killed_in_without_waiting_for_the_watchdog(
    grading_worker, quick_suite, student, assignment, submit, settings
) -> None:
    settings.GRADING_RETRY_DELAY_S = 0
    name = f"restarts-{os.getpid()}@%h"
    doomed = grading_worker("cpu", name=name)
    submission = submit(assignment, student, code=SLOW)  # each call sleeps 1.5 s: the job lasts about 5 s
    job = GradingJob.objects.get(submission=submission)
    wait_for(lambda: TestResult.objects.filter(job=job).exists(), timeout=90)
    kill_tree(doomed.pid)
    doomed.wait()
    job.refresh_from_db()
    assert (job.state, job.tries) == ("running", 1)  # nobody told the database; its heartbeat is still fresh

    # The watchdog is never called here (and would leave a fresh heartbeat alone): the restart alone takes it back.
    grading_worker("cpu", name=name, COURSESITE_GRADING_RETRY_DELAY_S="0")
    wait_for(lambda: GradingJob.objects.get(pk=job.pk).is_final, timeout=120, interval=0.5)
    job.refresh_from_db()
    assert (job.state, job.outcome, job.score, job.tries) == ("finished", "passed", 6.0, 2)
    assert any("restarted" in note for note in job.staff_notes)
    assert AuditLog.objects.filter(action="job.requeue", target_id=str(job.pk)).exists()
    assert services.runs_used_today(assignment=assignment, student=student) == 1


def test_a_worker_starting_leaves_alone_the_jobs_other_workers_run(
    grading_worker, quick_suite, student, assignment, submit
) -> None:
    grading_worker("cpu")
    submission = submit(assignment, student, code=SLOW)
    job = GradingJob.objects.get(submission=submission)
    wait_for(lambda: TestResult.objects.filter(job=job).exists(), timeout=90)
    running_on = GradingJob.objects.get(pk=job.pk).worker
    assert running_on
    assert services.jobs_orphaned(worker=f"someone-else-{os.getpid()}@host") == 0
    wait_for(lambda: GradingJob.objects.get(pk=job.pk).is_final, timeout=120, interval=0.5)
    job.refresh_from_db()
    assert (job.state, job.tries, job.worker) == ("finished", 1, running_on)


def test_an_infrastructure_error_is_retried_then_reported_as_ours_and_never_counted_against_the_student(
    grading_worker, quick_suite, student, assignment, submit, client_for
) -> None:
    grading_worker(
        "cpu",
        COURSESITE_RUNTIME_PYTHON="/nonexistent/python",
        COURSESITE_GRADING_RETRY_DELAY_S="0",
        COURSESITE_GRADING_MAX_TRIES="3",
    )
    submission = submit(assignment, student)
    job = GradingJob.objects.get(submission=submission)
    wait_for(lambda: GradingJob.objects.get(pk=job.pk).is_final, timeout=90)
    job.refresh_from_db()
    assert (job.state, job.outcome, job.tries, job.dispatch) == ("error", "infrastructure_error", 3, 3)
    assert job.score is None and "not counted against you" in job.notes[-1]
    assert services.runs_used_today(assignment=assignment, student=student) == 0
    page = client_for(student).get(f"/c/DD2424/workers/jobs/{job.pk}/").content.decode()
    assert "autograder error" in page and "not counted against you" in page
    # The platform's failure is not the file's: the judge never ran (file_failures 0). Staff see why, the student
    # a plain note without the worker's paths.
    assert job.file_failures == 0 and "/nonexistent/python" not in page and "/nonexistent/python" not in str(job.notes)
    assert sum(note.startswith("try ") and "/nonexistent/python" in note for note in job.staff_notes) == 3
