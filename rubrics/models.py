"""An assignment's rubric (criteria, reusable comments, the rule for Pass/Fail and bonus), marks, inline comments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from assignments.models import Assignment, Submission


class Rule(models.TextChoices):
    POINTS = "points", "Computed: pass when every pass/fail criterion passes and the points reach the pass mark"
    MANUAL = "manual", "Manual: the reviewer chooses Pass/Fail and bonus"


class Rubric(models.Model):
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="rubric")
    rule = models.CharField(max_length=10, choices=Rule.choices, default=Rule.POINTS)
    pass_points = models.PositiveSmallIntegerField(default=0, help_text="Points needed to pass (N).")
    bonus_from = models.PositiveSmallIntegerField(
        default=0, help_text="Bonus counts the points above this (M), one bonus point per step, capped."
    )
    bonus_step = models.PositiveSmallIntegerField(default=1, help_text="Points above M per bonus point.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(bonus_step__gte=1), name="rubric_bonus_step_positive")]

    def __str__(self) -> str:
        return f"Rubric of {self.assignment}"


class Kind(models.TextChoices):
    POINTS = "points", "Points"
    PASS_FAIL = "pass_fail", "Pass/fail"


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200, help_text="A short description of what is looked at.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.POINTS)
    max_points = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.kind == Kind.POINTS and not self.max_points:
            raise ValidationError({"max_points": "A points criterion needs a maximum of at least 1 point."})
        if self.kind == Kind.PASS_FAIL:
            self.max_points = 0

    @property
    def is_pass_fail(self) -> bool:
        return self.kind == Kind.PASS_FAIL


class CannedComment(models.Model):
    """A comment the reviewers can reuse for a criterion."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="canned")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Mark(models.Model):
    """A reviewer's mark of one criterion for one submission: points or pass/fail, and a comment."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="rubric_marks")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="marks")
    points = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=4000)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "criterion"], name="one_mark_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion} for {self.submission}"

    @property
    def is_marked(self) -> bool:
        return self.passed is not None if self.criterion.is_pass_fail else self.points is not None


class InlineComment(models.Model):
    """A reviewer's comment at a line of a code file, or at a place on a page of the PDF report (data, not ink)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="inline_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(max_length=4000)
    # A code comment: the file's path in the archive and the line as the pages show it (1-based).
    file = models.CharField(max_length=300, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    # A report comment: the page (1-based) and the place on it, in page-relative units (0..1 from the top left).
    page = models.PositiveIntegerField(null=True, blank=True)
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["file", "line", "page", "y", "x", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(line__isnull=False, page__isnull=True) & ~models.Q(file=""))
                | models.Q(line__isnull=True, page__isnull=False, file=""),
                name="inline_comment_on_code_or_report",
            ),
            models.CheckConstraint(
                condition=models.Q(x__isnull=True) | models.Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1),
                name="inline_comment_place_on_page",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment on {self.where}"

    @property
    def on_code(self) -> bool:
        return self.line is not None

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.line}" if self.on_code else f"page {self.page} of the report"
