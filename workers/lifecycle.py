"""Every state change of a grading job, in one place: the table of allowed moves, the one check that a worker's
message is still current (its dispatch number), and an audit row for each move.

    (new)     -> received (enqueue) | skipped (over the daily limit)
    received  -> queued (sent to the broker) | running (claim) | skipped (superseded) | error (fail) | received (resend)
    queued    -> running (claim) | received (broker down, promote) | skipped (superseded) | error (fail)
    running   -> finished (finish, give up counted) | error (fail) | received (retry, watchdog take-over)
                 | running (take-over by a claim)
    finished, error, skipped: final

Each dispatch to the broker gets a new number (`GradingJob.dispatch`); a message with an older number is stale, and
every worker-side step (claim, heartbeat, record a test, finish, retry) is then a no-op (`_current`). The task is
sent by its name, so this module never imports workers.tasks (which calls in here).
"""

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from celery import current_app, signature
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assignments.models import Assignment, Submission
from coursesite.audit import audit_record
from coursesite.models import Course, User
from workers.judge.redact import Redactor

from . import conf, lanes
from .models import GradingJob, Rerun, Suite, TestResult
from .results import FAULT_FILE, FAULT_SUITE, Outcome, Status

log = logging.getLogger(__name__)

State = GradingJob.State
GRADE_TASK = "workers.grade"  # workers.tasks.grade

TRANSITIONS: dict[State | None, frozenset[State]] = {
    None: frozenset({State.RECEIVED, State.SKIPPED}),
    State.RECEIVED: frozenset({State.RECEIVED, State.QUEUED, State.RUNNING, State.SKIPPED, State.ERROR}),
    State.QUEUED: frozenset({State.RECEIVED, State.RUNNING, State.SKIPPED, State.ERROR}),
    State.RUNNING: frozenset({State.RECEIVED, State.RUNNING, State.FINISHED, State.ERROR}),
    State.FINISHED: frozenset(),
    State.ERROR: frozenset(),
    State.SKIPPED: frozenset(),
}


class TransitionError(RuntimeError):
    """A move the table does not allow: a bug of the caller, never a stale message (those are no-ops)."""


def _move(job: GradingJob, to: State) -> None:
    """Set the job's state after checking the table (a job not saved yet comes from None)."""
    current = State(job.state) if job.pk is not None else None
    if to not in TRANSITIONS[current]:
        raise TransitionError(f"grading job {job.pk}: {current} -> {to} is not allowed")
    job.state = to


def _current(job: GradingJob | None, dispatch: int | None) -> bool:
    """THE dispatch and finality check: the job exists, has not ended, and this message is its latest dispatch
    (`dispatch` None: whichever)."""
    return job is not None and not job.is_final and (dispatch is None or job.dispatch == dispatch)


def _locked(job_id: int) -> GradingJob | None:
    """The job, its row locked (not its suite's, assignment's or course's), with what its audit rows name."""
    return (
        GradingJob.objects.select_for_update(of=("self",))
        .select_related("suite__assignment__course")
        .filter(pk=job_id)
        .first()
    )


def _audit(job: GradingJob, verb: str, *, actor: User | None = None, **data: Any) -> None:
    audit_record(actor=actor, action=f"job.{verb}", course=job.suite.assignment.course, target=job, **data)


# --- the daily limit ----------------------------------------------------------------------------------------------


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
        .exclude(outcome=Outcome.INFRASTRUCTURE_ERROR)
        .count()
    )


# --- to the broker ------------------------------------------------------------------------------------------------


def _send(job_id: int, dispatch: int, queue: str, priority: int, countdown: float = 0) -> None:
    """Hand the job to the broker (received -> queued); if the broker is down the job stays received and the
    watchdog sends it again."""
    now = timezone.now()
    GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.RECEIVED).update(
        state=State.QUEUED, queued_at=now, version=F("version") + 1
    )
    try:
        task = signature(GRADE_TASK, args=(job_id, dispatch), app=current_app)
        if countdown:
            task.apply_async(queue=queue, priority=priority, countdown=countdown)
        else:
            task.apply_async(queue=queue, priority=priority)
    except Exception:  # the broker is unreachable: leave the job for the watchdog
        log.exception("could not send grading job %s to the broker", job_id)
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.QUEUED).update(
            state=State.RECEIVED, queued_at=None, version=F("version") + 1
        )


def _dispatch(job: GradingJob, *, countdown: float = 0) -> None:
    """Give the job a new dispatch number (-> received) and send it after the transaction commits."""
    _move(job, State.RECEIVED)
    job.dispatch += 1
    job.version += 1
    job.save(update_fields=["dispatch", "state", "queue", "version"])
    priority = lanes.PRIORITY[lanes.class_of(job.queue)]
    args = (job.pk, job.dispatch, job.queue, priority, countdown)
    transaction.on_commit(lambda: _send(*args))


def job_enqueue(job: GradingJob) -> GradingJob:
    """A new job (a staff rerun or trial) stored and sent. Call inside a transaction."""
    _move(job, State.RECEIVED)
    job.save()
    _dispatch(job)
    return job


# --- a submission arrives -----------------------------------------------------------------------------------------


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
            _move(job, State.SKIPPED)
            job.notes = [
                f"Not auto-graded: you have used your {suite.runs_per_day} autograder runs for today on this "
                f"assignment. Your submission is kept and will be reviewed. Runs start again at midnight "
                f"({assignment.course.timezone})."
            ]
            job.save()
        else:
            job.queue = lanes.queue_for(lanes.hardware_of(suite.queue), _class_after(earlier))
            job_enqueue(job)
            superseded = _supersede(earlier=earlier, by=job, course=assignment.course)  # only by a run that will happen
        audit_record(
            actor=submission.student,
            action="job.enqueue" if job.state != State.SKIPPED else "job.skip",
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


def _supersede(*, earlier: list[GradingJob], by: GradingJob, course: Course) -> list[int]:
    """The older runs still waiting end as superseded and never run (a running one finishes normally). They do
    not count against the daily runs (state SKIPPED). The rows are locked, so a worker cannot claim one meanwhile."""
    waiting = [job for job in earlier if job.state in GradingJob.WAITING_STATES]
    for job in waiting:
        _move(job, State.SKIPPED)  # checked here; written below in one UPDATE
    ids = [job.pk for job in waiting]
    if ids:
        GradingJob.objects.filter(pk__in=ids, state__in=GradingJob.WAITING_STATES).update(
            state=State.SKIPPED,
            outcome=Outcome.SUPERSEDED,
            superseded_by=by,
            finished_at=timezone.now(),
            notes=["Superseded by a newer submission: only your latest submission is graded. Not counted."],
            version=F("version") + 1,
        )
        student = by.submission.student if by.submission is not None else None
        for job_id in ids:
            target = GradingJob(pk=job_id)
            audit_record(actor=student, action="job.supersede", course=course, target=target, superseded_by=by.pk)
    return ids


def job_new_attempt(
    *, submission: Submission, attempt: int, suite: Suite, by: User | None, rerun: Rerun | None = None
) -> GradingJob:
    """A staff-requested attempt (rerun of everyone, or "grade again" of one), sent at the lowest priority.

    Its trigger is RERUN, so it never counts against the student's daily runs (runs_used_today counts submissions).
    Call inside a transaction that holds the assignment's row lock, so attempt numbers cannot collide.
    """
    queue = lanes.queue_for(lanes.hardware_of(suite.queue), lanes.STAFF)
    job = GradingJob(
        submission=submission,
        attempt=attempt,
        suite=suite,
        trigger=GradingJob.Trigger.RERUN,
        rerun=rerun,
        requested_by=by,
        queue=queue,
    )
    return job_enqueue(job)


# --- the worker's side --------------------------------------------------------------------------------------------


def job_claim(*, job_id: int, dispatch: int, worker: str) -> GradingJob | None:
    """Mark the job running on `worker`; None when the message is stale, the job is done, or another worker has it."""
    now = timezone.now()
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or not _current(job, dispatch):
            return None
        fresh = job.heartbeat_at and job.heartbeat_at > now - dt.timedelta(seconds=conf.stale_after_s())
        if job.state == State.RUNNING and fresh and job.worker != worker:
            return None  # a duplicate delivery while its first worker is alive
        job.tries += 1
        if job.tries > conf.max_tries():
            _fail(job, "the autograder failed on every try; staff have been told (this is not counted against you)")
            return None
        job.results.all().delete()  # a take-over starts the tests afresh
        _move(job, State.RUNNING)
        job.running_at, job.worker, job.heartbeat_at = now, worker, now
        job.version += 1
        job.save(update_fields=["tries", "state", "running_at", "worker", "heartbeat_at", "version"])
        _audit(job, "claim", worker=worker, tries=job.tries)
    return job


def job_heartbeat(*, job_id: int, dispatch: int, changed: bool = False) -> bool:
    """The running worker is alive; False when the job was taken from it (the watchdog re-queued it). Not a move
    (the state stays running), so not audited."""
    bump = {"version": F("version") + 1} if changed else {}
    return bool(
        GradingJob.objects.filter(pk=job_id, dispatch=dispatch, state=State.RUNNING).update(
            heartbeat_at=timezone.now(), **bump
        )
    )


def job_record_test(*, job_id: int, dispatch: int, position: int, test: Mapping[str, Any]) -> TestResult | None:
    """Store one test's result (a results.TestRecord) as soon as it finishes; the same test again updates its row."""
    if not job_heartbeat(job_id=job_id, dispatch=dispatch, changed=True):
        return None
    result, _ = TestResult.objects.update_or_create(
        job_id=job_id,
        name=str(test.get("name") or f"test {position + 1}")[:300],
        defaults={
            "position": position,
            "status": str(test.get("status") or Status.ERROR)[:10],
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


def job_finish(
    *, job_id: int, dispatch: int, result: Mapping[str, Any], figures: list[dict[str, str]]
) -> GradingJob | None:
    """Record the judge's final result (a results.GradeResult; running -> finished); an infrastructure error is
    retried instead."""
    if result.get("outcome") == Outcome.INFRASTRUCTURE_ERROR and result.get("infrastructure_fault") == FAULT_SUITE:
        return _fail_suite(job_id=job_id, dispatch=dispatch, result=result)
    if result.get("outcome") == Outcome.INFRASTRUCTURE_ERROR:
        details = [str(n) for n in result.get("staff_notes") or []] or [str(n) for n in result.get("notes") or []]
        return job_retry_or_fail(
            job_id=job_id,
            dispatch=dispatch,
            note="; ".join(details)[-4000:] or "judge failed",
            about_the_file=result.get("infrastructure_fault") == FAULT_FILE,
        )
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or not _current(job, dispatch):
            return None
        _move(job, State.FINISHED)
        job.finished_at = timezone.now()
        job.outcome = str(result.get("outcome") or "")[:32]
        job.score = float(result.get("score") or 0)
        job.max_score = float(result.get("max_score") or 0)
        job.notes = [_public(n) for n in result.get("notes") or []]
        job.staff_notes = [*job.staff_notes, *(str(n) for n in result.get("staff_notes") or [])]
        job.figures = figures
        job.version += 1
        job.save()
        _audit(job, "finish", outcome=job.outcome, score=job.score, max_score=job.max_score)
    return job


def _fail_suite(*, job_id: int, dispatch: int, result: Mapping[str, Any]) -> GradingJob | None:
    """The suite is broken (a test file with a SyntaxError, tests pytest cannot collect): the same on every try and
    every worker, so the job ends at once, never counted. Staff read every problem, with its file and line."""
    problems = [str(p) for p in result.get("suite_problems") or []] or [str(result.get("infrastructure") or "")]
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or not _current(job, dispatch):
            return None
        words = f"Suite version {job.suite.version} cannot run: " + "; ".join(problems)
        _move(job, State.ERROR)
        job.error_at, job.outcome = timezone.now(), Outcome.INFRASTRUCTURE_ERROR
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
        _audit(job, "fail", fault=FAULT_SUITE)
    log.error("grading job %s: the suite cannot run: %s", job_id, words)
    return job


def _fail(job: GradingJob, note: str) -> None:
    """Give up on a job the platform could not run: not counted; the student reads a plain note, staff the why."""
    _move(job, State.ERROR)
    job.error_at, job.outcome = timezone.now(), Outcome.INFRASTRUCTURE_ERROR
    job.notes = [
        *job.notes,
        "The autograder itself failed on every try. This is not counted against you; staff will look at it.",
    ]
    job.staff_notes = [*job.staff_notes, note]
    job.version += 1
    job.save()
    _audit(job, "fail", tries=job.tries)
    log.error("grading job %s failed for good: %s", job.pk, note)


def _give_up_counted(job: GradingJob) -> None:
    """Every try ended in an infrastructure error the judge reported about this file: it ends as graded
    (nothing earned), and counts against the student's daily runs."""
    _move(job, State.FINISHED)
    job.finished_at, job.outcome = timezone.now(), Outcome.UNGRADABLE
    job.score, job.max_score = 0.0, job.suite.max_score
    job.notes = [
        *job.notes,
        f"The autograder could not grade this file: the grader itself failed on it on each of its {job.tries} "
        "tries. This run counts against your daily autograder runs. Check that your file imports and "
        "runs on your own computer, and submit again; the teachers can see the details.",
    ]
    job.version += 1
    job.save()
    _audit(job, "give_up", tries=job.tries)
    log.warning("grading job %s: ungradable file after %s tries (counted)", job.pk, job.tries)


def job_retry_or_fail(
    *, job_id: int, dispatch: int | None, note: str, about_the_file: bool = False, verb: str = "retry"
) -> GradingJob | None:
    """An infrastructure problem: run the job again later (-> received), or give up after the last try.

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
        job = _locked(job_id)
        if job is None or not _current(job, dispatch):
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
            _audit(job, verb, tries=job.tries, about_the_file=about_the_file)
    return job


# --- the watchdog -------------------------------------------------------------------------------------------------


def jobs_orphaned(*, worker: str) -> int:
    """A worker (re)started under `worker`'s name: the jobs still marked running by that name lost their process
    when it stopped (a worker runs its jobs in its own pool), so they go back to the queue now instead of after the
    watchdog's GRADING_STALE_AFTER_S. Two live workers must not share a name (Celery warns of it): if they do, the
    other's job runs again and its first run's result is dropped as stale. The number of jobs taken back."""
    taken = 0
    for job_id, dispatch in GradingJob.objects.filter(state=State.RUNNING, worker=worker).values_list("pk", "dispatch"):
        note = "the worker running it was restarted"
        if job_retry_or_fail(job_id=job_id, dispatch=dispatch, note=note, verb="requeue"):
            taken += 1
    return taken


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
            job = _locked(job_id)
            if job is None or job.state != State.QUEUED:
                continue
            lane = lanes.LANES[lanes.hardware_of(job.queue)]
            job.queue = lane[lane.index(job.queue) - 1]
            _dispatch(job)
            _audit(job, "promote", queue=job.queue)
            promoted += 1
    return promoted


def jobs_watchdog(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Take over the jobs whose worker died (stale heartbeat), send again the ones the broker never got, and move
    up the jobs that waited too long (jobs_promote_aged)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=conf.stale_after_s())
    unsent = now - dt.timedelta(seconds=conf.resend_after_s())
    taken = resent = 0
    for job_id, dispatch in GradingJob.objects.filter(state=State.RUNNING, heartbeat_at__lt=stale).values_list(
        "pk", "dispatch"
    ):
        note = "the worker running it stopped answering"
        if job_retry_or_fail(job_id=job_id, dispatch=dispatch, note=note, verb="requeue"):
            taken += 1
    # A job is RECEIVED only between its commit and the broker's answer (milliseconds) or after the broker refused it:
    # one still RECEIVED a few seconds on was never sent. Sending it again makes its old dispatch stale, so a message
    # that did get through is dropped, not run twice.
    for job_id in GradingJob.objects.filter(state=State.RECEIVED, received_at__lt=unsent).values_list("pk", flat=True):
        with transaction.atomic():
            locked = _locked(job_id)
            if locked is not None and locked.state == State.RECEIVED:
                _dispatch(locked)
                _audit(locked, "resend")
                resent += 1
    return {"taken_over": taken, "resent": resent, "promoted": jobs_promote_aged(now=now)}
