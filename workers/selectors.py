"""Reads of the autograder: active suites, a submission's latest job, queue positions, visible results, reruns."""

import datetime as dt
import hmac
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from assignments.models import Assignment, Submission
from coursesite.models import Course, User
from workers.judge.redact import public_text

from . import conf, lanes
from .lifecycle import runs_used_today
from .models import GradingJob, Rerun, Suite, TestResult, Visibility, WorkerHeartbeat
from .results import Outcome, Status

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
    """1 when the job is next; None unless it waits in the queue. The jobs ahead are those waiting in the queues a
    worker serves before this one (workers.lanes) and those queued earlier in this one; a first run that arrives
    later can still go ahead of a re-run (that is the rule), so a re-run's position may grow."""
    if job.state not in (State.QUEUED, State.RECEIVED) or job.queued_at is None:
        return None
    higher = [queue for queue in lanes.ahead_of(job.queue) if queue != job.queue]
    ahead = GradingJob.objects.filter(
        Q(queue__in=higher) | Q(queue=job.queue, queued_at__lt=job.queued_at), state=State.QUEUED
    ).count()
    return ahead + 1


def workers_alive(*, now: dt.datetime | None = None) -> dict[str, int]:
    """{queue: worker slots serving it} over the workers whose heartbeat is fresh (one small query)."""
    since = (now or timezone.now()) - dt.timedelta(seconds=conf.worker_dead_after_s())
    slots: dict[str, int] = {}
    for queue, n in WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("queue", "slots"):
        slots[queue] = slots.get(queue, 0) + n
    return slots


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def recent_duration_s(*, assignment_id: int, limit: int = 20) -> float | None:
    """The median run time of the assignment's last `limit` finished jobs (start to end), None before its first."""
    rows = (
        GradingJob.objects.filter(suite__assignment_id=assignment_id, state=State.FINISHED)
        .exclude(running_at=None)
        .order_by("-finished_at")
        .values_list("running_at", "finished_at")[:limit]
    )
    return _median([(end - start).total_seconds() for start, end in rows if end and start])


DEFAULT_DURATION_S = 60.0  # before a suite has any finished run


@dataclass(frozen=True)
class Estimate:
    """When a waiting job should start and end; `delayed` when no live worker serves its queue."""

    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    slots: int
    duration_s: float
    rough: bool  # no finished run of this suite yet to measure
    delayed: bool
    soon: bool = False  # a slot is free for it now (or will be as soon as it is taken)


def job_estimate(
    *, job: GradingJob, position: int | None, assignment_id: int, now: dt.datetime | None = None
) -> Estimate | None:
    """From the suite's recent run times and the live workers: the jobs ahead and those running share the slots."""
    if position is None:
        return None
    now = now or timezone.now()
    slots = workers_alive(now=now).get(job.queue, 0)
    measured = recent_duration_s(assignment_id=assignment_id)
    duration = measured or DEFAULT_DURATION_S
    if slots == 0:
        return Estimate(None, None, 0, duration, measured is None, True)
    running = GradingJob.objects.filter(state=State.RUNNING, queue__in=lanes.LANES[lanes.hardware_of(job.queue)])
    before = position - 1 + running.count()  # jobs that hold or take a slot before this one
    waits = max(0, before - slots + 1)
    starts = now + dt.timedelta(seconds=waits * duration / slots)
    ends = starts + dt.timedelta(seconds=duration)
    return Estimate(
        _rounded(starts, now), _rounded(ends, now), slots, duration, measured is None, False, soon=waits == 0
    )


FAR_S, FAR_STEP_S, NEAR_STEP_S = 600, 300, 60


def _step_s(away_s: float) -> int:
    """How finely the waiting page prints a time `away_s` seconds from now: the minute, five beyond ten minutes."""
    return FAR_STEP_S if away_s > FAR_S else NEAR_STEP_S


def _rounded(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A time the waiting page prints, up to the next minute, or the next five when more than ten minutes away:
    what a student can plan by, and the page (and its ETag) does not change with every second of jitter."""
    step = _step_s((moment - now).total_seconds())
    return dt.datetime.fromtimestamp(-(-moment.timestamp() // step) * step, tz=moment.tzinfo)


EXACT_UP_TO = 10  # positions beyond are shown (and compared) in tens


def position_shown(position: int | None) -> str:
    """The queue position as the waiting student reads it: exact near the front, "about 40" further back. A long
    queue moves with every job that ends; in tens (fifties beyond 100), the page (and its ETag) changes only when the
    band does."""
    if position is None:
        return ""
    if position <= EXACT_UP_TO:
        return str(position)
    band = 10 if position <= 100 else 50  # a hundred places back, fifty at a time
    return f"about {-(-position // band) * band}"


def _estimate_shown(estimate: Estimate | None, now: dt.datetime) -> tuple[tuple[Any, ...], tuple[int, int], float]:
    """What the page prints of an estimate: (delayed, "now", rough), the start and end in minutes since the epoch
    as printed (job_estimate rounds them: to the minute, to five beyond ten minutes; 0 for none), and how many
    minutes either may move before the printed one is wrong enough to send again: the rounding step, or 15 % of the
    wait, whichever is more (the suite's recent durations jitter, and a long wait's estimate with them)."""
    if estimate is None:
        return (), (0, 0), 0.0
    starts = 0 if estimate.soon or estimate.starts_at is None else int(estimate.starts_at.timestamp() // 60)
    ends = int(estimate.ends_at.timestamp() // 60) if estimate.ends_at else 0
    wait_s = max(0.0, (estimate.starts_at - now).total_seconds()) if estimate.starts_at else 0.0
    tolerance_min = max(_step_s(wait_s), 0.15 * wait_s) / 60
    return (estimate.delayed, estimate.soon, estimate.rough), (starts, ends), tolerance_min


# A waiting job's page asks again at the earliest after this share of its estimated wait to start, at most
# POLL_CALM_MAX_S: a student twenty minutes back in the queue asks twice a minute, not every 10 s.
POLL_CALM_SHARE = 0.1
POLL_CALM_MAX_S = 30


@dataclass(frozen=True)
class PollAnswer:
    """What the results page's conditional poll gets: the ETag (the one the page offered when it still holds),
    whether that is unchanged (a 304), and how long the page waits before asking again at the earliest (0: its own
    back-off, 1 s growing to 10 s; sent as the X-Poll-After header, in whole seconds)."""

    etag: str
    after_s: int = 0
    unchanged: bool = False
    seen: "QueueSeen | None" = None  # a waiting job's position and estimate, as this poll worked them out


@dataclass(frozen=True)
class QueueSeen:
    """A waiting job's place as one poll saw it: the page it sends (job_view) uses it while the job's row is that
    version, instead of counting the queue a second time."""

    version: int
    position: int | None
    estimate: Estimate | None


def _poll_tag(user: User, code: str, job_id: int, fixed: list[Any], times: tuple[int, int]) -> str:
    token = salted_hmac("workers.job_poll", f"{user.pk}:{code}:{job_id}:{fixed}:{times}", algorithm="sha256")
    return f'"{token.hexdigest()[:24]}.{times[0]}.{times[1]}"'


def _tag_times(tag: str) -> tuple[int, int] | None:
    """The printed start and end a tag of _poll_tag says (not yet checked: its HMAC is)."""
    parts = tag.strip('"').split(".")
    if len(parts) != 3 or not all(part.isdigit() and len(part) <= 12 for part in parts[1:]):
        return None
    return int(parts[1]), int(parts[2])


def job_poll(
    *, job_id: int, code: str, user: User, offered: Sequence[str] = (), now: dt.datetime | None = None
) -> PollAnswer | None:
    """What the results page's conditional poll compares: cheap (the job's row, and for a waiting job the count
    of jobs ahead, the live workers and the suite's recent run times: small queries, no rendering), and what the
    waiting page shows (the position as position_shown prints it, the estimate's start and end), so that a long
    queue's moving front costs 304s, not pages. An `offered` tag (If-None-Match) still holds while the job's row,
    the position band and the estimate's kind are the same and its printed start and end are within the estimate's
    tolerance of the fresh ones (_estimate_shown): jitter of the estimate around a minute does not resend the page.
    Bound to the viewer (an HMAC of the user, course, job and what it says), so a tag cannot be made up for somebody
    else's job or for another estimate. A job that should not start for minutes tells the page to wait longer
    between polls (PollAnswer.after_s). None when there is no such job."""
    now = now or timezone.now()
    row = (
        GradingJob.objects.filter(pk=job_id)
        .values("version", "state", "queue", "queued_at", "suite__assignment_id")
        .first()
    )
    if row is None:
        return None
    fixed: list[Any] = [row["version"], row["state"]]
    times, tolerance, after, seen = (0, 0), 0.0, 0, None
    if row["state"] in GradingJob.WAITING_STATES:
        shell = GradingJob(pk=job_id, state=row["state"], queue=row["queue"], queued_at=row["queued_at"])
        position = queue_position(job=shell)
        estimate = job_estimate(job=shell, position=position, assignment_id=row["suite__assignment_id"], now=now)
        kind, times, tolerance = _estimate_shown(estimate, now)
        seen = QueueSeen(row["version"], position, estimate)
        fixed += [position_shown(position), *kind]
        if estimate is not None and estimate.starts_at is not None and not estimate.delayed and not estimate.soon:
            wait = (estimate.starts_at - now).total_seconds()
            after = int(min(POLL_CALM_MAX_S, max(0.0, wait * POLL_CALM_SHARE)))
    for tag in offered:
        said = _tag_times(tag)
        if said is None or any(abs(a - b) > tolerance for a, b in zip(said, times, strict=True)):
            continue
        if hmac.compare_digest(_poll_tag(user, code, job_id, fixed, said), tag):
            return PollAnswer(tag, after, unchanged=True)
    return PollAnswer(_poll_tag(user, code, job_id, fixed, times), after, seen=seen)


def job_poll_etag(*, job_id: int, code: str, user: User, now: dt.datetime | None = None) -> str | None:
    """job_poll's fresh ETag alone."""
    answer = job_poll(job_id=job_id, code=code, user=user, now=now)
    return answer.etag if answer is not None else None


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

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED

    @property
    def skipped(self) -> bool:
        return self.status == Status.SKIPPED


@dataclass
class JobView:
    job: GradingJob
    tests: list[ShownTest]
    figures: list[dict[str, str]]
    position: int | None
    estimate: Estimate | None = None
    hidden_count: int = 0  # secret tests left out of the list (students only)
    total_tests: int = 0
    notes: list[str] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # empty for students
    staff: bool = False

    @property
    def is_final(self) -> bool:
        return self.job.is_final

    @property
    def outcome_words(self) -> str:
        """The outcome as the badge says it ("Import error", not `import_error`)."""
        outcome = self.job.outcome
        try:
            return Outcome(outcome).words
        except ValueError:
            return outcome.replace("_", " ").capitalize() or "Done"

    @property
    def position_words(self) -> str:
        """The position as the page prints it (position_shown): exact near the front, in tens further back."""
        return position_shown(self.position)

    @property
    def queue_words(self) -> str:
        """The job's queue in words ("first runs", "re-runs"), as the waiting student reads it."""
        return lanes.words(self.job.queue)

    @property
    def import_problem(self) -> str:
        """An import error's message (with its hint), said once above the tests instead of in each of them."""
        return next((t.message for t in self.tests if t.reason == "import error" and t.message), "")

    @property
    def notes_shown(self) -> list[str]:
        """The notes, less the import error already said above the tests."""
        said = self.import_problem.strip()[:200]
        return [note for note in self.notes if not (said and note.strip()[:200] == said)]

    @property
    def running_for_s(self) -> int | None:
        """How long the test now running has run (since the last result, or the start): the page polls, so it
        counts up while the student waits."""
        job = self.job
        if job.state != State.RUNNING or job.running_at is None:
            return None
        since = job.running_at + dt.timedelta(seconds=sum(t.seconds or 0 for t in self.tests))
        return max(0, int((timezone.now() - since).total_seconds()))

    @property
    def running_number(self) -> int:
        return len(self.tests) + self.hidden_count + 1


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
            or (SKIPPED_WORDS if result.status == Status.SKIPPED else ""),
            result.points,
            result.max_points,
            result.seconds,
            result.visibility,
            result.details if staff else "",
        )
    if result.visibility == Visibility.HIDDEN:
        status = result.status if result.status in (Status.PASSED, Status.SKIPPED) else Status.FAILED
        return ShownTest(result.name, status, visibility=Visibility.HIDDEN)
    return None


def figure_shown(figure: dict[str, str], *, staff: bool) -> bool:
    """Students see the figures of visible tests only (a hidden or secret test's figure is its details)."""
    return staff or figure.get("visibility") == Visibility.VISIBLE


def job_view(*, job: GradingJob, staff: bool, seen: QueueSeen | None = None) -> JobView:
    """The job's results as the viewer may see them (one query for the tests). `seen`: the queue as this request's
    poll already saw it (job_poll), taken while the job is still that version of its row."""
    shown, secret = [], 0
    for result in job.results.order_by("position", "pk"):
        item = shown_test(result, staff=staff)
        if item is None:
            secret += 1
        else:
            shown.append(item)
    figures = [f for f in job.figures if figure_shown(f, staff=staff)]
    if seen is not None and seen.version == job.version:
        position, estimate = seen.position, seen.estimate
    else:
        position = queue_position(job=job)
        estimate = job_estimate(job=job, position=position, assignment_id=job.suite.assignment_id)
    return JobView(
        job=job,
        tests=shown,
        figures=figures,
        position=position,
        estimate=estimate,
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
        "estimate": _estimate_as_dict(view.estimate),
        "outcome": job.outcome,
        "score": job.score if job.state == State.FINISHED else None,
        "max_score": job.max_score if job.state == State.FINISHED else None,
        "notes": view.notes,
        "tests": [_test_as_dict(t, staff=view.staff) for t in view.tests],
        "secret_tests": view.hidden_count,
        "figures": [f["name"] for f in view.figures],
        **({"staff_notes": view.staff_notes} if view.staff else {}),
    }


def _estimate_as_dict(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "starts_at": estimate.starts_at,
        "ends_at": estimate.ends_at,
        "worker_slots": estimate.slots,
        "duration_s": round(estimate.duration_s, 1),
        "rough": estimate.rough,
        "delayed": estimate.delayed,
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
    return RerunProgress(rerun, rerun.done, rerun.failed, rerun.total)


def rerun_offered(*, assignment: Assignment, active: Suite | None) -> bool:
    """After a version is made live: some student's work was graded by another version, and no rerun with the
    live one has been asked for since (2 queries)."""
    if active is None or Rerun.objects.filter(assignment=assignment, suite=active).exists():
        return False
    return (
        GradingJob.objects.filter(suite__assignment=assignment, submission__isnull=False).exclude(suite=active).exists()
    )


def trials_of(*, assignment: Assignment, limit: int = 5) -> list[GradingJob]:
    return list(
        GradingJob.objects.filter(suite__assignment=assignment, trigger=GradingJob.Trigger.TRIAL)
        .select_related("suite")
        .order_by("-received_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class GradingHealth:
    """Is grading alive? `stalled`: queues with jobs waiting and no live worker serving them."""

    stalled: list[str]
    last_seen: dt.datetime | None
    all_dead: bool  # workers were seen, none recently

    @property
    def warning(self) -> bool:
        return bool(self.stalled) or self.all_dead


def grading_health(*, now: dt.datetime | None = None) -> GradingHealth:
    """Two small queries: the heartbeats (one row per worker and queue) and the queues that have jobs waiting."""
    since = (now or timezone.now()) - dt.timedelta(seconds=conf.worker_dead_after_s())
    beats = list(WorkerHeartbeat.objects.values_list("queue", "seen_at"))
    alive = {queue for queue, seen in beats if seen >= since}
    waiting = set(
        GradingJob.objects.filter(state__in=GradingJob.WAITING_STATES)
        .order_by()
        .values_list("queue", flat=True)
        .distinct()
    )
    last_seen = max((seen for _, seen in beats), default=None)
    return GradingHealth(sorted(waiting - alive), last_seen, bool(beats) and not alive)


@dataclass(frozen=True)
class QueueRow:
    queue: str
    waiting: int  # this course's jobs
    waiting_all: int  # every course's (the workers are shared)
    oldest_s: float | None  # this course's oldest waiting job, seconds since it was received

    @property
    def words(self) -> str:
        return lanes.words(self.queue)


@dataclass(frozen=True)
class WorkerRow:
    hostname: str
    queues: list[str]
    slots: int
    seen_at: dt.datetime
    alive: bool
    running: list[str]  # what each busy slot runs, as this course's staff may read it


@dataclass(frozen=True)
class QueueOverview:
    queues: list[QueueRow]
    workers: list[WorkerRow]
    finished_last_hour: int
    median_wait_s: float | None
    outcomes_last_hour: dict[str, int]
    oldest_s: float | None
    warn_after_s: float

    @property
    def warning(self) -> bool:
        return self.oldest_s is not None and self.oldest_s > self.warn_after_s

    @property
    def workers_alive(self) -> int:
        return sum(1 for worker in self.workers if worker.alive)


def queue_overview(*, course: Course, now: dt.datetime | None = None) -> QueueOverview:
    """The staff queue page: four queries, whatever the number of jobs or workers."""
    now = now or timezone.now()
    mine = Q(suite__assignment__course=course)
    rows: dict[str, dict[str, Any]] = {
        row["queue"]: dict(row)
        for row in GradingJob.objects.filter(state__in=GradingJob.WAITING_STATES)
        .order_by()
        .values("queue")
        .annotate(total=Count("pk"), waiting=Count("pk", filter=mine), oldest=Min("received_at", filter=mine))
    }
    queues = []
    for lane in lanes.LANES.values():
        for queue in lane:
            row = rows.get(queue, {})
            oldest = row.get("oldest")
            age = (now - oldest).total_seconds() if oldest else None
            queues.append(QueueRow(queue, row.get("waiting", 0), row.get("total", 0), age))
    since = now - dt.timedelta(seconds=conf.worker_dead_after_s())
    running: dict[str, list[str]] = {}
    for job in GradingJob.objects.filter(state=State.RUNNING).select_related(
        "suite__assignment", "submission__student"
    ):
        if job.suite.assignment.course_id != course.pk:
            what = "a job of another course"
        elif job.submission is None:
            what = f"job {job.pk}: a trial of assignment {job.suite.assignment.number}"
        else:
            what = f"job {job.pk}: assignment {job.suite.assignment.number}, {job.submission.student.username}"
        running.setdefault(job.worker, []).append(what)
    workers: dict[str, dict[str, Any]] = {}
    for beat in WorkerHeartbeat.objects.order_by("hostname", "queue"):
        worker = workers.setdefault(beat.hostname, {"queues": [], "slots": beat.slots, "seen_at": beat.seen_at})
        worker["queues"].append(beat.queue)
        worker["seen_at"] = max(worker["seen_at"], beat.seen_at)
    hour = now - dt.timedelta(hours=1)
    ended = list(
        GradingJob.objects.filter(mine, Q(finished_at__gte=hour) | Q(error_at__gte=hour))
        .exclude(outcome=GradingJob.SUPERSEDED)
        .values_list("state", "outcome", "received_at", "running_at")
    )
    outcomes: dict[str, int] = {}
    for state, outcome, _, _ in ended:
        key = outcome or ("not auto-graded" if state == State.SKIPPED else state)
        outcomes[key] = outcomes.get(key, 0) + 1
    waits = [(started - received).total_seconds() for _, _, received, started in ended if started]
    oldest = max((row.oldest_s for row in queues if row.oldest_s is not None), default=None)
    return QueueOverview(
        queues=queues,
        workers=[
            WorkerRow(name, w["queues"], w["slots"], w["seen_at"], w["seen_at"] >= since, running.get(name, []))
            for name, w in sorted(workers.items())
        ],
        finished_last_hour=sum(1 for state, *_ in ended if state == State.FINISHED),
        median_wait_s=_median(waits),
        outcomes_last_hour=dict(sorted(outcomes.items(), key=lambda item: (-item[1], item[0]))),
        oldest_s=oldest,
        warn_after_s=conf.queue_warn_after_s(),
    )
