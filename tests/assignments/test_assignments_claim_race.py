"""Two TAs claiming the same submission at the same moment: exactly one succeeds (PostgreSQL, parallel requests)."""

import threading

from django.db import connection
from django.test import Client

from assignments.models import Submission
from coursesite.models import Role
from tests.support import make_member


def test_two_tas_claiming_at_once_cannot_both_succeed(
    transactional_db, course, ta, student, assignment, submit
) -> None:  # type: ignore[no-untyped-def]
    assert connection.vendor == "postgresql"
    other_ta = make_member(course, "tom", Role.TA)
    url = None
    statuses: list[int] = []
    for round_ in range(5):
        submission = submit(assignment, student)
        url = f"/api/courses/DD2424/assignments/submissions/{submission.pk}/claim/"
        barrier = threading.Barrier(2)
        results: dict[str, int] = {}

        def claim(user, results=results, barrier=barrier, url=url) -> None:  # type: ignore[no-untyped-def]
            client = Client()
            client.force_login(user)
            barrier.wait()
            try:
                results[user.username] = client.post(url).status_code
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(user,)) for user in (ta, other_ta)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values()) == [200, 400], (round_, results)
        winner = next(name for name, status in results.items() if status == 200)
        assert Submission.objects.get(pk=submission.pk).claimed_by.username == winner
        statuses += results.values()
    assert len(statuses) == 10
