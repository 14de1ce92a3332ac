"""Builds a class with submissions, autograder jobs and test results in bulk (for the analytics tests and bench)."""

import datetime as dt
from typing import Any, TypedDict

from django.utils import timezone

from assignments.models import Assignment, Review, Submission
from coursesite.models import Course, Membership, Role, User
from workers.models import GradingJob, Suite, TestResult


class Spec(TypedDict):
    points: int
    visibility: str


TESTS: dict[str, Spec] = {
    "test_load_batch": {"points": 1, "visibility": "visible"},
    "test_compute_cost": {"points": 1, "visibility": "visible"},
    "test_gradients_without_regularisation": {"points": 2, "visibility": "visible"},
    "test_gradients_with_regularisation": {"points": 1, "visibility": "secret"},
    "test_minibatch_gd_benchmark": {"points": 3, "visibility": "hidden"},
}


def make_suite(assignment: Assignment) -> Suite:
    return Suite.objects.create(
        assignment=assignment,
        version=1,
        archive="suites/x.zip",
        sha256="0" * 64,
        name="A1",
        tests=TESTS,
        max_score=sum(spec["points"] for spec in TESTS.values()),
    )


def _result(i: int, name: str, points: float) -> dict[str, Any]:
    """What student i gets on a test: a few ways to fail, with numbers that differ from student to student."""
    if name == "test_load_batch" or (name == "test_compute_cost" and i % 5):
        return {"status": "passed", "points": points}
    if name == "test_compute_cost":
        return {
            "status": "failed",
            "reason": "assertion failed",
            "message": f"AssertionError: cost {2.3 + i / 1000:.4f} differs from the reference {2.30:.4f}\n"
            f"assert {0.01 * (i % 7 + 1):.3g} < 1e-06",
        }
    if name.startswith("test_gradients"):
        if i % 4 == 0:
            return {
                "status": "failed",
                "reason": "assertion failed",
                "message": f"grad_W: relative error {i % 9 + 1}.5e-02 at entries "
                f"array([[{i}, 3],\n       [7, {i % 10}]]) "
                f"(object at 0x{i * 4096 + 255:x}, /tmp/job-{i}/submission.py)",
            }
        if i % 4 == 1:
            return {"status": "error", "reason": "your code raised an exception", "message": f"IndexError: {i}"}
        return {"status": "passed", "points": points}
    if i % 6 == 0:
        return {"status": "timeout", "reason": "timed out", "message": "the test took longer than 60 s"}
    if i % 6 == 1:
        return {"status": "error", "reason": "out of memory (limit 2048 MB)", "message": ""}
    return {"status": "passed", "points": points}


def build_class(
    course: Course, assignment: Assignment, count: int, *, per_student: int = 3, missing_every: int = 10, start: int = 0
) -> list[User]:
    """`count` students; every `missing_every`-th has not submitted; the others `per_student` submissions each,
    every submission with a finished autograder job and its test results, some late, some reviewed."""
    suite = Suite.objects.filter(assignment=assignment, is_active=True).first() or make_suite(assignment)
    users = User.objects.bulk_create(
        [
            User(username=f"s{i:04d}", full_name=f"Student {i}", email=f"s{i:04d}@example.edu", password="!")
            for i in range(start, start + count)
        ]
    )
    Membership.objects.bulk_create([Membership(user=u, course=course, role=Role.STUDENT) for u in users])
    now = timezone.now()
    submissions = []
    for offset, user in enumerate(users):
        i = start + offset
        if i % missing_every == missing_every - 1:
            continue
        for k in range(per_student):
            submissions.append(
                Submission(
                    assignment=assignment,
                    student=user,
                    submitted_at=now - dt.timedelta(hours=per_student - k),
                    is_late=(k == per_student - 1 and i % 7 == 0),
                    code="c.zip",
                    code_sha256="0" * 64,
                    report="r.pdf",
                    report_sha256="0" * 64,
                    is_latest=k == per_student - 1,
                )
            )
    submissions = Submission.objects.bulk_create(submissions)
    student_index = {user.pk: start + offset for offset, user in enumerate(users)}
    Review.objects.bulk_create(
        [
            Review(submission=s, passed=student_index[s.student_id] % 3 != 0)
            for s in submissions
            if s.is_latest and student_index[s.student_id] % 2 == 0
        ]
    )
    jobs = []
    for s in submissions:
        i = student_index[s.student_id]
        queued = s.submitted_at + dt.timedelta(seconds=1)
        running = queued + dt.timedelta(seconds=(i % 40) * 1.5)
        jobs.append(
            GradingJob(
                submission=s,
                suite=suite,
                state=GradingJob.State.FINISHED,
                received_at=s.submitted_at,
                queued_at=queued,
                running_at=running,
                finished_at=running + dt.timedelta(seconds=20 + i % 200),
                worker="bench",
            )
        )
    jobs = GradingJob.objects.bulk_create(jobs)
    results = []
    for job, s in zip(jobs, submissions, strict=True):
        i = student_index[s.student_id]
        total = 0.0
        statuses = []
        for position, (name, spec) in enumerate(TESTS.items()):
            r = _result(i, name, spec["points"])
            total += r.get("points", 0)
            statuses.append(r["status"])
            results.append(
                TestResult(
                    job=job,
                    position=position,
                    name=name,
                    status=r["status"],
                    reason=r.get("reason", ""),
                    message=r.get("message", ""),
                    points=r.get("points", 0),
                    max_points=spec["points"],
                    visibility=spec["visibility"],
                    seconds=1.0,
                )
            )
        job.score, job.max_score = total, suite.max_score
        job.outcome = "passed" if all(st == "passed" for st in statuses) else "failed"
    GradingJob.objects.bulk_update(jobs, ["score", "max_score", "outcome"], batch_size=1000)
    TestResult.objects.bulk_create(results, batch_size=2000)
    return users
