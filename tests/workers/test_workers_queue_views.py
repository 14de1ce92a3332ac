"""What students and staff see of the queue: position and estimate, the conditional poll, the staff queue page and
API, /metrics, and the warning when no worker answers."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from workers import selectors, services
from workers.models import GradingJob, WorkerHeartbeat


@pytest.fixture
def queued(quick_suite, student, other_student, assignment, submit, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Alice's then Bob's submission, both queued on `cpu`."""
    with django_capture_on_commit_callbacks(execute=True):
        alice, bob = submit(assignment, student), submit(assignment, other_student)
    return GradingJob.objects.get(submission=alice), GradingJob.objects.get(submission=bob)


def _ahead_of(first: GradingJob, count: int) -> None:
    """`count` more first runs queued at the same moment as `first` (attempts 100 and up of its submission)."""
    GradingJob.objects.bulk_create(
        GradingJob(submission=first.submission, suite=first.suite, attempt=100 + n, trigger=first.trigger,
                   queue=first.queue, state=GradingJob.State.QUEUED, queued_at=first.queued_at)
        for n in range(count)
    )  # fmt: skip


def _pulse(seconds_ago: float = 0, slots: int = 1, name: str = "w1@host") -> None:
    services.worker_pulse(hostname=name, queues=["cpu", "cpu-again"], slots=slots)
    WorkerHeartbeat.objects.filter(hostname=name).update(seen_at=timezone.now() - dt.timedelta(seconds=seconds_ago))


def test_a_waiting_student_sees_position_and_an_estimate_or_that_grading_is_delayed(
    queued, student, other_student, client_for
) -> None:
    _, bob = queued
    client = client_for(other_student)
    _pulse(slots=1)
    page = client.get(f"/c/DD2424/workers/jobs/{bob.pk}/").content.decode()
    assert 'position <strong class="queue-position">2</strong> in the queue for first runs' in page  # words
    assert "Grading should start at about" in page and "and end at about" in page and "rough guess" in page
    api = client.get(f"/api/courses/DD2424/workers/submissions/{bob.submission_id}/grading/").json()["job"]
    assert api["queue_position"] == 2
    estimate = api["estimate"]
    assert estimate["worker_slots"] == 1 and estimate["rough"] and not estimate["delayed"]
    assert estimate["starts_at"] < estimate["ends_at"]

    _pulse(seconds_ago=600)  # the only worker went silent
    page = client.get(f"/c/DD2424/workers/jobs/{bob.pk}/").content.decode()
    assert "Grading is delayed" in page and "Grading should start" not in page
    assert client.get(f"/api/courses/DD2424/workers/submissions/{bob.submission_id}/grading/").json()["job"][
        "estimate"
    ]["delayed"]


def test_the_poll_answers_304_while_nothing_changed_cheaply_and_never_for_someone_elses_tag(
    queued, student, other_student, client_for
) -> None:
    alice, bob = queued
    _pulse()
    client = client_for(student)
    url = f"/c/DD2424/workers/jobs/{alice.pk}/"
    with CaptureQueriesContext(connection) as sent:
        first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag and "no-cache" in first["Cache-Control"]
    # The page sent uses the queue as the poll saw it: the jobs ahead are counted once, not again for the page.
    ahead = [q["sql"] for q in sent.captured_queries if "COUNT(*)" in q["sql"] and "queued_at" in q["sql"]]
    assert len(ahead) == 1, ahead
    with CaptureQueriesContext(connection) as queries:
        unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    # Session, user, the job's row, the count ahead, the live workers, the suite's recent runs, the running jobs.
    assert len(queries) <= 7

    # The job changes (a worker takes it): the next poll gets the new fragment.
    services.job_claim(job_id=alice.pk, dispatch=alice.dispatch, worker="w1@host")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag and "running" in changed.content.decode()
    # Bob's position moved: his tag from before no longer matches either.
    bob_client = client_for(other_student)
    bob_url = f"/c/DD2424/workers/jobs/{bob.pk}/"
    # An attacker replaying Alice's tag on her job, or his own tag on it, gets no 304 and no content.
    own = bob_client.get(bob_url)["ETag"]
    for tag in (changed["ETag"], own):
        response = bob_client.get(url, headers={"If-None-Match": tag})
        assert response.status_code == 403


def test_a_long_queue_moving_at_its_expected_pace_costs_the_waiting_page_304s(
    queued, other_student, client_for
) -> None:
    """Far back in the queue the page shows the position in tens and the estimate to the minute, and the ETag is
    exactly that: the jobs ahead ending on time change neither, so the poll stays a 304 until the band moves."""
    alice, bob = queued
    _ahead_of(alice, 22)
    now = timezone.now()
    _pulse(slots=1)
    client = client_for(other_student)
    page = client.get(f"/c/DD2424/workers/jobs/{bob.pk}/").content.decode()
    assert 'position <strong class="queue-position">about 30</strong>' in page  # 24th
    before = selectors.job_poll_etag(job_id=bob.pk, code="DD2424", user=other_student, now=now)
    # Three of them end, three of the suite's (default) minute later: 21st, still "about 30", same start and end.
    done = [job.pk for job in GradingJob.objects.filter(attempt__gte=100).order_by("pk")[:3]]
    GradingJob.objects.filter(pk__in=done).update(state=GradingJob.State.FINISHED, finished_at=now)
    later = now + dt.timedelta(minutes=3)
    _pulse(seconds_ago=-180)
    assert selectors.job_poll_etag(job_id=bob.pk, code="DD2424", user=other_student, now=later) == before
    # Five more: 16th, "about 20": the page changes, and so does its tag.
    done = [job.pk for job in GradingJob.objects.filter(attempt__gte=100, state="queued").order_by("pk")[:5]]
    GradingJob.objects.filter(pk__in=done).update(state=GradingJob.State.FINISHED, finished_at=now)
    after = selectors.job_poll_etag(job_id=bob.pk, code="DD2424", user=other_student, now=later)
    assert after != before
    assert [selectors.position_shown(n) for n in (1, 10, 11, 20, 21, 95, 100, 101, 150, 151)] == [
        "1", "10", "about 20", "about 20", "about 30", "about 100", "about 100", "about 150", "about 150", "about 200",
    ]  # fmt: skip
    # The job that still waits beside them is another student's: the tag is bound to its viewer.
    assert selectors.job_poll_etag(job_id=bob.pk, code="DD2424", user=alice.submission.student, now=later) != after


def test_a_job_far_back_in_the_queue_tells_its_page_to_poll_less_often_and_one_at_the_front_does_not(
    queued, student, other_student, client_for
) -> None:
    alice, bob = queued
    _ahead_of(alice, 22)
    _pulse(slots=1)
    # Bob is 24th with one slot and the default minute a run: some 23 minutes away, a tenth of that capped at 30 s.
    client = client_for(other_student)
    url = f"/c/DD2424/workers/jobs/{bob.pk}/"
    first = client.get(url)
    assert first.status_code == 200 and first["X-Poll-After"] == "30"
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["X-Poll-After"] == "30"
    page = client.get(f"/c/DD2424/assignments/1/submissions/{bob.submission_id}/").content.decode()
    assert 'data-poll-after="30"' in page
    # The estimate far off is rounded to five minutes, the page prints what the tag holds.
    answer = selectors.job_poll(job_id=bob.pk, code="DD2424", user=other_student)
    assert answer is not None and answer.after_s == 30
    view = selectors.job_view(job=GradingJob.objects.get(pk=bob.pk), staff=False)
    assert view.estimate is not None and view.estimate.starts_at is not None
    assert view.estimate.starts_at.timestamp() % 300 == 0

    # At the front (next, with the slot free) there is nothing to wait for: the page's own back-off, no header.
    GradingJob.objects.filter(attempt__gte=100).update(state=GradingJob.State.FINISHED)
    GradingJob.objects.filter(pk=bob.pk).update(queued_at=alice.queued_at - dt.timedelta(seconds=1))
    front = client.get(url)
    assert front.status_code == 200 and "X-Poll-After" not in front
    # And a running job tells nothing either: its tests arrive as they finish.
    services.job_claim(job_id=bob.pk, dispatch=bob.dispatch, worker="w1@host")
    running = client.get(url)
    assert "running" in running.content.decode() and "X-Poll-After" not in running


def test_an_estimate_that_jitters_keeps_the_304_one_that_drifts_is_sent_again_and_a_made_up_tag_never_holds(
    queued, other_student, client_for
) -> None:
    alice, bob = queued
    _ahead_of(alice, 6)
    _pulse(slots=1)
    now = timezone.now()
    # Bob is 8th, one slot, the default minute a run: his start is printed some 7 minutes off (tolerance: 1 minute).
    first = selectors.job_poll(job_id=bob.pk, code="DD2424", user=other_student, now=now)
    assert first is not None and not first.unchanged
    tag = first.etag
    # Twenty seconds on and nothing moved: the fresh estimate is 20 s later, its printed minute may have moved by one.
    later = now + dt.timedelta(seconds=20)
    _pulse(seconds_ago=-20)
    kept = selectors.job_poll(job_id=bob.pk, code="DD2424", user=other_student, offered=[tag], now=later)
    assert kept is not None and kept.unchanged and kept.etag == tag
    # Three minutes on, still nobody ahead has finished: the printed start is wrong by three minutes: a new page.
    stuck = now + dt.timedelta(minutes=3)
    _pulse(seconds_ago=-180)
    drifted = selectors.job_poll(job_id=bob.pk, code="DD2424", user=other_student, offered=[tag], now=stuck)
    assert drifted is not None and not drifted.unchanged and drifted.etag != tag
    # A tag with other times than its HMAC covers (edited by hand) never holds, nor one of someone else's.
    token, starts, ends = tag.strip('"').split(".")
    for forged in (f'"{token}.{int(starts) + 1}.{ends}"', f'"{token}.{starts}"', '"x.1.2"', tag):
        answer = selectors.job_poll(job_id=bob.pk, code="DD2424", user=alice.submission.student, offered=[forged])
        assert answer is not None and not answer.unchanged
    edited = f'"{token}.{int(starts) + 1}.{ends}"'
    answer = selectors.job_poll(job_id=bob.pk, code="DD2424", user=other_student, offered=[edited], now=later)
    assert answer is not None and not answer.unchanged
    # Through the view: the kept tag is a 304 that names it.
    response = client_for(other_student).get(f"/c/DD2424/workers/jobs/{bob.pk}/", headers={"If-None-Match": tag})
    assert response.status_code == 304 and response["ETag"] == tag


def test_staff_see_the_queue_workers_and_last_hour_with_a_constant_number_of_queries(
    queued,
    quick_suite,
    examiner,
    ta,
    student,
    assignment,
    submit,
    client_for,
    settings,
    course,
    django_capture_on_commit_callbacks,
) -> None:
    from tests.support import make_member

    alice, bob = queued
    now = timezone.now()
    _pulse(slots=2)
    _pulse(seconds_ago=3600, name="dead@host")
    services.job_claim(job_id=alice.pk, dispatch=alice.dispatch, worker="w1@host")
    # Two runs that ended in the last hour, with waits of 10 s and 30 s.
    for name, wait, outcome in (("dora", 10, "passed"), ("erik", 30, "failed")):
        with django_capture_on_commit_callbacks(execute=True):
            submission = submit(assignment, make_member(course, name, "student"))
        job = GradingJob.objects.get(submission=submission)
        GradingJob.objects.filter(pk=job.pk).update(
            state="finished",
            outcome=outcome,
            received_at=now - dt.timedelta(minutes=10, seconds=wait),
            running_at=now - dt.timedelta(minutes=10),
            finished_at=now - dt.timedelta(minutes=9),
        )
    GradingJob.objects.filter(pk=bob.pk).update(received_at=now - dt.timedelta(minutes=20))
    settings.GRADING_QUEUE_WARN_AFTER_S = 600

    client = client_for(ta)
    with CaptureQueriesContext(connection) as few:
        page = client.get("/c/DD2424/workers/queue/").content.decode()
    assert 'data-queue="cpu"><td>first runs <code class="muted">cpu</code></td><td class="waiting">1</td>' in page
    assert "Workers (1 alive)" in page and f"job {alice.pk}: assignment 1, alice" in page
    assert '<strong class="finished-last-hour">2</strong>' in page and '<strong class="median-wait">20.0 s' in page
    assert 'data-outcome="failed"' in page and 'data-outcome="passed"' in page
    assert "The oldest waiting job has waited" in page

    api = client.get("/api/courses/DD2424/workers/queue/").json()
    cpu = next(row for row in api["queues"] if row["queue"] == "cpu")
    assert cpu["waiting"] == 1 and cpu["oldest_s"] > 1100 and api["warning"] is True
    assert api["finished_last_hour"] == 2 and api["median_wait_s"] == 20.0
    assert api["outcomes_last_hour"] == {"failed": 1, "passed": 1}
    workers = {w["hostname"]: w for w in api["workers"]}
    assert workers["w1@host"]["alive"] and workers["w1@host"]["slots"] == 2 and not workers["dead@host"]["alive"]
    assert workers["w1@host"]["running"] == [f"job {alice.pk}: assignment 1, alice"]

    with django_capture_on_commit_callbacks(execute=True):
        for name in ("fia", "gus", "hal"):
            submit(assignment, make_member(course, name, "student"))
    _pulse(name="w2@host")
    with CaptureQueriesContext(connection) as more:
        client.get("/c/DD2424/workers/queue/")
    assert len(more) == len(few)

    # Students see neither the page nor the API.
    assert client_for(student).get("/c/DD2424/workers/queue/").status_code == 403
    assert client_for(student).get("/api/courses/DD2424/workers/queue/").status_code == 403


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(
    queued, client, settings, student, client_for
) -> None:
    alice, _ = queued
    _pulse()
    services.job_claim(job_id=alice.pk, dispatch=alice.dispatch, worker="w1@host")
    services.job_finish(
        job_id=alice.pk, dispatch=alice.dispatch, result={"outcome": "passed", "score": 6, "max_score": 6}, figures=[]
    )
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client_for(student).get("/metrics").status_code == 403  # a signed-in student is no scraper
    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("coursesite_grading_queue_depth", (("queue", "cpu"),))] == 1
    assert samples[("coursesite_grading_jobs_total", (("outcome", "passed"), ("state", "finished")))] == 1
    assert samples[("coursesite_grading_job_duration_seconds_count", (("queue", "cpu"),))] == 1
    assert samples[("coursesite_grading_job_wait_seconds_bucket", (("le", "+Inf"), ("queue", "cpu")))] == 1
    assert samples[("coursesite_workers_alive", (("queue", "cpu"),))] == 1
    assert ("coursesite_worker_heartbeat_age_seconds", (("queue", "cpu"), ("worker", "w1@host"))) in samples
    assert families["coursesite_grading_job_duration_seconds"].type == "histogram"


def test_staff_pages_warn_when_no_worker_answers_and_students_pages_do_not(
    quick_suite, examiner, student, client_for
) -> None:
    _pulse()
    assert "Grading is stalled" not in client_for(examiner).get("/c/DD2424/").content.decode()
    _pulse(seconds_ago=600)
    for url in ("/c/DD2424/", "/c/DD2424/assignments/1/", "/c/DD2424/workers/queue/"):
        page = client_for(examiner).get(url).content.decode()
        assert "Grading is stalled: no autograder worker has answered since" in page, url
    assert "Grading is stalled" not in client_for(student).get("/c/DD2424/").content.decode()
