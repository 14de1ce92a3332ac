"""Staff grade ONE submission again (after an autograder error or a suite fix), not counted against the student."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from coursesite.models import AuditLog
from tests.support import wait_for
from workers import services
from workers.models import GradingJob

from .workers_support import WRONG_LARGE


def _post_with_csrf(user, page_url: str) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    """Open the page as `user` with CSRF checks on, and press its "Grade again" button."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(page_url).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" class="grade-again">(.*?)</form>', page, re.S)
    assert form is not None, "no Grade again button on the page"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2))
    back = re.search(r'name="next" value="([^"]+)"', form.group(2))
    assert token is not None and back is not None
    response = client.post(form.group(1), {"csrfmiddlewaretoken": token.group(1), "next": back.group(1)})
    return form.group(1), response


@pytest.mark.django_db(transaction=True)
def test_a_ta_grades_a_submission_again_and_a_real_worker_finishes_attempt_two_without_using_a_daily_run(
    grading_worker, quick_suite, course, student, ta, assignment, submit, client_for
) -> None:
    services.suite_set_runs_per_day(assignment=assignment, runs_per_day=2, by=quick_suite.uploaded_by)
    grading_worker("cpu,rerun")
    submission = submit(assignment, student, code=WRONG_LARGE)
    wait_for(lambda: GradingJob.objects.filter(submission=submission, state="finished").exists(), timeout=90)
    assert services.runs_used_today(assignment=assignment, student=student) == 1

    # The TA presses "Grade again" on the submission's review page and comes back to it.
    review_url = f"/c/DD2424/assignments/review/{submission.pk}/"
    action, response = _post_with_csrf(ta, review_url)
    assert action == f"/c/DD2424/workers/submissions/{submission.pk}/grade-again/"
    assert response.status_code == 302 and response["Location"] == review_url  # type: ignore[attr-defined]

    again = GradingJob.objects.get(submission=submission, attempt=2)
    assert (again.trigger, again.queue, again.requested_by, again.suite) == ("rerun", "rerun", ta, quick_suite)
    assert again.rerun is None  # not part of a rerun of everyone: its progress bar is untouched
    wait_for(lambda: GradingJob.objects.get(pk=again.pk).is_final, timeout=90)
    again.refresh_from_db()
    assert (again.state, again.outcome, again.score, again.max_score) == ("finished", "failed", 1.0, 6.0)

    page = client_for(ta).get(review_url).content.decode()
    assert "Autograder run 2 (rerun by staff)" in page and "Grade again" in page
    # Staff's run is not the student's: their runs left today are unchanged.
    assert services.runs_used_today(assignment=assignment, student=student) == 1
    student_page = client_for(student).get("/c/DD2424/assignments/1/").content.decode()
    assert "<strong>1 of 2</strong> autograder runs left today" in student_page
    audit = AuditLog.objects.get(action="job.rerun")
    assert audit.actor == ta and audit.course == course and audit.target_id == str(again.pk)
    assert audit.data["submission"] == submission.pk and audit.data["attempt"] == 2


def test_the_api_grades_a_skipped_submission_again_once_even_when_the_student_is_out_of_runs(
    quick_suite, student, examiner, assignment, submit, client_for, django_capture_on_commit_callbacks
) -> None:
    services.suite_set_runs_per_day(assignment=assignment, runs_per_day=1, by=quick_suite.uploaded_by)
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(assignment, student)
    # A worker has taken the first run (a queued one would be superseded by the next submission, and not counted).
    GradingJob.objects.filter(submission=first).update(state="running", heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        skipped = submit(assignment, student)
    assert GradingJob.objects.get(submission=skipped).state == "skipped"

    client = client_for(examiner)
    url = f"/api/courses/DD2424/workers/submissions/{skipped.pk}/grading/rerun/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["submission"] == skipped.pk
    job = body["job"]
    assert (job["attempt"], job["trigger"], job["queue"], job["suite_version"]) == (2, "rerun", "rerun", 1)
    assert GradingJob.objects.get(pk=job["id"]).state == "queued"  # sent to the broker once the request committed
    assert services.runs_used_today(assignment=assignment, student=student) == 1

    # A second press while run 2 waits is refused with words, and nothing is stored.
    again = client.post(url)
    assert again.status_code == 400
    assert "Autograder run 2 of this submission has not ended yet" in again.content.decode()
    assert GradingJob.objects.filter(submission=skipped).count() == 2
    latest = client.get(f"/api/courses/DD2424/workers/submissions/{skipped.pk}/grading/").json()["job"]
    assert latest["id"] == job["id"] and latest["attempt"] == 2


def test_students_cannot_grade_again_and_do_not_see_the_button_and_outsiders_do_not_find_the_course(
    quick_suite,
    student,
    other_student,
    outsider,
    ta,
    assignment,
    submit,
    client_for,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(assignment, student)
    mine = client_for(student)
    page = mine.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert "Autograder" in page and "Grade again" not in page
    assert "Grade again" in client_for(ta).get(f"/c/DD2424/assignments/review/{submission.pk}/").content.decode()

    for user in (student, other_student):
        client = client_for(user)
        assert client.post(f"/c/DD2424/workers/submissions/{submission.pk}/grade-again/").status_code == 403
        assert client.post(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/rerun/").status_code == 403
    stranger = client_for(outsider)
    assert stranger.post(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/rerun/").status_code == 404
    assert client_for(ta).get(f"/c/DD2424/workers/submissions/{submission.pk}/grade-again/").status_code == 405
    assert GradingJob.objects.filter(submission=submission).count() == 1
    assert not AuditLog.objects.filter(action="job.rerun").exists()


def test_without_an_active_suite_grading_again_is_refused_with_a_400_and_words(
    student, ta, assignment, submit, client_for
) -> None:
    submission = submit(assignment, student)  # no suite: it was never auto-graded
    client = client_for(ta)
    page = client.get(f"/c/DD2424/assignments/review/{submission.pk}/").content.decode()
    assert "This assignment has no autograder." in page and "Grade again" not in page

    response = client.post(f"/api/courses/DD2424/workers/submissions/{submission.pk}/grading/rerun/")
    assert response.status_code == 400
    assert "This assignment has no autograder suite: upload one before grading a submission again." in (
        response.content.decode()
    )
    followed = client.post(
        f"/c/DD2424/workers/submissions/{submission.pk}/grade-again/",
        {"next": f"/c/DD2424/assignments/review/{submission.pk}/"},
        follow=True,
    )
    assert followed.redirect_chain == [(f"/c/DD2424/assignments/review/{submission.pk}/", 302)]
    assert "upload one before grading a submission again" in followed.content.decode()
    assert not GradingJob.objects.exists() and not AuditLog.objects.filter(action="job.rerun").exists()


def test_after_an_autograder_error_grade_again_goes_back_only_to_a_page_of_this_site(
    quick_suite, student, ta, assignment, submit, client_for, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(assignment, student)
    GradingJob.objects.filter(submission=submission).update(state="error", outcome="infrastructure_error")
    response = client_for(ta).post(
        f"/c/DD2424/workers/submissions/{submission.pk}/grade-again/", {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/c/DD2424/assignments/review/{submission.pk}/"
    assert GradingJob.objects.filter(submission=submission, attempt=2, trigger="rerun").exists()


def test_the_schema_lists_the_grade_again_endpoint_with_its_own_serializer(db) -> None:  # type: ignore[no-untyped-def]
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert set(schema["paths"]["/api/courses/{code}/workers/submissions/{submission_id}/grading/rerun/"]) == {"post"}
    components = schema["components"]["schemas"]
    assert "GradingRerunOutput" in components, sorted(components)
    assert components["GradingRerunOutput"]["properties"]["job"]["allOf"] == [
        {"$ref": "#/components/schemas/GradingJobOutput"}
    ]
