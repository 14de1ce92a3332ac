"""Benchmark: what one poll of a waiting student's results page costs, full fragment (200) against unchanged (304).

    .venv/bin/python bench/results_poll.py [--students 400] [--runs 200]

Every student has one finished run (so the estimate has durations to work from) and a new run waiting in the
queue; the measured student is in the middle of it. Each request goes through the whole Django stack in-process
(middleware, session, authentication) on a throwaway test database: the PostgreSQL server of DATABASE_URL when it
is set, otherwise an in-memory SQLite database. Prints median and p95 per request and the SQL queries, and what 400
watching students would cost the web tier with a 1 s full poll against the conditional poll with back-off.
"""

import argparse
import datetime as dt
import statistics
import time

import benchdb  # bench/ is the script's folder, first on sys.path

benchdb.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assignments.models import Assignment, Submission  # noqa: E402
from coursesite.models import Course, User  # noqa: E402
from tests.insight.builders import build_class  # noqa: E402
from workers import services  # noqa: E402
from workers.models import GradingJob  # noqa: E402


def build(students: int) -> tuple[Course, User, GradingJob]:
    course = Course.objects.create(code="BENCH2", name="Poll benchmark", term="VT")
    now = timezone.now()
    assignment = Assignment.objects.create(
        course=course, number=1, title="Softmax", released_at=now - dt.timedelta(days=3), deadline_at=now
    )
    build_class(course, assignment, students, per_student=1, missing_every=10**9)
    latest = list(Submission.objects.filter(assignment=assignment).select_related("student").order_by("pk"))
    suite = GradingJob.objects.filter(submission__assignment=assignment).first().suite  # type: ignore[union-attr]
    waiting = GradingJob.objects.bulk_create(
        [
            GradingJob(
                submission=s,
                attempt=2,
                suite=suite,
                state=GradingJob.State.QUEUED,
                queue="cpu",
                received_at=now - dt.timedelta(seconds=students - i),
                queued_at=now - dt.timedelta(seconds=students - i),
            )
            for i, s in enumerate(latest)
        ]
    )
    services.worker_pulse(hostname="bench@host", queues=["cpu", "cpu-again", "rerun"], slots=2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    middle = waiting[len(waiting) // 2]
    return course, latest[len(latest) // 2].student, middle


def timed(client: Client, url: str, runs: int, conditional: bool) -> tuple[list[float], set[int], int]:
    """`runs` requests; a conditional one sends the ETag of the last full answer."""
    times, statuses, queries, etag = [], set(), 0, client.get(url)["ETag"]
    for _ in range(runs):
        headers = {"If-None-Match": etag} if conditional else {}
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
        if response.status_code == 200:
            etag = response["ETag"]
        else:
            queries = len(captured)
        queries = queries or len(captured)
    return times, statuses, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=400)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with benchdb.throwaway_database():
        course, student, job = build(args.students)
        client = Client()
        client.force_login(student)
        url = f"/c/{course.code}/workers/jobs/{job.pk}/"
        client.get(url)  # warms templates and URL resolvers
        figures = {}
        for name, conditional in (("full fragment (200)", False), ("unchanged (304)", True)):
            times, status, queries = timed(client, url, args.runs, conditional)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            figures[name] = statistics.median(times)
            print(
                f"{name}: HTTP {sorted(status)}, {queries} SQL queries, median {statistics.median(times):.2f} ms, "
                f"p95 {p95:.2f} ms (position {services_position(job)} of {args.students})"
            )
        full, cheap = figures["full fragment (200)"], figures["unchanged (304)"]
        # Back-off 1 s, x1.5 up to 10 s, never under the server's X-Poll-After (a tenth of the job's expected wait,
        # at most 30 s): a job unchanged for a minute is polled a few times, not 60.
        after = float(client.get(url).get("X-Poll-After") or 0)
        polls_per_min = len(list(_backoff(60, after)))
        print(f"the measured job's X-Poll-After: {after:g} s ({polls_per_min} polls a minute while unchanged)")
        # The tag is what the page shows (the position in tens, the estimate to the minute, to five far off): a
        # waiting job far back gets about one full answer a minute, as its shown estimate or band moves.
        new = 400 * (polls_per_min - 1) / 60 * cheap + 400 * 1 / 60 * full
        print(
            f"400 watching students: 1 s full poll = {400 * full / 1000:.1f} s of server time per second; "
            f"conditional poll ({polls_per_min} polls a minute, about 1 of them full as the shown "
            f"estimate moves) = {new / 1000:.2f} s per second"
        )


def services_position(job: GradingJob) -> int | None:
    from workers.selectors import queue_position

    return queue_position(job=GradingJob.objects.get(pk=job.pk))


def _backoff(seconds: float, after: float = 0.0):  # type: ignore[no-untyped-def]
    """The poll times of poll.js within `seconds` while nothing changes, with the server's least wait `after`."""
    at, delay = 0.0, max(1.0, after)
    while at + delay <= seconds:
        at += delay
        yield at
        delay = max(min(10.0, delay * 1.5), after)


if __name__ == "__main__":
    main()
