"""Autograder records: worker heartbeats, reference suites (versioned), grading jobs and per-test results."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import lanes
from .results import OUTCOME_WORDS, Outcome


class WorkerHeartbeat(models.Model):
    """Last time a worker on a queue answered, so staff can see that grading is alive."""

    hostname = models.CharField(max_length=200)
    queue = models.CharField(max_length=32)
    seen_at = models.DateTimeField()
    slots = models.PositiveSmallIntegerField(default=1, help_text="Jobs the worker runs at once (its concurrency).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hostname", "queue"], name="one_heartbeat_per_worker_queue")]

    def __str__(self) -> str:
        return f"{self.hostname} on {self.queue} at {self.seen_at:%H:%M:%S}"


class Queue(models.TextChoices):
    """In priority order per hardware (workers.lanes): first runs, students' re-runs, staff reruns."""

    CPU = lanes.CPU, "CPU"
    CPU_AGAIN = lanes.CPU_AGAIN, "CPU, re-runs"
    RERUN = lanes.RERUN, "Rerun (lowest priority)"
    GPU = lanes.GPU, "GPU"
    GPU_AGAIN = lanes.GPU_AGAIN, "GPU, re-runs"
    GPU_RERUN = lanes.GPU_RERUN, "GPU rerun (lowest priority)"


class Visibility(models.TextChoices):
    VISIBLE = "visible", "Visible"  # students see everything
    HIDDEN = "hidden", "Hidden"  # students see the name and pass/fail only
    SECRET = "secret", "Secret"  # students see nothing of it (the score still counts it)


DEFAULT_RUNS_PER_DAY = 10
MIN_RUNS_PER_DAY, MAX_RUNS_PER_DAY = 1, 1000  # the one rule (workers.services._check_runs_per_day, the API)


class Suite(models.Model):
    """One uploaded version of an assignment's reference suite (a zip of suite.toml, tests/, public_data/, ...)."""

    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.CASCADE, related_name="suites")
    version = models.PositiveIntegerField()
    archive = models.FileField(max_length=300, help_text="The suite's zip, in the storage (named by its hash).")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Uploads arrive as drafts (workers.services.suite_upload); activating one is its own step.
    is_active = models.BooleanField(default=True, help_text="The version that grades new submissions.")
    # What load_suite read from suite.toml, kept so pages never unpack the zip.
    name = models.CharField(max_length=200)
    queue = models.CharField(max_length=8, choices=[(Queue.CPU, "CPU"), (Queue.GPU, "GPU")], default=Queue.CPU)
    required = models.JSONField(default=list)
    # The grading runtime the suite names (workers.runtimes); suites uploaded before there was a choice ran in
    # the one with torch, and stay there.
    runtime = models.CharField(max_length=40, default="python3.12")
    functions = models.JSONField(default=dict, help_text="{name: {signature, call, aliases}} as suite.toml declares")
    limits = models.JSONField(default=dict)
    tests = models.JSONField(default=dict, help_text="{test name: {points, visibility}}")
    max_score = models.FloatField(default=0)
    runs_per_day = models.PositiveSmallIntegerField(
        default=DEFAULT_RUNS_PER_DAY, help_text="Autograder runs per student per day for this assignment."
    )

    class Meta:
        ordering = ["assignment", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "version"], name="one_suite_version_per_assignment"),
            models.UniqueConstraint(
                fields=["assignment"], condition=models.Q(is_active=True), name="one_active_suite_per_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} suite v{self.version}"


class Rerun(models.Model):
    """The instructor's request to grade everyone's latest submission again (after changing the suite)."""

    assignment = models.ForeignKey("assignments.Assignment", on_delete=models.CASCADE, related_name="reruns")
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="reruns")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    requested_at = models.DateTimeField(default=timezone.now)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Rerun of {self.assignment} with v{self.suite.version}"


class GradingJob(models.Model):
    """One autograder run of a submission (or of the instructor's trial file) against one suite version."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        ERROR = "error", "Error"  # infrastructure failed for good; never counted against the student
        SKIPPED = "skipped", "Not auto-graded"  # over the daily limit; the submission still goes to review

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", "Submission"
        RERUN = "rerun", "Rerun by staff"
        TRIAL = "trial", "Trial of the suite by staff"

    Outcome = Outcome  # workers.results.Outcome: GradingJob.Outcome.INFRASTRUCTURE_ERROR, ...

    FINAL_STATES = (State.FINISHED, State.ERROR, State.SKIPPED)
    WAITING_STATES = (State.RECEIVED, State.QUEUED)
    SUPERSEDED = Outcome.SUPERSEDED  # the outcome (state SKIPPED) of a queued run replaced by a newer submission

    submission = models.ForeignKey(
        "assignments.Submission", null=True, blank=True, on_delete=models.CASCADE, related_name="grading_jobs"
    )
    attempt = models.PositiveSmallIntegerField(default=1, help_text="1 for the submission itself, +1 per rerun.")
    suite = models.ForeignKey(Suite, on_delete=models.PROTECT, related_name="jobs")
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.SUBMISSION)
    rerun = models.ForeignKey(Rerun, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    trial_file = models.FileField(max_length=300, blank=True, help_text="The staff's sample solution (trials).")
    trial_name = models.CharField(max_length=200, blank=True, help_text="The sample solution's file name (trials).")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue = models.CharField(max_length=16, choices=Queue.choices, default=Queue.CPU)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    # Each dispatch to the broker gets a new number; a message with an older number is stale and ignored.
    dispatch = models.PositiveIntegerField(default=0)
    tries = models.PositiveSmallIntegerField(default=0, help_text="Runs started (infrastructure errors retry).")
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=32, blank=True, choices=[(outcome.value, OUTCOME_WORDS[outcome]) for outcome in Outcome]
    )
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="What the student reads (no tracebacks, no paths).")
    staff_notes = models.JSONField(
        default=list, blank=True, help_text="Staff only: the full details of failures (tracebacks, hosts, each try)."
    )
    file_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Tries that ended in an infrastructure error the judge reported about this file."
    )
    figures = models.JSONField(
        default=list, blank=True, help_text="Storage names of the judge's figures, each with its test's visibility."
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The newer run."
    )
    # +1 on every change a viewer of the job would see: the results page's conditional poll compares it.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "attempt"], name="one_job_per_submission_attempt"),
        ]
        indexes = [models.Index(fields=["state", "queue", "queued_at"], name="workers_job_queue_idx")]

    def __str__(self) -> str:
        return f"Grading job {self.pk} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def counts_for_student(self) -> bool:
        """Only a real result counts (an ungradable file too); infrastructure errors and skipped runs never do."""
        return self.state == self.State.FINISHED and self.outcome != Outcome.INFRASTRUCTURE_ERROR

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASSED

    @property
    def superseded(self) -> bool:
        return self.state == self.State.SKIPPED and self.outcome == Outcome.SUPERSEDED


class TestResult(models.Model):
    """One test of one grading job, written as soon as the judge reports it."""

    job = models.ForeignKey(GradingJob, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=300)
    status = models.CharField(max_length=10)  # a workers.results.Status
    reason = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True, help_text="What the student may read (visible tests).")
    details = models.TextField(blank=True, help_text="Staff only: the judge's traceback and unredacted text.")
    points = models.FloatField(default=0)
    max_points = models.FloatField(default=0)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.VISIBLE)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["job", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["job", "name"], name="one_result_per_job_test")]

    __test__ = False  # not a pytest class

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"
