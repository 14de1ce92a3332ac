"""Benchmark: the staff analytics page of one assignment for 1,000 students x 3 submissions; prints queries and time.

    .venv/bin/python bench/analytics.py [--students 1000] [--submissions 3]

Each submission has a finished autograder job with five test results (passes, assertion failures with numbers that
differ, exceptions, timeouts, out of memory); one student in ten has not submitted. Runs on a throwaway test
database: the PostgreSQL server of DATABASE_URL when it is set (a test_<name> database is created and dropped),
otherwise an in-memory SQLite database. The target: under 300 ms for the page, with a query count that does not grow
with the number of students.
"""

import argparse
import datetime as dt
import time

import benchdb  # bench/ is the script's folder, first on sys.path

benchdb.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from assignments.models import Assignment  # noqa: E402
from coursesite.models import Course, Membership, Role, User  # noqa: E402
from tests.insight.builders import build_class  # noqa: E402


def build(students: int, submissions: int) -> tuple[Course, User]:
    course = Course.objects.create(code="BENCH1", name="Analytics benchmark", term="VT")
    examiner = User.objects.create(username="examiner", full_name="Ada Examiner", password="!")
    Membership.objects.create(user=examiner, course=course, role=Role.INSTRUCTOR)
    now = timezone.now()
    assignment = Assignment.objects.create(
        course=course,
        number=1,
        title="Softmax",
        released_at=now - dt.timedelta(days=10),
        deadline_at=now - dt.timedelta(days=1),
    )
    build_class(course, assignment, students, per_student=submissions)
    if connection.vendor == "postgresql":  # as autovacuum would have done on a real server
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return course, examiner


def measure(client: Client, url: str) -> tuple[int, float, float]:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return len(captured), seconds, len(response.content) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with benchdb.throwaway_database():
        started = time.perf_counter()
        course, examiner = build(args.students, args.submissions)
        print(
            f"built {args.students} students x {args.submissions} submissions with jobs and test results "
            f"in {time.perf_counter() - started:.1f} s"
        )
        client = Client()
        client.force_login(examiner)
        client.get(f"/c/{course.code}/")  # the first request of a session loads templates and URL resolvers
        for run in range(1, args.runs + 1):
            for name, url in (
                ("page", f"/c/{course.code}/insight/assignments/1/"),
                ("API", f"/api/courses/{course.code}/insight/assignments/1/"),
            ):
                queries, seconds, kb = measure(client, url)
                print(
                    f"run {run}: analytics {name} ({kb:.0f} KiB) with {queries} SQL queries in {seconds * 1000:.0f} ms"
                )


if __name__ == "__main__":
    main()
