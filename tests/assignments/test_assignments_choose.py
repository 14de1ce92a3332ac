"""A student chooses which of their submissions counts (is reviewed) before its review starts, as Gradescope's
"activate"; the review queue and the review page follow the choice; each submission shows its autograder score."""

import datetime as dt

import pytest
from django.utils import timezone

from assignments import services
from coursesite.models import AuditLog
from workers.models import GradingJob, Suite

DETAIL = "/c/DD2424/assignments/1/"


def choose_url(submission) -> str:  # type: ignore[no-untyped-def]
    return f"{DETAIL}submissions/{submission.pk}/choose/"


def api_choose_url(submission) -> str:  # type: ignore[no-untyped-def]
    return f"/api/courses/DD2424/assignments/1/submissions/{submission.pk}/choose/"


@pytest.fixture
def three(assignment, student, submit):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return [submit(assignment, student, now=now - dt.timedelta(hours=h)) for h in (3, 2, 1)]


def graded(submission, score: float) -> GradingJob:  # type: ignore[no-untyped-def]
    suite = Suite.objects.filter(assignment=submission.assignment).first() or Suite.objects.create(
        assignment=submission.assignment, version=1, archive="suites/x.zip", sha256="0" * 64, name="A1", max_score=6
    )
    return GradingJob.objects.create(
        submission=submission, suite=suite, state="finished", outcome="failed", score=score, max_score=6
    )


def test_the_student_makes_an_earlier_submission_count_and_the_queue_and_review_page_follow(
    assignment, student, ta, client_for, three
) -> None:
    first, second, latest = three
    graded(first, 5)
    graded(latest, 2)
    client = client_for(student)
    page = client.get(DETAIL).content.decode()
    assert page.count("Make this the one that counts") == 2  # the two earlier ones; the latest counts already
    assert "5 / 6" in page and "2 / 6" in page and "not auto-graded" in page  # each submission's autograder score
    assert "table.submission-history tr" not in page  # its phone cards come from site.css, no clashing own style

    response = client.post(choose_url(first), follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "now counts: it is the one reviewed" in page
    assert f'data-submission="{first.pk}" class="counts"' in page
    assert AuditLog.objects.filter(action="submission.choose", target_id=str(first.pk)).exists()

    queue = client_for(ta).get("/api/courses/DD2424/assignments/queue/").json()
    assert [row["id"] for row in queue] == [first.pk]
    assert queue[0]["counts"] is True and queue[0]["autograder"]["score"] == 5
    review = client_for(ta).get(f"/c/DD2424/assignments/review/{first.pk}/").content.decode()
    assert 'value="claim"' in review and "not the submission that counts" not in review
    other = client_for(ta).get(f"/c/DD2424/assignments/review/{latest.pk}/").content.decode()
    assert "not the submission that counts" in other and 'value="claim"' not in other

    # The API lists the same, and choosing the latest again ends the choice.
    listing = client.get("/api/courses/DD2424/assignments/1/submissions/").json()
    assert {row["id"]: row["counts"] for row in listing} == {latest.pk: False, second.pk: False, first.pk: True}
    assert client.post(api_choose_url(latest)).json()["counts"] is True
    assert [row["id"] for row in client_for(ta).get("/api/courses/DD2424/assignments/queue/").json()] == [latest.pk]


def test_a_new_submission_counts_from_then_on(assignment, student, submit, three) -> None:
    first, _, _ = three
    services.submission_choose(submission=first, by=student)
    newest = submit(assignment, student)
    first.refresh_from_db()
    assert (first.chosen_at, first.counts, newest.counts) == (None, False, True)


def test_nobody_chooses_for_another_student_and_a_started_review_closes_the_choice(
    assignment, student, other_student, ta, client_for, three
) -> None:
    first, second, latest = three
    # Another student's submission does not exist for them (404); a teacher sees it but does not choose (403).
    for intruder, status in ((other_student, 404), (ta, 403)):
        assert client_for(intruder).post(choose_url(first)).status_code == status
        assert client_for(intruder).post(api_choose_url(first)).status_code == status
    assert client_for(student).get(choose_url(first)).status_code == 405  # a change is a POST
    assert latest.counts

    services.submission_claim(submission=latest, by=ta)  # the review starts
    response = client_for(student).post(choose_url(first))
    page = response.content.decode()
    assert response.status_code == 409
    assert "A teacher has started reviewing your submission; the one that counts can no longer be changed." in page
    assert "Make this the one that counts" not in page
    response = client_for(student).post(api_choose_url(second))
    assert response.status_code == 409 and "started reviewing" in response.json()["detail"]
    assert latest.counts and not any(s.chosen_at for s in (first, second))

    services.review_record(submission=latest, by=ta, passed=False)
    response = client_for(student).post(api_choose_url(first))
    assert response.status_code == 409 and "has been reviewed" in response.json()["detail"]


def test_the_schema_documents_the_choice_and_the_autograder_score(client_for, student) -> None:
    schema = client_for(student).get("/api/schema/", {"format": "json"}).json()
    path = "/api/courses/{code}/assignments/{number}/submissions/{id}/choose/"
    assert set(schema["paths"][path]) == {"post"}
    fields = schema["components"]["schemas"]["SubmissionOutput"]["properties"]
    assert {"counts", "autograder"} <= set(fields)


def test_after_a_pass_a_resubmission_by_mistake_can_be_undone_by_choosing_the_reviewed_one_again(
    assignment, student, ta, submit, client_for
) -> None:
    now = timezone.now()
    older = submit(assignment, student, now=now - dt.timedelta(hours=4))
    passed = submit(assignment, student, now=now - dt.timedelta(hours=3))
    services.submission_claim(submission=passed, by=ta)
    services.review_record(submission=passed, by=ta, passed=True)
    worse = submit(assignment, student, now=now - dt.timedelta(hours=1))  # counts now, waits for a review
    worse.refresh_from_db()
    assert worse.counts
    assert f"/review/{worse.pk}/" in client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()

    page = client_for(student).get(DETAIL).content.decode()
    assert page.count("Make this the one that counts") == 1  # the reviewed one, not the one before it
    response = client_for(student).post(api_choose_url(older))
    assert response.status_code == 409 and "before your last reviewed one" in response.json()["detail"]
    assert client_for(student).post(api_choose_url(passed)).status_code == 200
    passed.refresh_from_db()
    worse.refresh_from_db()
    assert passed.counts and not worse.counts  # the pass counts again; the worse one leaves the queue
    queue = client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()
    assert f"/review/{worse.pk}/" not in queue
