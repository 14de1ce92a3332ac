"""After changing the suite, the examiner reruns everyone's latest submission on the rerun queue, with progress."""

import pytest

from tests.support import make_member, wait_for
from workers import services
from workers.archives import zip_folder
from workers.models import GradingJob

from .workers_support import QUICK_TOML, RIGHT, WRONG_LARGE, quick_suite_folder, zip_upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_rerun_all_grades_each_latest_submission_again_with_the_new_suite_and_shows_progress(
    grading_worker, quick_suite, course, student, other_student, examiner, assignment, submit, client_for, tmp_path
) -> None:
    carol = make_member(course, "carol", "student", "Carol Student")
    submit(assignment, student, code=WRONG_LARGE)  # superseded by the next while it waits
    latest_alice = submit(assignment, student, code=RIGHT)  # only the latest submission is rerun
    latest_bob = submit(assignment, other_student, code=WRONG_LARGE)
    latest_carol = submit(assignment, carol, code=RIGHT)
    grading_worker("cpu,rerun")
    wait_for(lambda: GradingJob.objects.filter(state="finished").count() == 3, timeout=120)
    assert GradingJob.objects.filter(outcome="superseded").count() == 1

    # The examiner makes the hidden test worth more, uploads version 2 and reruns everyone.
    changed = QUICK_TOML.replace("points = 2", "points = 4")
    draft = services.suite_upload(
        assignment=assignment, upload=zip_upload(zip_folder(quick_suite_folder(tmp_path, toml=changed))), by=examiner
    )
    services.suite_activate(suite=draft, by=examiner)
    client = client_for(examiner)
    response = client.post("/api/courses/DD2424/workers/assignments/1/rerun/")
    assert response.status_code == 202 and response.json()["total"] == 3

    fragment = client.get("/c/DD2424/workers/assignments/1/rerun/progress/").content.decode()
    assert "of 3</strong> done" in fragment
    wait_for(lambda: client.get("/api/courses/DD2424/workers/assignments/1/rerun/").json()["done"] == 3, timeout=120)
    progress = client.get("/api/courses/DD2424/workers/assignments/1/rerun/").json()
    assert progress == {**progress, "done": 3, "failed": 0, "total": 3, "suite_version": 2}
    fragment = client.get("/c/DD2424/workers/assignments/1/rerun/progress/").content.decode()
    assert "3 of 3</strong> done" in fragment and "hx-trigger" not in fragment

    reruns = GradingJob.objects.filter(trigger="rerun").order_by("submission__student__username")
    assert [(j.submission, j.attempt, j.queue, j.suite.version) for j in reruns] == [
        (latest_alice, 2, "rerun", 2),
        (latest_bob, 2, "rerun", 2),
        (latest_carol, 2, "rerun", 2),
    ]
    assert [(j.score, j.max_score) for j in reruns] == [(8.0, 8.0), (1.0, 8.0), (8.0, 8.0)]
    # The student's page shows the newest run; reruns never use up a student's daily runs.
    page = client_for(student).get(f"/c/DD2424/workers/jobs/{reruns[0].pk}/").content.decode()
    assert "Score 8 / 8" in page and "rerun by staff" in page
    assert services.runs_used_today(assignment=assignment, student=student) == 1  # the superseded run is not counted
    assert client_for(student).post("/api/courses/DD2424/workers/assignments/1/rerun/").status_code == 403
