"""Assignments, per-student extensions, submissions (code zip + PDF report), reviews and regrade requests."""

import datetime as dt
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from coursesite.models import Course


class Assignment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    released_at = models.DateTimeField(help_text="Invisible to students before this moment.")
    deadline_at = models.DateTimeField(help_text="Soft deadline: later work is accepted and marked late.")
    bonus_max = models.PositiveSmallIntegerField(default=0, help_text="Most bonus points a review can give.")
    regrade_window_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days after a review during which the student may ask for a regrade."
    )
    handout = models.FileField(blank=True, max_length=300, help_text="The handout students download.")
    handout_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="one_assignment_number_per_course"),
            models.CheckConstraint(
                condition=models.Q(deadline_at__gt=models.F("released_at")), name="deadline_after_release"
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.number}: {self.title}"

    def clean(self) -> None:
        if self.released_at and self.deadline_at and self.deadline_at <= self.released_at:
            raise ValidationError({"deadline_at": "The deadline must come after the release."})

    def is_released(self, now: dt.datetime | None = None) -> bool:
        return self.released_at <= (now or timezone.now())


class Extension(models.Model):
    """A later deadline for one student; work before it is on time."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions")
    deadline_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student"], name="one_extension_per_student_assignment")
        ]

    def __str__(self) -> str:
        return f"Extension for {self.student} on {self.assignment} until {self.deadline_at:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    """One upload of code (always one zip archive) and a PDF report; one per student counts (is reviewed): the latest,
    unless the student chose an earlier one before its review started (`chosen_at`)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    submitted_at = models.DateTimeField(default=timezone.now)
    is_late = models.BooleanField(default=False)
    code = models.FileField(max_length=300, help_text="Storage name of the zip archive of the student's code.")
    code_sha256 = models.CharField(max_length=64)
    code_size = models.PositiveBigIntegerField(default=0)
    report = models.FileField(max_length=300, help_text="Storage name of the PDF report.")
    report_sha256 = models.CharField(max_length=64)
    report_name = models.CharField(max_length=200, blank=True)
    is_latest = models.BooleanField(default=True)
    # Set on an earlier submission the student chose to count instead of the latest; a new submission clears it.
    chosen_at = models.DateTimeField(null=True, blank=True)
    # The review claim: a TA takes a submission so no other TA reviews it.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_submissions"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "student"],
                condition=models.Q(is_latest=True),
                name="one_latest_submission_per_student",
            ),
            models.UniqueConstraint(
                fields=["assignment", "student"],
                condition=models.Q(chosen_at__isnull=False),
                name="one_chosen_submission_per_student",
            ),
        ]
        indexes = [
            models.Index(fields=["assignment", "is_latest", "is_late", "submitted_at"]),
            models.Index(fields=["student", "assignment"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.assignment} at {self.submitted_at:%Y-%m-%d %H:%M}"

    @property
    def counts(self) -> bool:
        """Is this the submission that is reviewed: the one the student chose, else their latest?"""
        if self.chosen_at is not None:
            return True
        if not self.is_latest:
            return False
        siblings = Submission.objects.filter(assignment_id=self.assignment_id, student_id=self.student_id)
        return not siblings.filter(chosen_at__isnull=False).exists()

    def code_files(self) -> list[str]:
        """Names of the files in the code archive (directories left out)."""
        with self.code.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            return [info.filename for info in archive.infolist() if not info.is_dir()]


class Review(models.Model):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    passed = models.BooleanField()
    bonus = models.PositiveSmallIntegerField(default=0)
    feedback = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{'Pass' if self.passed else 'Fail'} +{self.bonus} for {self.submission}"

    @property
    def answered_regrade(self) -> "RegradeRequest | None":
        regrade = getattr(self, "regrade", None)
        return regrade if regrade is not None and regrade.answered_at is not None else None

    @property
    def final_passed(self) -> bool:
        """The outcome after a regrade answer, if any."""
        regrade = self.answered_regrade
        return regrade.passed if regrade is not None and regrade.passed is not None else self.passed

    @property
    def final_bonus(self) -> int:
        regrade = self.answered_regrade
        return regrade.bonus if regrade is not None and regrade.bonus is not None else self.bonus

    @property
    def decided_at(self) -> dt.datetime:
        regrade = self.answered_regrade
        return regrade.answered_at if regrade is not None else self.reviewed_at  # type: ignore[return-value]


class RegradeRequest(models.Model):
    """A student's request to look at a review again, and the TA's answer; both are kept."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="regrade")
    reason = models.TextField()
    requested_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The outcome after the answer (the review's own outcome stays as it was).
    passed = models.BooleanField(null=True, blank=True)
    bonus = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Regrade of {self.review.submission}"
