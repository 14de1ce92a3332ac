"""The autograder's public services: suites (upload, activate, the daily runs), reruns, trials, workers' pulse.

Each takes the acting user and asks workers.access first. A job's own moves (enqueue, claim, finish, retry, ...)
are workers.lifecycle's; the names below re-export them for the callers that import them from here.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assignments.models import Assignment, Submission
from assignments.selectors import counting
from coursesite.audit import audit_record
from coursesite.errors import Refused
from coursesite.models import User
from coursesite.uploads import MB, check_size, store_by_hash
from workers.judge.suite import SuiteError, load_suite

from . import access, conf, runtimes
from .archives import ArchiveError, safe_extract, suite_root
from .fetch import store_figures as job_store_figures
from .lifecycle import (
    day_bounds,
    grading_enqueue_submission,
    job_claim,
    job_enqueue,
    job_finish,
    job_heartbeat,
    job_new_attempt,
    job_record_test,
    job_retry_or_fail,
    jobs_orphaned,
    jobs_promote_aged,
    jobs_watchdog,
    runs_used_today,
)
from .models import DEFAULT_RUNS_PER_DAY, MAX_RUNS_PER_DAY, MIN_RUNS_PER_DAY, GradingJob, Rerun, Suite, WorkerHeartbeat

__all__ = [
    "day_bounds",
    "grading_enqueue_submission",
    "grading_rerun_all",
    "grading_trial",
    "job_claim",
    "job_finish",
    "job_heartbeat",
    "job_record_test",
    "job_rerun",
    "job_retry_or_fail",
    "job_store_figures",
    "jobs_promote_aged",
    "jobs_orphaned",
    "jobs_watchdog",
    "runs_used_today",
    "suite_activate",
    "suite_read_folder",
    "suite_set_runs_per_day",
    "suite_upload",
    "worker_pulse",
]

log = logging.getLogger(__name__)

SUITE_MAX_BYTES = 300 * MB
TRIAL_MAX_BYTES = 50 * MB
TRIAL_SUFFIXES = (".py", ".ipynb", ".zip")


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
    """Validate an unpacked suite with the judge's own loader; a Refused lists every problem."""
    try:
        suite = load_suite(folder)
    except SuiteError as error:
        raise Refused(["The suite was refused:", *error.problems], code="bad_suite") from error
    runtime_problems = _runtime_syntax_errors(suite.tests_dir, suite.runtime)
    if runtime_problems:
        raise Refused(["The suite was refused:", *runtime_problems], code="bad_suite")
    expected = f"{assignment.course.code}/{assignment.number}"
    if suite.assignment != expected:
        raise Refused(
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


def _check_runs_per_day(runs_per_day: int) -> None:
    """The one rule for the daily runs a suite allows (the API's serializer names the same bounds)."""
    if not MIN_RUNS_PER_DAY <= runs_per_day <= MAX_RUNS_PER_DAY:
        raise Refused(f"Runs per day must be between {MIN_RUNS_PER_DAY} and {MAX_RUNS_PER_DAY}.", code="bad_limit")


def suite_upload(
    *, assignment: Assignment, upload: File[Any] | None, by: User, runs_per_day: int | None = None
) -> Suite:
    """Store a new version of the assignment's suite (a zip) as a draft: students are graded by it only once it is
    activated (suite_activate), so it can be tried first. Nothing is stored on refusal."""
    access.require_suite_manager(user=by, course=assignment.course)
    if upload is None:
        raise Refused("Choose the suite's zip file first.", code="no_file")
    check_size(upload, max_bytes=SUITE_MAX_BYTES, what="suite zip")  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="suite-upload-") as scratch:
        upload.seek(0)
        try:
            safe_extract(cast(IO[bytes], upload), Path(scratch))  # a File reads like one
            root = suite_root(Path(scratch))
        except ArchiveError as error:
            raise Refused(str(error), code="bad_zip") from error
        finally:
            upload.seek(0)
        summary = suite_read_folder(folder=root, assignment=assignment)
    if runs_per_day is not None:
        _check_runs_per_day(runs_per_day)
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
            runs_per_day=runs_per_day or (previous.runs_per_day if previous else DEFAULT_RUNS_PER_DAY),
        )
        suite.full_clean()
        suite.save()
        audit_record(
            actor=by,
            action="suite.upload",
            course=locked.course,
            target=suite,
            version=suite.version,
            sha256=suite.sha256,
            draft=True,
        )
    return suite


def suite_activate(*, suite: Suite, by: User) -> Suite:
    """Make this version the one that grades students' new submissions (a draft, or an earlier version again).

    Work already graded keeps its result; the page then offers "rerun everyone" with this version."""
    access.require_suite_manager(user=by, course=suite.assignment.course)
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
            action="suite.activate",
            course=suite.assignment.course,
            target=suite,
            version=suite.version,
            previous=current.version if current is not None else None,
        )
    return suite


def suite_set_runs_per_day(*, assignment: Assignment, runs_per_day: int, by: User) -> Suite:
    access.require_suite_manager(user=by, course=assignment.course)
    _check_runs_per_day(runs_per_day)
    with transaction.atomic():
        suite = Suite.objects.select_for_update().filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise Refused("Upload a suite first.", code="no_suite")
        suite.runs_per_day = runs_per_day
        suite.save(update_fields=["runs_per_day"])
        audit_record(
            actor=by, action="suite.set_runs_per_day", course=assignment.course, target=suite, runs=runs_per_day
        )
    return suite


def grading_rerun_all(*, assignment: Assignment, by: User) -> Rerun:
    """Grade everyone's submission that counts (their latest, or the one they chose) again with the active suite, on
    the lowest-priority queue."""
    access.require_suite_manager(user=by, course=assignment.course)
    with transaction.atomic():
        Assignment.objects.select_for_update().get(pk=assignment.pk)
        suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise Refused("Upload a suite before rerunning.", code="no_suite")
        submissions = list(
            Submission.objects.filter(counting(), assignment=assignment)
            .annotate(last_attempt=Max("grading_jobs__attempt"))
            .order_by("pk")
        )
        rerun = Rerun.objects.create(assignment=assignment, suite=suite, requested_by=by, total=len(submissions))
        for submission in submissions:
            attempt = (getattr(submission, "last_attempt", None) or 0) + 1
            job_new_attempt(submission=submission, attempt=attempt, suite=suite, by=by, rerun=rerun)
        audit_record(actor=by, action="suite.rerun_all", course=assignment.course, target=rerun, total=rerun.total)
    return rerun


def job_rerun(*, submission: Submission, by: User) -> GradingJob:
    """Staff's "grade again" of one submission: a new attempt with the active suite, like a rerun of everyone.

    For an infrastructure error, a fixed suite, a skipped run or a student who asks; never counted against the
    student's daily runs. Refused while the submission's latest run has not ended, so a double click grades once.
    """
    access.require_grading_staff(user=by, course=submission.assignment.course)
    with transaction.atomic():
        # The lock rerun-all takes: the two cannot give the same submission the same attempt number.
        assignment = Assignment.objects.select_for_update().select_related("course").get(pk=submission.assignment_id)
        suite = Suite.objects.filter(assignment=assignment, is_active=True).first()
        if suite is None:
            raise Refused(
                "This assignment has no autograder suite: upload one before grading a submission again.",
                code="no_suite",
            )
        latest = GradingJob.objects.filter(submission=submission).order_by("-attempt").first()
        if latest is not None and not latest.is_final:
            raise Refused(
                f"Autograder run {latest.attempt} of this submission has not ended yet; wait for its result.",
                code="in_progress",
            )
        attempt = (latest.attempt if latest else 0) + 1
        job = job_new_attempt(submission=submission, attempt=attempt, suite=suite, by=by)
        audit_record(
            actor=by,
            action="job.rerun",
            course=assignment.course,
            target=job,
            submission=submission.pk,
            attempt=job.attempt,
            suite_version=suite.version,
        )
    return job


def grading_trial(
    *, assignment: Assignment, upload: File[Any] | None, by: User, version: int | None = None
) -> GradingJob:
    """Grade the staff's sample solution (.py, .ipynb or .zip) with one version of the suite (a draft too; by
    default the live one, else the newest), before students are graded by it."""
    access.require_suite_manager(user=by, course=assignment.course)
    if upload is None:
        raise Refused("Choose a sample solution (.py, .ipynb or .zip) first.", code="no_file")
    versions = Suite.objects.filter(assignment=assignment)
    if version is not None:
        suite = versions.filter(version=version).first()
        if suite is None:
            raise Refused(f"This assignment has no suite version {version}.", code="no_version")
    else:
        suite = versions.filter(is_active=True).first() or versions.order_by("-version").first()
    if suite is None:
        raise Refused("Upload a suite first, then try it on a sample solution.", code="no_suite")
    name = Path(getattr(upload, "name", "") or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in TRIAL_SUFFIXES:
        raise Refused("Upload a .py, .ipynb or .zip file.", code="bad_type")
    check_size(upload, max_bytes=TRIAL_MAX_BYTES, what="sample solution")  # type: ignore[arg-type]
    stored = store_by_hash(upload, folder="suite-trials", extension=suffix)
    with transaction.atomic():
        job = job_enqueue(
            GradingJob(
                submission=None,
                suite=suite,
                trigger=GradingJob.Trigger.TRIAL,
                trial_file=stored.name,
                trial_name=name[:200],
                requested_by=by,
                queue=suite.queue,
            )
        )
        audit_record(
            actor=by, action="suite.try", course=assignment.course, target=job, file=name, version=suite.version
        )
    return job


def worker_pulse(*, hostname: str, queues: list[str], slots: int) -> None:
    """A worker is alive on these queues (one row per queue, updated in place)."""
    now = timezone.now()
    for queue in queues:
        WorkerHeartbeat.objects.update_or_create(
            hostname=hostname, queue=queue, defaults={"seen_at": now, "slots": slots}
        )
