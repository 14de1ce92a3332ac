"""A per-student limit of autograder runs per assignment per day, shown before submitting and enforced."""

import datetime as dt

from django.utils import timezone

from workers import services
from workers.models import GradingJob


def test_it_grades_up_to_the_daily_limit_and_then_accepts_submissions_for_review_without_grading(
    quick_suite, student, other_student, assignment, submit, client_for, django_capture_on_commit_callbacks
) -> None:
    services.suite_set_runs_per_day(assignment=assignment, runs_per_day=2, by=quick_suite.uploaded_by)
    page = client_for(student).get("/c/DD2424/assignments/1/").content.decode()
    assert "<strong>2 of 2</strong> autograder runs left today" in page

    submissions = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            submissions.append(submit(assignment, student))
        states = [GradingJob.objects.get(submission=s).state for s in submissions]
        # A worker takes each run (a run still queued would be superseded by the next one, and not counted).
        GradingJob.objects.filter(submission=submissions[-1], state="queued").update(state="running")
    first, second, third = submissions
    assert states[:2] == ["running", "running"] and states[2] == "skipped"
    skipped = GradingJob.objects.get(submission=third)
    assert "used your 2 autograder runs for today" in skipped.notes[0]
    assert "kept and will be reviewed" in skipped.notes[0]

    client = client_for(student)
    page = client.get("/c/DD2424/assignments/1/").content.decode()
    assert "<strong>0 of 2</strong> autograder runs left today" in page and "will not be auto-graded" in page
    fragment = client.get(f"/c/DD2424/workers/jobs/{skipped.pk}/").content.decode()
    assert "not auto-graded" in fragment and "hx-trigger" not in fragment and "data-poll-url" not in fragment
    api = client.get(f"/api/courses/DD2424/workers/submissions/{third.pk}/grading/").json()
    assert api["job"]["state"] == "skipped" and "used your 2 autograder runs" in api["job"]["notes"][0]

    # The limit is per student: Bob still has his runs.
    with django_capture_on_commit_callbacks(execute=True):
        bobs = submit(assignment, other_student)
    assert GradingJob.objects.get(submission=bobs).state == "queued"


def test_runs_that_ended_in_an_infrastructure_error_and_yesterdays_runs_do_not_count(
    quick_suite, student, assignment, submit, django_capture_on_commit_callbacks
) -> None:
    services.suite_set_runs_per_day(assignment=assignment, runs_per_day=1, by=quick_suite.uploaded_by)
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(assignment, student)
    job = GradingJob.objects.get(submission=first)
    GradingJob.objects.filter(pk=job.pk).update(state="error", outcome="infrastructure_error")
    assert services.runs_used_today(assignment=assignment, student=student) == 0

    GradingJob.objects.filter(pk=job.pk).update(
        state="finished", outcome="passed", received_at=timezone.now() - dt.timedelta(days=1)
    )
    assert services.runs_used_today(assignment=assignment, student=student) == 0
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(assignment, student)
    assert GradingJob.objects.get(submission=second).state == "queued"
    assert services.runs_used_today(assignment=assignment, student=student) == 1


def test_only_the_examiner_changes_the_limit_and_it_must_be_sensible(
    quick_suite, examiner, ta, assignment, client_for
) -> None:
    assert client_for(ta).post("/c/DD2424/workers/assignments/1/runs-per-day/", {"runs_per_day": 5}).status_code == 403
    response = client_for(examiner).post(
        "/c/DD2424/workers/assignments/1/runs-per-day/", {"runs_per_day": 0}, follow=True
    )
    assert "Runs per day must be between 1 and 1000." in response.content.decode()
    client_for(examiner).post("/c/DD2424/workers/assignments/1/runs-per-day/", {"runs_per_day": 7})
    quick_suite.refresh_from_db()
    assert quick_suite.runs_per_day == 7
