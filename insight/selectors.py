"""Reads for insight: an assignment's analytics in a fixed number of queries, and similarity results."""

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, QuerySet

from assignments.models import Assignment, Submission
from coursesite.models import Membership, Role
from workers.models import GradingJob, Suite, TestResult

from . import analytics
from .analytics import KINDS, Bin
from .models import SimilarityCheck, SimilarityPair

FAILURE_GROUPS_PER_TEST = 5


@dataclass
class StudentRow:
    user_id: int
    username: str
    name: str
    email: str


@dataclass
class FailureGroup:
    key: str
    count: int
    example: str


@dataclass
class TestStats:
    name: str
    visibility: str
    points: float
    ran: int = 0
    passed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    failures: list[FailureGroup] = field(default_factory=list)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.ran if self.ran else 0.0


@dataclass
class Analytics:
    assignment: Assignment
    students: int
    submitted: int
    late: int
    reviewed: int
    review_passed: int
    graded: int
    autograder_passed: int
    missing: list[StudentRow]
    max_score: float | None
    scores: list[float]
    score_bins: list[Bin]
    tests: list[TestStats]
    job_outcomes: list[tuple[str, int]]
    kinds: list[tuple[str, str, int, int]]  # (kind, label, test results, students)
    grading_seconds: list[float]
    queue_seconds: list[float]
    grading_bins: list[Bin]
    queue_bins: list[Bin]

    @property
    def not_submitted(self) -> int:
        return len(self.missing)

    def timing_summary(self) -> dict[str, dict[str, float | None]]:
        return {
            name: {
                "median": analytics.quantile(values, 0.5),
                "p90": analytics.quantile(values, 0.9),
                "max": max(values) if values else None,
            }
            for name, values in (("grading", self.grading_seconds), ("queue_wait", self.queue_seconds))
        }


def _active_students(assignment: Assignment) -> list[StudentRow]:
    rows = (
        Membership.objects.filter(course_id=assignment.course_id, role=Role.STUDENT, withdrawn_at__isnull=True)
        .order_by("user__username")
        .values_list("user_id", "user__username", "user__full_name", "user__email")
    )
    return [StudentRow(pk, username, name or username, email) for pk, username, name, email in rows]


def assignment_analytics(*, assignment: Assignment) -> Analytics:
    """Everything the analytics page shows, in five queries whatever the number of students.

    Counts are over the course's active students and their latest submission; the autograder's figures use each
    student's latest finished run of that submission (infrastructure errors and skipped runs never count).
    """
    students = _active_students(assignment)
    active = {row.user_id for row in students}
    latest = [
        row
        for row in Submission.objects.filter(assignment=assignment, is_latest=True).values(
            "id",
            "student_id",
            "is_late",
            "review__passed",
            "review__regrade__passed",
            "review__regrade__answered_at",
        )
        if row["student_id"] in active
    ]
    latest_ids = {row["id"] for row in latest}
    submitted_students = {row["student_id"] for row in latest}
    reviewed = [row for row in latest if row["review__passed"] is not None]
    review_passed = 0
    for row in reviewed:
        regraded = row["review__regrade__answered_at"] is not None and row["review__regrade__passed"] is not None
        review_passed += bool(row["review__regrade__passed"] if regraded else row["review__passed"])

    jobs = list(
        GradingJob.objects.filter(submission__assignment=assignment).values(
            "id",
            "submission_id",
            "attempt",
            "state",
            "outcome",
            "score",
            "max_score",
            queue_wait=ExpressionWrapper(F("running_at") - F("queued_at"), output_field=DurationField()),
            grading_time=ExpressionWrapper(F("finished_at") - F("running_at"), output_field=DurationField()),
        )
    )
    chosen: dict[int, Mapping[str, Any]] = {}
    grading_seconds: list[float] = []
    queue_seconds: list[float] = []
    for job in jobs:
        if job["queue_wait"] is not None:
            queue_seconds.append(max(0.0, job["queue_wait"].total_seconds()))
        if job["state"] != GradingJob.State.FINISHED or job["outcome"] == GradingJob.Outcome.INFRASTRUCTURE_ERROR:
            continue
        if job["grading_time"] is not None:
            grading_seconds.append(max(0.0, job["grading_time"].total_seconds()))
        if job["submission_id"] in latest_ids:
            best = chosen.get(job["submission_id"])
            if best is None or job["attempt"] > best["attempt"]:
                chosen[job["submission_id"]] = job
    chosen_ids = {job["id"] for job in chosen.values()}

    suite = Suite.objects.filter(assignment=assignment, is_active=True).values("tests", "max_score").first()
    specs: dict[str, dict[str, Any]] = suite["tests"] if suite else {}
    max_score = suite["max_score"] if suite else None
    tests: dict[str, TestStats] = {
        name: TestStats(name, spec.get("visibility", "visible"), float(spec.get("points", 0)))
        for name, spec in specs.items()
    }
    messages: dict[str, dict[str, list[Any]]] = defaultdict(dict)  # [count, example]
    kind_results: Counter[str] = Counter()
    kind_students: dict[str, set[int]] = defaultdict(set)
    student_of_job = {job["id"]: job["submission_id"] for job in chosen.values()}
    results = TestResult.objects.filter(job_id__in=sorted(chosen_ids)).values_list(
        "job_id", "name", "status", "reason", "message", "visibility", "points", "max_points"
    )
    for job_id, nodeid, status, reason, message, visibility, _points, max_points in results:
        # The judge names a result by its node id ("test_a1.py::test_cost"); the suite lists function names.
        function = nodeid.rsplit("::", 1)[-1]
        name = nodeid if nodeid in specs or "[" in nodeid or function not in specs else function
        stats = tests.get(name)
        if stats is None:  # a parametrised test or one the active suite no longer lists
            stats = tests[name] = TestStats(name, visibility, max_points)
        kind = analytics.outcome_kind(status, reason)
        stats.ran += 1
        stats.kinds[kind] += 1
        kind_results[kind] += 1
        kind_students[kind].add(student_of_job[job_id])
        if kind == "passed":
            stats.passed += 1
            continue
        key = analytics.failure_key(message or reason)
        group = messages[name].get(key)
        if group is None:
            messages[name][key] = [1, (message or reason)[:1000]]
        else:
            group[0] += 1
    for name, groups in messages.items():
        ranked = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))[:FAILURE_GROUPS_PER_TEST]
        tests[name].failures = [FailureGroup(key, count, example) for key, (count, example) in ranked]

    scores = []
    for latest_job in chosen.values():
        top = latest_job["max_score"] or max_score
        if latest_job["score"] is not None and top:
            scores.append(max(0.0, min(1.0, latest_job["score"] / top)))
    outcomes = Counter(job["outcome"] or "unknown" for job in chosen.values())
    kinds = [(kind, label, kind_results[kind], len(kind_students[kind])) for kind, label in KINDS.items()]
    return Analytics(
        assignment=assignment,
        students=len(students),
        submitted=len(latest),
        late=sum(1 for row in latest if row["is_late"]),
        reviewed=len(reviewed),
        review_passed=review_passed,
        graded=len(chosen),
        autograder_passed=outcomes.get(GradingJob.Outcome.PASSED, 0),
        missing=[row for row in students if row.user_id not in submitted_students],
        max_score=max_score,
        scores=scores,
        score_bins=analytics.score_histogram(scores),
        tests=list(tests.values()),
        job_outcomes=sorted(outcomes.items(), key=lambda item: -item[1]),
        kinds=[row for row in kinds if row[2]],
        grading_seconds=grading_seconds,
        queue_seconds=queue_seconds,
        grading_bins=analytics.duration_histogram(grading_seconds),
        queue_bins=analytics.duration_histogram(queue_seconds),
    )


def students_not_submitted(*, assignment: Assignment) -> list[StudentRow]:
    """Active students with no submission for the assignment (the reminder's recipients), by username."""
    submitted = set(Submission.objects.filter(assignment=assignment).values_list("student_id", flat=True))
    return [row for row in _active_students(assignment) if row.user_id not in submitted]


def analytics_as_dict(data: Analytics) -> dict[str, Any]:
    """The API's (and the CSV's) view of the analytics: plain numbers and strings."""
    return {
        "assignment": data.assignment.number,
        "counts": {
            "students": data.students,
            "submitted": data.submitted,
            "not_submitted": data.not_submitted,
            "late": data.late,
            "reviewed": data.reviewed,
            "review_passed": data.review_passed,
            "autograded": data.graded,
            "autograder_passed": data.autograder_passed,
        },
        "not_submitted": [{"username": r.username, "name": r.name, "email": r.email} for r in data.missing],
        "max_score": data.max_score,
        "score_histogram": [{"bin": b.label, "count": b.count} for b in data.score_bins],
        "tests": [
            {
                "name": t.name,
                "visibility": t.visibility,
                "points": t.points,
                "ran": t.ran,
                "passed": t.passed,
                "pass_rate": round(t.pass_rate, 4),
                "kinds": dict(t.kinds),
                "failures": [{"message": f.key, "count": f.count, "example": f.example} for f in t.failures],
            }
            for t in data.tests
        ],
        "outcomes": dict(data.job_outcomes),
        "kinds": [{"kind": k, "label": label, "results": n, "students": s} for k, label, n, s in data.kinds],
        "grading_time_histogram": [{"bin": b.label, "count": b.count} for b in data.grading_bins],
        "queue_wait_histogram": [{"bin": b.label, "count": b.count} for b in data.queue_bins],
        "timing": data.timing_summary(),
    }


def check_latest(*, assignment: Assignment) -> SimilarityCheck | None:
    return SimilarityCheck.objects.filter(assignment=assignment).select_related("requested_by").first()


def pairs_ranked(*, check: SimilarityCheck) -> QuerySet[SimilarityPair]:
    return (
        SimilarityPair.objects.filter(check_run=check)
        .select_related("a", "b", "decided_by")
        .defer("a__text", "b__text", "slices_a", "slices_b")
        .order_by("-similarity", "pk")
    )


def pair_detail(*, pair_id: int) -> SimilarityPair | None:
    return (
        SimilarityPair.objects.select_related("a", "b", "check_run__assignment__course", "decided_by")
        .filter(pk=pair_id)
        .first()
    )
