"""Reads of the autograder: active suites, a submission's latest job, queue positions, visible results, reruns."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from assignments.models import Assignment, Submission
from coursesite.models import User
from workers.judge.redact import public_text

from .models import GradingJob, Rerun, Suite, TestResult, Visibility
from .services import runs_used_today

State = GradingJob.State


def suite_active(*, assignment: Assignment) -> Suite | None:
    return Suite.objects.filter(assignment=assignment, is_active=True).first()


def suite_functions(*, suite: Suite) -> list[dict[str, Any]]:
    """The required functions in the suite's order, each with its declared signature and accepted aliases."""
    declared = suite.functions or {}
    return [{"name": name, "signature": "", "aliases": [], **(declared.get(name) or {})} for name in suite.required]


def suite_runtime(*, suite: Suite) -> dict[str, Any]:
    """The suite's runtime as this host has it: its Python and notable packages' versions (workers.runtimes)."""
    from workers import runtimes

    return runtimes.describe(suite.runtime)


def suites_of(*, assignment: Assignment) -> QuerySet[Suite]:
    return Suite.objects.filter(assignment=assignment).select_related("uploaded_by").order_by("-version")


def job_latest(*, submission: Submission) -> GradingJob | None:
    return GradingJob.objects.filter(submission=submission).select_related("suite").order_by("-attempt", "-pk").first()


def job_with_results(*, job_id: int) -> GradingJob | None:
    return (
        GradingJob.objects.filter(pk=job_id)
        .select_related("suite__assignment__course", "submission__assignment__course", "submission__student")
        .first()
    )


def queue_position(*, job: GradingJob) -> int | None:
    """1 when the job is next on its queue; None unless it waits in the queue."""
    if job.state not in (State.QUEUED, State.RECEIVED) or job.queued_at is None:
        return None
    ahead = GradingJob.objects.filter(state=State.QUEUED, queue=job.queue, queued_at__lt=job.queued_at).count()
    return ahead + 1


@dataclass(frozen=True)
class ShownTest:
    """One test as a given viewer may see it."""

    name: str
    status: str
    reason: str = ""
    message: str = ""
    points: float | None = None
    max_points: float | None = None
    seconds: float | None = None
    visibility: str = Visibility.VISIBLE
    details: str = ""  # staff only: the judge's traceback and unredacted text


@dataclass
class JobView:
    job: GradingJob
    tests: list[ShownTest]
    figures: list[dict[str, str]]
    position: int | None
    hidden_count: int = 0  # secret tests left out of the list (students only)
    total_tests: int = 0
    notes: list[str] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # empty for students
    staff: bool = False

    @property
    def is_final(self) -> bool:
        return self.job.is_final


SKIPPED_WORDS = "skipped: the test did not run, so it earns no points"


def shown_test(result: TestResult, *, staff: bool) -> ShownTest | None:
    """What a viewer may see of one test: students see hidden tests as passed, failed or skipped only, secret
    ones not at all, and never the staff's details."""
    if staff or result.visibility == Visibility.VISIBLE:
        return ShownTest(
            result.name,
            result.status,
            result.reason,
            (result.message if staff else public_text(result.message))
            or (SKIPPED_WORDS if result.status == "skipped" else ""),
            result.points,
            result.max_points,
            result.seconds,
            result.visibility,
            result.details if staff else "",
        )
    if result.visibility == Visibility.HIDDEN:
        status = result.status if result.status in ("passed", "skipped") else "failed"
        return ShownTest(result.name, status, visibility=Visibility.HIDDEN)
    return None


def figure_shown(figure: dict[str, str], *, staff: bool) -> bool:
    """Students see the figures of visible tests only (a hidden or secret test's figure is its details)."""
    return staff or figure.get("visibility") == Visibility.VISIBLE


def job_view(*, job: GradingJob, staff: bool) -> JobView:
    """The job's results as the viewer may see them (one query for the tests)."""
    shown, secret = [], 0
    for result in job.results.order_by("position", "pk"):
        item = shown_test(result, staff=staff)
        if item is None:
            secret += 1
        else:
            shown.append(item)
    figures = [f for f in job.figures if figure_shown(f, staff=staff)]
    return JobView(
        job=job,
        tests=shown,
        figures=figures,
        position=queue_position(job=job),
        hidden_count=secret,
        total_tests=len(job.suite.tests),
        # Redacted again on the way out: rows stored before the judge redacted its own texts.
        notes=(list(job.notes) if staff else [public_text(note) for note in job.notes])
        if (staff or job.state in (State.FINISHED, State.SKIPPED, State.ERROR))
        else [],
        staff_notes=list(job.staff_notes) if staff else [],
        staff=staff,
    )


def job_as_dict(view: JobView) -> dict[str, Any]:
    job = view.job
    return {
        "id": job.pk,
        "attempt": job.attempt,
        "trigger": job.trigger,
        "suite_version": job.suite.version,
        "queue": job.queue,
        "state": job.state,
        "received_at": job.received_at,
        "queued_at": job.queued_at,
        "running_at": job.running_at,
        "finished_at": job.finished_at,
        "error_at": job.error_at,
        "queue_position": view.position,
        "outcome": job.outcome,
        "score": job.score if job.state == State.FINISHED else None,
        "max_score": job.max_score if job.state == State.FINISHED else None,
        "notes": view.notes,
        "tests": [_test_as_dict(t, staff=view.staff) for t in view.tests],
        "secret_tests": view.hidden_count,
        "figures": [f["name"] for f in view.figures],
        **({"staff_notes": view.staff_notes} if view.staff else {}),
    }


def _test_as_dict(test: ShownTest, *, staff: bool) -> dict[str, Any]:
    data = dict(test.__dict__)
    if not staff:
        data.pop("details")
    return data


@dataclass(frozen=True)
class RunsToday:
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def runs_today(*, assignment: Assignment, student: User) -> RunsToday | None:
    suite = suite_active(assignment=assignment)
    if suite is None:
        return None
    return RunsToday(runs_used_today(assignment=assignment, student=student), suite.runs_per_day)


@dataclass(frozen=True)
class RerunProgress:
    rerun: Rerun
    done: int
    failed: int
    total: int

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def rerun_progress(*, assignment: Assignment) -> RerunProgress | None:
    """The latest rerun of the assignment: how many of its jobs have ended (one query)."""
    rerun = (
        Rerun.objects.filter(assignment=assignment)
        .select_related("suite")
        .annotate(
            done=Count("jobs", filter=Q(jobs__state__in=GradingJob.FINAL_STATES)),
            failed=Count("jobs", filter=Q(jobs__state=State.ERROR)),
        )
        .order_by("-requested_at", "-pk")
        .first()
    )
    if rerun is None:
        return None
    return RerunProgress(rerun, rerun.done, rerun.failed, rerun.total)  # type: ignore[attr-defined]


def trials_of(*, assignment: Assignment, limit: int = 5) -> list[GradingJob]:
    return list(
        GradingJob.objects.filter(suite__assignment=assignment, trigger=GradingJob.Trigger.TRIAL)
        .select_related("suite")
        .order_by("-received_at", "-pk")[:limit]
    )
