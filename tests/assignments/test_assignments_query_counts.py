"""The review queue and the progress table take as many SQL queries for 60 students as for 10."""

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assignments.models import RegradeRequest, Review, Submission
from coursesite.models import Membership, Role, User

PAGES = [
    "/c/DD2424/assignments/queue/",
    "/c/DD2424/assignments/progress/",
    "/c/DD2424/assignments/",
    "/c/DD2424/",
    "/api/courses/DD2424/assignments/queue/",
    "/api/courses/DD2424/assignments/progress/",
]


def add_students(course, assignments, ta, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """Students with latest submissions to every assignment: some reviewed, some claimed, some with a regrade."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.py", "x = 1\n")
    for i in range(start, start + count):
        student = User.objects.create(username=f"s{i:03d}", full_name=f"Student {i}")  # no password: fast
        Membership.objects.create(user=student, course=course, role=Role.STUDENT)
        for a in assignments:
            Submission.objects.create(
                assignment=a,
                student=student,
                code="c.zip",
                code_sha256="0" * 64,
                report="r.pdf",
                report_sha256="0" * 64,
                is_latest=False,
            )
            latest = Submission.objects.create(
                assignment=a,
                student=student,
                code="c.zip",
                code_sha256="0" * 64,
                report="r.pdf",
                report_sha256="0" * 64,
                is_late=i % 3 == 0,
                claimed_by=ta if i % 2 else None,
            )
            if i % 4 == 0:
                review = Review.objects.create(submission=latest, reviewer=ta, passed=True, bonus=1)
                if i % 8 == 0:
                    RegradeRequest.objects.create(review=review, reason="Please")


@pytest.mark.parametrize("url", PAGES)
def test_query_count_does_not_grow_with_the_number_of_students(
    course, examiner, ta, assignment, late_assignment, client_for, url
) -> None:  # type: ignore[no-untyped-def]
    assignments = [assignment, late_assignment]
    client = client_for(examiner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_students(course, assignments, ta, 0, 10)
    with_10 = count()
    add_students(course, assignments, ta, 10, 50)
    assert count() == with_10
