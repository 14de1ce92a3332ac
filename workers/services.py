"""Every state change of the autograder: suites, enqueueing, daily limits, reruns, trials, the worker's records."""

import datetime as dt
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assignments.models import Assignment, Submission
from coursesite.audit import audit_record
from coursesite.models import User
from coursesite.uploads import MB, check_size, store_by_hash
from workers.judge.redact import Redactor
from workers.judge.suite import SuiteError, load_suite

from . import conf
from .archives import ArchiveError, safe_extract, suite_root
from .models import GradingJob, Queue, Rerun, Suite, TestResult, Visibility

log = logging.getLogger(__name__)

SUITE_MAX_BYTES = 300 * MB
TRIAL_MAX_BYTES = 50 * MB
TRIAL_SUFFIXES = (".py", ".ipynb", ".zip")
NORMAL_PRIORITY, RERUN_PRIORITY = 0, 9
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


def suite_upload(*, assignment: Assignment, upload: File, by: User | None, runs_per_day: int | None = None) -> Suite:
    """Store a new version of the assignment's suite (a zip) and make it active. Nothing is stored on refusal."""
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
        Suite.objects.filter(assignment=locked, is_active=True).update(is_active=False)
        suite = Suite(
            assignment=locked,
            version=last + 1,
            archive=stored.name,
            sha256=stored.sha256,
            uploaded_by=by,
            is_active=True,
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
        )
    return suite


def suite_activate(*, suite: Suite, by: User | None) -> Suite:
    """Grade new submissions with an earlier (or later) version again."""
    with transaction.atomic():
        Assignment.objects.select_for_update().get(pk=suite.assignment_id)
        current = Suite.objects.filter(assignment_id=suite.assignment_id, is_active=True).first()
        Suite.objects.filter(assignment_id=suite.assignment_id, is_active=True).update(is_active=False)
        suite.is_active = True
        if current is not None:
            suite.runs_per_day = current.runs_per_day
        suite.save(update_fields=["is_active", "runs_per_day"])
        audit_record(actor=by, action="suite_activate", course=suite.assignment.course, target=suite)
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
        state=State.QUEUED, queued_at=now
    )
    try:
        grade.apply_async(args=[job_id, dispatch], queue=queue, priority=priority, countdown=countdown or None)
    except Exception:  # the broker is unreachable: leave the job for the watchdog
        log.exception("could not send grading job %s to the broker", job_id)
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.QUEUED).update(
            state=State.RECEIVED, queued_at=None
        )


def _dispatch(job: GradingJob, *, countdown: float = 0) -> None:
    """Give the job a new dispatch number and send it after the transaction commits."""
    job.dispatch += 1
    job.state = State.RECEIVED
    job.save(update_fields=["dispatch", "state"])
    priority = RERUN_PRIORITY if job.trigger == GradingJob.Trigger.RERUN else NORMAL_PRIORITY
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
        User.objects.select_for_update().filter(pk=submission.student_id).first()
        existing = GradingJob.objects.filter(submission=submission, attempt=1).first()
        if existing is not None:
            return existing  # the signal may arrive twice; one job per submission
        used = runs_used_today(assignment=assignment, student=submission.student)
        job = GradingJob(submission=submission, attempt=1, suite=suite, queue=suite.queue)
        if used >= suite.runs_per_day:
            job.state = State.SKIPPED
            job.notes = [
                f"Not auto-graded: you have used your {suite.runs_per_day} autograder runs for today on this "
                f"assignment. Your submission is kept and will be reviewed. Runs start again at midnight "
                f"({assignment.course.timezone})."
            ]
            job.save()
        else:
            job.save()
            _dispatch(job)
        audit_record(
            actor=submission.student, action="grading_enqueue", course=assignment.course, target=job, state=job.state
        )
    return job


def _enqueue_rerun(
    *, submission: Submission, attempt: int, suite: Suite, by: User | None, rerun: Rerun | None = None
) -> GradingJob:
    """A staff-requested attempt (rerun of everyone, or "grade again" of one), sent at the lowest priority.

    Its trigger is RERUN, so it never counts against the student's daily runs (runs_used_today counts submissions).
    Call inside a transaction that holds the assignment's row lock, so attempt numbers cannot collide.
    """
    # A GPU suite needs a GPU worker: it reruns on the gpu queue, at the lowest message priority.
    queue = Queue.RERUN if suite.queue == Queue.CPU else Queue.GPU
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
    """Grade everyone's latest submission again with the active suite, on the lowest-priority queue."""
    with transaction.atomic():
        Assignment.objects.select_for_update().get(pk=assignment.pk)
        suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise ValidationError("Upload a suite before rerunning.", code="no_suite")
        submissions = list(
            Submission.objects.filter(assignment=assignment, is_latest=True)
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


def grading_trial(*, assignment: Assignment, upload: File, by: User | None) -> GradingJob:
    """Grade the staff's sample solution (.py, .ipynb or .zip) with the active suite, before releasing it."""
    suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
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
            requested_by=by,
            queue=suite.queue,
        )
        _dispatch(job)
        audit_record(actor=by, action="grading_trial", course=assignment.course, target=job, file=name)
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
        job.save(update_fields=["tries", "state", "running_at", "worker", "heartbeat_at"])
    return job


def job_heartbeat(*, job_id: int, dispatch: int) -> bool:
    """The running worker is alive; False when the job was taken from it (the watchdog re-queued it)."""
    return bool(
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.RUNNING).update(heartbeat_at=timezone.now())
    )


def job_record_test(*, job_id: int, dispatch: int, position: int, test: dict[str, Any]) -> TestResult | None:
    """Store one test's result as soon as it finishes; the same test again updates its row."""
    if not job_heartbeat(job_id=job_id, dispatch=dispatch):
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
        job.save()
    return job


FAULT_FILE = "file"  # workers.judge.judge.FAULT_FILE (the judge's module runs in the grading runtime)
UNGRADABLE = "ungradable"


def _fail(job: GradingJob, note: str) -> None:
    """Give up on a job the platform could not run: not counted; the student reads a plain note, staff the why."""
    job.state, job.error_at, job.outcome = State.ERROR, timezone.now(), "infrastructure_error"
    job.notes = [
        *job.notes,
        "The autograder itself failed on every try. This is not counted against you; staff will look at it.",
    ]
    job.staff_notes = [*job.staff_notes, note]
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


def jobs_watchdog(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Take over the jobs whose worker died (stale heartbeat), and send again the ones the broker never got."""
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
    return {"taken_over": taken, "resent": resent}
