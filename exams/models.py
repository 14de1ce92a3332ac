"""The take-home exam of a course: module choices, the date poll, sessions, sittings, answers and marks."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from coursesite.models import Course

from .grade_rule import GradeThresholds

# The course rule: the questions are published at 10:00 on the exam day, in the course's own time zone.
QUESTIONS_RELEASE_TIME = dt.time(10, 0)


class ModuleChoice(models.Model):
    """A student's choice for the second module: the group project or the take-home exam."""

    class Option(models.TextChoices):
        PROJECT = "project", "Group project"
        EXAM = "exam", "Take-home exam"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="module_choices")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_choices")
    choice = models.CharField(max_length=16, choices=Option.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="one_module_choice_per_student")]

    def __str__(self) -> str:
        return f"{self.student} chose {self.choice} in {self.course.code}"


class Exam(models.Model):
    """The examiner's settings for the course's take-home exam (one per course)."""

    class Part1Marking(models.TextChoices):
        PASS_FAIL = "pass_fail", "Pass or fail"
        POINTS = "points", "Points against a threshold"

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="exam")
    choice_cutoff = models.DateTimeField(
        null=True, blank=True, help_text="Students can choose or change project/exam until this moment."
    )
    part1_marking = models.CharField(max_length=16, choices=Part1Marking.choices, default=Part1Marking.POINTS)
    part1_max = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(20))
    part1_pass = models.DecimalField(
        max_digits=5, decimal_places=1, default=Decimal(12), help_text="Part I points needed to pass (grade E)."
    )
    fx_margin = models.DecimalField(
        max_digits=5, decimal_places=1, default=Decimal(2), help_text="Part I this close below the threshold: Fx."
    )
    part2_max = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(40))
    grade_d = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(10))
    grade_c = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(18))
    grade_b = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(26))
    grade_a = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(34))
    poll_closed_at = models.DateTimeField(null=True, blank=True, help_text="Set when the examiner closes the poll.")

    # What the examiner edits, on the page and through the API.
    SETTINGS_FIELDS = (
        "choice_cutoff",
        "part1_marking",
        "part1_max",
        "part1_pass",
        "fx_margin",
        "part2_max",
        "grade_d",
        "grade_c",
        "grade_b",
        "grade_a",
    )

    def __str__(self) -> str:
        return f"Take-home exam of {self.course.code}"

    def clean(self) -> None:
        if not (self.grade_d <= self.grade_c <= self.grade_b <= self.grade_a):
            raise ValidationError("The Part II thresholds must rise from D to A (D ≤ C ≤ B ≤ A).")
        if self.grade_a > self.part2_max:
            raise ValidationError("The Part II threshold for A is above the Part II maximum.")
        if self.part1_marking == self.Part1Marking.POINTS and self.part1_pass > self.part1_max:
            raise ValidationError("The Part I threshold is above the Part I maximum.")
        if self.fx_margin < 0:
            raise ValidationError("The Fx margin cannot be negative.")

    @property
    def thresholds(self) -> GradeThresholds:
        marked_with_points = self.part1_marking == self.Part1Marking.POINTS
        return GradeThresholds(
            part1_pass=self.part1_pass if marked_with_points else None,
            fx_margin=self.fx_margin,
            d=self.grade_d,
            c=self.grade_c,
            b=self.grade_b,
            a=self.grade_a,
        )


class CandidateDate(models.Model):
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="candidates")
    day = models.DateField()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["exam", "day"], name="one_candidate_per_day")]

    def __str__(self) -> str:
        return f"{self.day:%a %-d %b %Y}"


class PollVote(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        MAYBE = "maybe", "If need be"
        NO = "no", "No"

    candidate = models.ForeignKey(CandidateDate, on_delete=models.CASCADE, related_name="votes")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_votes")
    answer = models.CharField(max_length=8, choices=Answer.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidate", "student"], name="one_vote_per_candidate")]

    def __str__(self) -> str:
        return f"{self.student}: {self.answer} for {self.candidate}"


class ExamSession(models.Model):
    """A picked exam date: questions out at 10:00 course time that day, answers due at the examiner's deadline."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="sessions")
    day = models.DateField()
    deadline_at = models.DateTimeField(help_text="Hard deadline for the answers.")
    # A random storage name, never served from MEDIA_URL: only the questions view hands it out, after release.
    questions_name = models.CharField(max_length=255, blank=True)
    questions_original_name = models.CharField(max_length=255, blank=True)
    questions_uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["exam", "day"], name="one_session_per_day")]

    def __str__(self) -> str:
        return f"Exam session {self.day:%a %-d %b %Y}"

    @property
    def releases_at(self) -> dt.datetime:
        """10:00 on the session's day in the course's time zone (zoneinfo gives the right offset on DST days)."""
        return dt.datetime.combine(self.day, QUESTIONS_RELEASE_TIME, tzinfo=self.exam.course.tz)

    def clean(self) -> None:
        if self.deadline_at is not None and self.day is not None and self.deadline_at <= self.releases_at:
            raise ValidationError({"deadline_at": "The answer deadline must be after the questions are released."})


class Sitting(models.Model):
    """A student's seat in one exam session, with an individual deadline extension when granted."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="sittings")
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="sittings")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_sittings")
    extended_until = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exam", "student"], name="one_sitting_per_student")]

    def __str__(self) -> str:
        return f"{self.student} in {self.session}"

    @property
    def deadline_at(self) -> dt.datetime:
        if self.extended_until is not None and self.extended_until > self.session.deadline_at:
            return self.extended_until
        return self.session.deadline_at


class Answer(models.Model):
    """The student's current answer PDF; a new upload before the deadline replaces it."""

    sitting = models.OneToOneField(Sitting, on_delete=models.CASCADE, related_name="answer")
    file_name = models.CharField(max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    under_extension = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Answer of {self.sitting.student}"


class Mark(models.Model):
    """The markers' Part I and Part II result; the grade itself follows from the exam's thresholds."""

    sitting = models.OneToOneField(Sitting, on_delete=models.CASCADE, related_name="mark")
    part1_passed = models.BooleanField(null=True, blank=True)
    part1_points = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    part2_points = models.DecimalField(max_digits=5, decimal_places=1, default=Decimal(0))
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Mark of {self.sitting.student}"
