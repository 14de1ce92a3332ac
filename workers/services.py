"""Every state change of the autograder: suites, enqueueing, daily limits, reruns, trials, the worker's records."""

import datetime as dt
import json
import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from assignments.models import Assignment, Submission
from assignments.selectors import counting
from coursesite.audit import audit_record
from coursesite.models import User
from coursesite.uploads import MB, check_size, store_by_hash
from workers.judge.redact import Redactor
from workers.judge.suite import SuiteError, load_suite

from . import conf, lanes, runtimes
from .archives import ArchiveError, safe_extract, suite_root
from .models import GradingJob, Rerun, Suite, TestResult, Visibility, WorkerHeartbeat

log = logging.getLogger(__name__)

SUITE_MAX_BYTES = 300 * MB
TRIAL_MAX_BYTES = 50 * MB
TRIAL_SUFFIXES = (".py", ".ipynb", ".zip")
State = GradingJob.State


# --- suites -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteSummary:
    name: str
    queue: str
    required: list[str]
    limits: dict[str, Any]
    tests: dict[str, dict[str, Any]]
    max_score: float
    runtime: str
    functions: dict[str, dict[str, Any]]


def suite_read_folder(*, folder: Path, assignment: Assignment) -> SuiteSummary:
    """Validate an unpacked suite with the judge's own loader; a ValidationError lists every problem."""
    try:
        suite = load_suite(folder)
    except SuiteError as error:
        raise ValidationError(["The suite was refused:", *error.problems], code="bad_suite") from error
    runtime_problems = _runtime_syntax_errors(suite.tests_dir, suite.runtime)
    if runtime_problems:
        raise ValidationError(["The suite was refused:", *runtime_problems], code="bad_suite")
    expected = f"{assignment.course.code}/{assignment.number}"
    if suite.assignment != expected:
        raise ValidationError(
            f"This suite is for {suite.assignment} (suite.toml says so), not for {expected}.", code="wrong_assignment"
        )
    limits: dict[str, Any] = dict(suite.sandbox_limits)
    limits.update(per_test_timeout_s=suite.per_test_timeout_s, import_timeout_s=suite.import_timeout_s)
    tests = {name: {"points": spec.points, "visibility": spec.visibility} for name, spec in suite.tests.items()}
    functions = {name: suite.function(name).to_dict() for name in suite.required}
    return SuiteSummary(
        suite.name, suite.queue, list(suite.required), limits, tests, suite.max_score, suite.runtime, functions
    )


RUNTIME_SYNTAX_CHECK = (
    "import json, sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path; "
    "from workers.judge.suite import syntax_errors; print(json.dumps(syntax_errors(Path(sys.argv[1]))))"
)


def _runtime_syntax_errors(tests_dir: Path, runtime: str) -> list[str]:
    """The SyntaxErrors the suite's runtime's Python (older than the app's, maybe) finds in the suite's files:
    the judge compiles them with it. Nothing when that Python cannot be run here (the judge reports them then)."""
    try:
        done = subprocess.run(  # noqa: S603 -- our own runtime and script; the folder is an argument
            [runtimes.python_for(runtime), "-E", "-s", "-c", RUNTIME_SYNTAX_CHECK, str(tests_dir), str(conf.REPO_ROOT)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        found = json.loads(done.stdout) if done.returncode == 0 else []
    except (OSError, KeyError, subprocess.TimeoutExpired, ValueError):
        log.warning("could not check the suite's syntax with the grading runtime", exc_info=True)
        return []
    return [
        f"{problem} (with the Python of the suite's runtime, {runtime})"
        for problem in found
        if isinstance(problem, str)
    ]


def suite_upload(*, assignment: Assignment, upload: File, by: User | None, runs_per_day: int | None = None) -> Suite:
    """Store a new version of the assignment's suite (a zip) as a draft: students are graded by it only once it is
    activated (suite_activate), so it can be tried first. Nothing is stored on refusal."""
    check_size(upload, max_bytes=SUITE_MAX_BYTES, what="suite zip")
    with tempfile.TemporaryDirectory(prefix="suite-upload-") as scratch:
        upload.seek(0)
        try:
            safe_extract(upload, Path(scratch))  # type: ignore[arg-type]
            root = suite_root(Path(scratch))
        except ArchiveError as error:
            raise ValidationError(str(error), code="bad_zip") from error
        finally:
            upload.seek(0)
        summary = suite_read_folder(folder=root, assignment=assignment)
    if runs_per_day is not None and not 1 <= runs_per_day <= 1000:
        raise ValidationError("Runs per day must be between 1 and 1000.", code="bad_limit")
    stored = store_by_hash(upload, folder="suites", extension=".zip")
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        previous = Suite.objects.filter(assignment=locked, is_active=True).first()
        last = Suite.objects.filter(assignment=locked).aggregate(v=Max("version"))["v"] or 0
        suite = Suite(
            assignment=locked,
            version=last + 1,
            archive=stored.name,
            sha256=stored.sha256,
            uploaded_by=by,
            is_active=False,
            name=summary.name,
            queue=summary.queue,
            required=summary.required,
            limits=summary.limits,
            tests=summary.tests,
            max_score=summary.max_score,
            runtime=summary.runtime,
            functions=summary.functions,
            runs_per_day=runs_per_day
            or (previous.runs_per_day if previous else Suite._meta.get_field("runs_per_day").default),
        )
        suite.full_clean()
        suite.save()
        audit_record(
            actor=by,
            action="suite_upload",
            course=locked.course,
            target=suite,
            version=suite.version,
            sha256=suite.sha256,
            draft=True,
        )
    return suite


def suite_activate(*, suite: Suite, by: User | None) -> Suite:
    """Make this version the one that grades students' new submissions (a draft, or an earlier version again).

    Work already graded keeps its result; the page then offers "rerun everyone" with this version."""
    with transaction.atomic():
        Assignment.objects.select_for_update().get(pk=suite.assignment_id)
        current = Suite.objects.filter(assignment_id=suite.assignment_id, is_active=True).first()
        if current is not None and current.pk == suite.pk:
            return current
        Suite.objects.filter(assignment_id=suite.assignment_id, is_active=True).update(is_active=False)
        suite.is_active = True
        if current is not None:
            suite.runs_per_day = current.runs_per_day
        suite.save(update_fields=["is_active", "runs_per_day"])
        audit_record(
            actor=by,
            action="suite_activate",
            course=suite.assignment.course,
            target=suite,
            version=suite.version,
            previous=current.version if current is not None else None,
        )
    return suite


def suite_set_runs_per_day(*, assignment: Assignment, runs_per_day: int, by: User | None) -> Suite:
    if not 1 <= runs_per_day <= 1000:
        raise ValidationError("Runs per day must be between 1 and 1000.", code="bad_limit")
    with transaction.atomic():
        suite = Suite.objects.select_for_update().filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise ValidationError("Upload a suite first.", code="no_suite")
        suite.runs_per_day = runs_per_day
        suite.save(update_fields=["runs_per_day"])
        audit_record(actor=by, action="suite_runs_per_day", course=assignment.course, target=suite, runs=runs_per_day)
    return suite


# --- enqueueing -------------------------------------------------------------------------------------------------


def day_bounds(*, assignment: Assignment, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Today in the course's time zone: the window the daily limit counts in."""
    local = (now or timezone.now()).astimezone(assignment.course.tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def runs_used_today(*, assignment: Assignment, student: User, now: dt.datetime | None = None) -> int:
    """Runs the student started today; infrastructure errors and skipped submissions do not count.

    A job the judge could not grade on any try because of the file itself ends FINISHED with the outcome
    UNGRADABLE (see job_retry_or_fail), so it counts."""
    start, end = day_bounds(assignment=assignment, now=now)
    return (
        GradingJob.objects.filter(
            submission__assignment=assignment,
            submission__student=student,
            trigger=GradingJob.Trigger.SUBMISSION,
            received_at__gte=start,
            received_at__lt=end,
        )
        .exclude(state__in=[State.SKIPPED, State.ERROR])
        .exclude(outcome="infrastructure_error")
        .count()
    )


def _send(job_id: int, dispatch: int, queue: str, priority: int, countdown: float = 0) -> None:
    """Hand the job to the broker; if the broker is down the job stays received and the watchdog sends it again."""
    from .tasks import grade

    now = timezone.now()
    GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.RECEIVED).update(
        state=State.QUEUED, queued_at=now, version=F("version") + 1
    )
    try:
        grade.apply_async(args=[job_id, dispatch], queue=queue, priority=priority, countdown=countdown or None)
    except Exception:  # the broker is unreachable: leave the job for the watchdog
        log.exception("could not send grading job %s to the broker", job_id)
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.QUEUED).update(
            state=State.RECEIVED, queued_at=None, version=F("version") + 1
        )


def _dispatch(job: GradingJob, *, countdown: float = 0) -> None:
    """Give the job a new dispatch number and send it after the transaction commits."""
    job.dispatch += 1
    job.version += 1
    job.state = State.RECEIVED
    job.save(update_fields=["dispatch", "state", "queue", "version"])
    priority = lanes.PRIORITY[lanes.class_of(job.queue)]
    args = (job.pk, job.dispatch, job.queue, priority, countdown)
    transaction.on_commit(lambda: _send(*args))


def grading_enqueue_submission(*, submission: Submission) -> GradingJob | None:
    """Called when a submission is received: grade it with the active suite, within the student's daily limit.

    Over the limit the submission is still accepted (it goes to review), but it is not auto-graded: its job is
    marked "not auto-graded" with the reason, so the student sees why.
    """
    assignment = submission.assignment
    suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
    if suite is None:
        return None
    with transaction.atomic():
        # One submission at a time per student, so two parallel submissions cannot both take the last run.
        # NO KEY: the student's next submission, being saved, takes a key-share lock on the user (its foreign key).
        User.objects.select_for_update(no_key=True).filter(pk=submission.student_id).first()
        existing = GradingJob.objects.filter(submission=submission, attempt=1).first()
        if existing is not None:
            return existing  # the signal may arrive twice; one job per submission
        earlier = _earlier_unfinished(submission=submission)
        start, end = day_bounds(assignment=assignment)
        replaced = sum(1 for j in earlier if j.state in GradingJob.WAITING_STATES and start <= j.received_at < end)
        used = runs_used_today(assignment=assignment, student=submission.student) - replaced
        job = GradingJob(submission=submission, attempt=1, suite=suite, queue=suite.queue)
        superseded: list[int] = []
        if used >= suite.runs_per_day:
            job.state = State.SKIPPED
            job.notes = [
                f"Not auto-graded: you have used your {suite.runs_per_day} autograder runs for today on this "
                f"assignment. Your submission is kept and will be reviewed. Runs start again at midnight "
                f"({assignment.course.timezone})."
            ]
            job.save()
        else:
            job.queue = lanes.queue_for(lanes.hardware_of(suite.queue), _class_after(earlier))
            job.save()
            _dispatch(job)
            superseded = _supersede(earlier=earlier, by=job)  # only by a run that will happen
        audit_record(
            actor=submission.student,
            action="grading_enqueue",
            course=assignment.course,
            target=job,
            state=job.state,
            queue=job.queue,
            **({"superseded": superseded} if superseded else {}),
        )
    return job


def _earlier_unfinished(*, submission: Submission) -> list[GradingJob]:
    """The student's runs of earlier submissions to this assignment that have not ended, locked (a worker's
    claim waits for this transaction, and a claim made first is seen here as running)."""
    return list(
        GradingJob.objects.select_for_update()
        .filter(
            submission__assignment_id=submission.assignment_id,
            submission__student_id=submission.student_id,
            trigger=GradingJob.Trigger.SUBMISSION,
            state__in=[*GradingJob.WAITING_STATES, State.RUNNING],
        )
        .exclude(submission=submission)
        .order_by("pk")
    )


def _class_after(earlier: list[GradingJob]) -> int:
    """A first run since the student's last result goes first; a submission made while an earlier one is being
    graded is a re-run; one that replaces a queued run takes that run's class (at the back of its queue)."""
    if any(job.state == State.RUNNING for job in earlier):
        return lanes.AGAIN
    waiting = [lanes.class_of(job.queue) for job in earlier]
    return max(waiting) if waiting else lanes.FIRST


def _supersede(*, earlier: list[GradingJob], by: GradingJob) -> list[int]:
    """The older runs still waiting end as superseded and never run (a running one finishes normally). They do
    not count against the daily runs (state SKIPPED). The rows are locked, so a worker cannot claim one meanwhile."""
    waiting = [job.pk for job in earlier if job.state in GradingJob.WAITING_STATES]
    if waiting:
        GradingJob.objects.filter(pk__in=waiting, state__in=GradingJob.WAITING_STATES).update(
            state=State.SKIPPED,
            outcome=GradingJob.SUPERSEDED,
            superseded_by=by,
            finished_at=timezone.now(),
            notes=["Superseded by a newer submission: only your latest submission is graded. Not counted."],
            version=F("version") + 1,
        )
    return waiting


def _enqueue_rerun(
    *, submission: Submission, attempt: int, suite: Suite, by: User | None, rerun: Rerun | None = None
) -> GradingJob:
    """A staff-requested attempt (rerun of everyone, or "grade again" of one), sent at the lowest priority.

    Its trigger is RERUN, so it never counts against the student's daily runs (runs_used_today counts submissions).
    Call inside a transaction that holds the assignment's row lock, so attempt numbers cannot collide.
    """
    queue = lanes.queue_for(lanes.hardware_of(suite.queue), lanes.STAFF)
    job = GradingJob.objects.create(
        submission=submission,
        attempt=attempt,
        suite=suite,
        trigger=GradingJob.Trigger.RERUN,
        rerun=rerun,
        requested_by=by,
        queue=queue,
    )
    _dispatch(job)
    return job


def grading_rerun_all(*, assignment: Assignment, by: User | None) -> Rerun:
    """Grade everyone's submission that counts (their latest, or the one they chose) again with the active suite, on
    the lowest-priority queue."""
    with transaction.atomic():
        Assignment.objects.select_for_update().get(pk=assignment.pk)
        suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise ValidationError("Upload a suite before rerunning.", code="no_suite")
        submissions = list(
            Submission.objects.filter(counting(), assignment=assignment)
            .annotate(last_attempt=Max("grading_jobs__attempt"))
            .order_by("pk")
        )
        rerun = Rerun.objects.create(assignment=assignment, suite=suite, requested_by=by, total=len(submissions))
        for submission in submissions:
            _enqueue_rerun(
                submission=submission, attempt=(submission.last_attempt or 0) + 1, suite=suite, by=by, rerun=rerun
            )
        audit_record(actor=by, action="grading_rerun_all", course=assignment.course, target=rerun, total=rerun.total)
    return rerun


def job_rerun(*, submission: Submission, by: User | None) -> GradingJob:
    """Staff's "grade again" of one submission: a new attempt with the active suite, like a rerun of everyone.

    For an infrastructure error, a fixed suite, a skipped run or a student who asks; never counted against the
    student's daily runs. Refused while the submission's latest run has not ended, so a double click grades once.
    """
    with transaction.atomic():
        # The lock rerun-all takes: the two cannot give the same submission the same attempt number.
        assignment = Assignment.objects.select_for_update().select_related("course").get(pk=submission.assignment_id)
        suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise ValidationError(
                "This assignment has no autograder suite: upload one before grading a submission again.",
                code="no_suite",
            )
        latest = GradingJob.objects.filter(submission=submission).order_by("-attempt").first()
        if latest is not None and not latest.is_final:
            raise ValidationError(
                f"Autograder run {latest.attempt} of this submission has not ended yet; wait for its result.",
                code="in_progress",
            )
        job = _enqueue_rerun(submission=submission, attempt=(latest.attempt if latest else 0) + 1, suite=suite, by=by)
        audit_record(
            actor=by,
            action="grading_rerun_one",
            course=assignment.course,
            target=job,
            submission=submission.pk,
            attempt=job.attempt,
            suite_version=suite.version,
        )
    return job


def grading_trial(*, assignment: Assignment, upload: File, by: User | None, version: int | None = None) -> GradingJob:
    """Grade the staff's sample solution (.py, .ipynb or .zip) with one version of the suite (a draft too; by
    default the live one, else the newest), before students are graded by it."""
    versions = Suite.objects.filter(assignment=assignment)
    if version is not None:
        suite = versions.filter(version=version).first()
        if suite is None:
            raise ValidationError(f"This assignment has no suite version {version}.", code="no_version")
    else:
        suite = versions.filter(is_active=True).first() or versions.order_by("-version").first()
    if suite is None:
        raise ValidationError("Upload a suite first, then try it on a sample solution.", code="no_suite")
    name = Path(getattr(upload, "name", "") or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in TRIAL_SUFFIXES:
        raise ValidationError("Upload a .py, .ipynb or .zip file.", code="bad_type")
    check_size(upload, max_bytes=TRIAL_MAX_BYTES, what="sample solution")
    stored = store_by_hash(upload, folder="suite-trials", extension=suffix)
    with transaction.atomic():
        job = GradingJob.objects.create(
            submission=None,
            suite=suite,
            trigger=GradingJob.Trigger.TRIAL,
            trial_file=stored.name,
            trial_name=name[:200],
            requested_by=by,
            queue=suite.queue,
        )
        _dispatch(job)
        audit_record(
            actor=by, action="grading_trial", course=assignment.course, target=job, file=name, version=suite.version
        )
    return job


# --- the worker's records ---------------------------------------------------------------------------------------


def job_claim(*, job_id: int, dispatch: int, worker: str) -> GradingJob | None:
    """Mark the job running on `worker`; None when the message is stale, the job is done, or another worker has it."""
    now = timezone.now()
    with transaction.atomic():
        job = GradingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_final or job.dispatch != dispatch:
            return None
        fresh = job.heartbeat_at and job.heartbeat_at > now - dt.timedelta(seconds=conf.stale_after_s())
        if job.state == State.RUNNING and fresh and job.worker != worker:
            return None  # a duplicate delivery while its first worker is alive
        job.tries += 1
        if job.tries > conf.max_tries():
            _fail(job, "the autograder failed on every try; staff have been told (this is not counted against you)")
            return None
        job.results.all().delete()  # a take-over starts the tests afresh
        job.state, job.running_at, job.worker, job.heartbeat_at = State.RUNNING, now, worker, now
        job.version += 1
        job.save(update_fields=["tries", "state", "running_at", "worker", "heartbeat_at", "version"])
    return job


def job_heartbeat(*, job_id: int, dispatch: int, changed: bool = False) -> bool:
    """The running worker is alive; False when the job was taken from it (the watchdog re-queued it)."""
    bump = {"version": F("version") + 1} if changed else {}
    return bool(
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.RUNNING).update(
            heartbeat_at=timezone.now(), **bump
        )
    )


def job_record_test(*, job_id: int, dispatch: int, position: int, test: dict[str, Any]) -> TestResult | None:
    """Store one test's result as soon as it finishes; the same test again updates its row."""
    if not job_heartbeat(job_id=job_id, dispatch=dispatch, changed=True):
        return None
    result, _ = TestResult.objects.update_or_create(
        job_id=job_id,
        name=str(test.get("name") or f"test {position + 1}")[:300],
        defaults={
            "position": position,
            "status": str(test.get("status") or "error")[:10],
            "reason": str(test.get("reason") or "")[:200],
            "message": _public(test.get("message")),
            "details": str(test.get("details") or ""),
            "points": float(test.get("points") or 0),
            "max_points": float(test.get("max_points") or 0),
            "visibility": test.get("visibility") or "visible",
            "seconds": float(test.get("seconds") or 0),
        },
    )
    return result


def _public(text: Any) -> str:
    """A failure text as students may read it: no traceback, no path of this host (the judge redacts its own
    already; this is the last gate before the database)."""
    redactor = Redactor([(conf.suite_cache_dir(), "<suite>"), (conf.REPO_ROOT, "<judge>")])
    return redactor(str(text or ""))


def job_store_figures(*, job: GradingJob, tests: list[dict[str, Any]], paths: list[str]) -> list[dict[str, str]]:
    """Copy the judge's figures into the storage (the web server may be on another host).

    Each figure keeps the visibility of the test that drew it (students see only those of visible tests); one
    that no test claims is staff's only."""
    owner = {}
    for test in tests:
        for path in test.get("figures") or []:
            owner[str(path)] = (test.get("name") or "", test.get("visibility") or Visibility.SECRET)
    stored = []
    for index, path in enumerate(paths):
        source = Path(path)
        if not source.is_file() or source.suffix.lower() not in (".png", ".svg", ".jpg", ".jpeg"):
            continue
        name = default_storage.save(
            f"grading/figures/{job.pk}/{job.dispatch}-{index}{source.suffix.lower()}", ContentFile(source.read_bytes())
        )
        test_name, visibility = owner.get(str(path), ("", Visibility.SECRET))
        title = re.sub(r"^\d{3}-", "", source.stem).replace("_", " ")
        stored.append({"name": name, "title": title, "test": test_name, "visibility": visibility})
    return stored


def job_finish(
    *, job_id: int, dispatch: int, result: dict[str, Any], figures: list[dict[str, str]]
) -> GradingJob | None:
    """Record the judge's final result; an infrastructure error is retried instead of reported."""
    if result.get("outcome") == "infrastructure_error" and result.get("infrastructure_fault") == FAULT_SUITE:
        return _fail_suite(job_id=job_id, dispatch=dispatch, result=result)
    if result.get("outcome") == "infrastructure_error":
        details = [str(n) for n in result.get("staff_notes") or []] or [str(n) for n in result.get("notes") or []]
        return job_retry_or_fail(
            job_id=job_id,
            dispatch=dispatch,
            note="; ".join(details)[-4000:] or "judge failed",
            about_the_file=result.get("infrastructure_fault") == FAULT_FILE,
        )
    with transaction.atomic():
        job = GradingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.dispatch != dispatch or job.is_final:
            return None
        job.state, job.finished_at = State.FINISHED, timezone.now()
        job.outcome = str(result.get("outcome") or "")[:32]
        job.score = float(result.get("score") or 0)
        job.max_score = float(result.get("max_score") or 0)
        job.notes = [_public(n) for n in result.get("notes") or []]
        job.staff_notes = [*job.staff_notes, *(str(n) for n in result.get("staff_notes") or [])]
        job.figures = figures
        job.version += 1
        job.save()
    return job


FAULT_FILE = "file"  # workers.judge.judge.FAULT_FILE (the judge's module runs in the grading runtime)
FAULT_SUITE = "suite"  # workers.judge.judge.FAULT_SUITE: the suite itself cannot run


def _fail_suite(*, job_id: int, dispatch: int, result: dict[str, Any]) -> GradingJob | None:
    """The suite is broken (a test file with a SyntaxError, tests pytest cannot collect): the same on every try and
    every worker, so the job ends at once, never counted. Staff read every problem, with its file and line."""
    problems = [str(p) for p in result.get("suite_problems") or []] or [str(result.get("infrastructure") or "")]
    with transaction.atomic():
        job = GradingJob.objects.select_for_update().select_related("suite").filter(pk=job_id).first()
        if job is None or job.is_final or job.dispatch != dispatch:
            return None
        words = f"Suite version {job.suite.version} cannot run: " + "; ".join(problems)
        job.state, job.error_at, job.outcome = State.ERROR, timezone.now(), "infrastructure_error"
        if job.trigger == GradingJob.Trigger.TRIAL:  # staff only: said where they look first
            job.notes = [*job.notes, words]
        else:
            job.notes = [
                *job.notes,
                "The autograder's tests could not run (a problem of the suite, not of your file). This is not "
                "counted against you; the teachers have been told.",
            ]
        job.staff_notes = [*job.staff_notes, words[:4000]]
        job.save()
    log.error("grading job %s: the suite cannot run: %s", job_id, words)
    return job


UNGRADABLE = "ungradable"


def _fail(job: GradingJob, note: str) -> None:
    """Give up on a job the platform could not run: not counted; the student reads a plain note, staff the why."""
    job.state, job.error_at, job.outcome = State.ERROR, timezone.now(), "infrastructure_error"
    job.notes = [
        *job.notes,
        "The autograder itself failed on every try. This is not counted against you; staff will look at it.",
    ]
    job.staff_notes = [*job.staff_notes, note]
    job.version += 1
    job.save()
    log.error("grading job %s failed for good: %s", job.pk, note)


def _give_up_counted(job: GradingJob) -> None:
    """Every try ended in an infrastructure error the judge reported about this file: it ends as graded
    (nothing earned), and counts against the student's daily runs."""
    job.state, job.finished_at, job.outcome = State.FINISHED, timezone.now(), UNGRADABLE
    job.score, job.max_score = 0.0, job.suite.max_score
    job.notes = [
        *job.notes,
        f"The autograder could not grade this file: the grader itself failed on it on each of its {job.tries} "
        "tries. This run counts against your daily autograder runs. Check that your file imports and "
        "runs on your own computer, and submit again; the teachers can see the details.",
    ]
    job.version += 1
    job.save()
    audit_record(
        actor=None, action="grading_ungradable", course=job.suite.assignment.course, target=job, tries=job.tries
    )
    log.warning("grading job %s: ungradable file after %s tries (counted)", job.pk, job.tries)


def job_retry_or_fail(
    *, job_id: int, dispatch: int | None, note: str, about_the_file: bool = False
) -> GradingJob | None:
    """An infrastructure problem: run the job again later, or give up after the last try.

    What tells the platform's failures from the file's: `about_the_file` is set only when the judge itself ran
    this submission to its end and reported an infrastructure error of its own while grading it (a crash in the
    judge's code on what the file holds or sent, a sandbox error running it): the same file fails the same way
    again on every try and on every worker, so a student could otherwise force uncounted, retried runs at will.
    Everything else is the platform's: the worker died or lost its heartbeat (the watchdog), the broker, the
    database or the storage failed (an exception in the worker), the judge could not be started or ended without
    its summary, the host had no sandbox to give (SandboxUnavailable), or the suite itself is broken. Those end
    in ERROR after the last try and are never counted. Only a job whose every try ended `about_the_file` is
    counted: it ends FINISHED with the outcome UNGRADABLE, which runs_used_today counts.
    """
    with transaction.atomic():
        job = GradingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_final or (dispatch is not None and job.dispatch != dispatch):
            return None
        log.warning("grading job %s: infrastructure problem (try %s): %s", job.pk, job.tries, note)
        if about_the_file:
            job.file_failures += 1
        job.staff_notes = [*job.staff_notes, f"try {job.tries}: {note}"[-4000:]]
        if job.tries >= conf.max_tries():
            if job.file_failures >= job.tries:
                _give_up_counted(job)
            else:
                _fail(job, f"The autograder itself failed ({note[-1000:]}).")
        else:
            job.worker, job.heartbeat_at = "", None
            job.save(update_fields=["worker", "heartbeat_at", "file_failures", "staff_notes"])
            _dispatch(job, countdown=conf.retry_delay_s())
    return job


def worker_pulse(*, hostname: str, queues: list[str], slots: int) -> None:
    """A worker is alive on these queues (one row per queue, updated in place)."""
    now = timezone.now()
    for queue in queues:
        WorkerHeartbeat.objects.update_or_create(
            hostname=hostname, queue=queue, defaults={"seen_at": now, "slots": slots}
        )


def jobs_promote_aged(*, now: dt.datetime | None = None) -> int:
    """Age raises priority: a re-run that waited longer than GRADING_PROMOTE_AFTER_S (a staff rerun three times
    that) is sent again to the queue above (a new dispatch: its old message is stale and dropped), at its back."""
    now = now or timezone.now()
    after = conf.promote_after_s()
    aged = Q()
    for lane in lanes.LANES.values():  # staff reruns wait three times as long before they move up
        aged |= Q(queue=lane[lanes.AGAIN], queued_at__lt=now - dt.timedelta(seconds=after))
        aged |= Q(queue=lane[lanes.STAFF], queued_at__lt=now - dt.timedelta(seconds=3 * after))
    promoted = 0
    for job_id in GradingJob.objects.filter(aged, state=State.QUEUED).values_list("pk", flat=True):
        with transaction.atomic():
            job = GradingJob.objects.select_for_update().filter(pk=job_id, state=State.QUEUED).first()
            if job is None:
                continue
            lane = lanes.LANES[lanes.hardware_of(job.queue)]
            job.queue = lane[lane.index(job.queue) - 1]
            _dispatch(job)
            promoted += 1
    return promoted


def jobs_watchdog(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Take over the jobs whose worker died (stale heartbeat), send again the ones the broker never got, and move
    up the jobs that waited too long (jobs_promote_aged)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=conf.stale_after_s())
    taken = resent = 0
    for job_id, dispatch in GradingJob.objects.filter(state=State.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", "dispatch"
    ):
        if job_retry_or_fail(job_id=job_id, dispatch=dispatch, note="the worker running it stopped answering"):
            taken += 1
    for job in GradingJob.objects.filter(state=State.RECEIVED, received_at__lt=stale):
        with transaction.atomic():
            locked = GradingJob.objects.select_for_update().get(pk=job.pk)
            if locked.state == State.RECEIVED:
                _dispatch(locked)
                resent += 1
    return {"taken_over": taken, "resent": resent, "promoted": jobs_promote_aged(now=now)}
