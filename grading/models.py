"""Grading data: the examiner's per-course settings, the locked final grades and every later change to them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from coursesite.models import Course

from .policy import GRADES, GradePolicy

GRADE_CHOICES = [(g, g) for g in GRADES]


class GradingSettings(models.Model):
    """How the final grade is computed in one course, and whether the examiner has locked the grades."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="grading_settings")
    bonus_threshold = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Bonus points a student needs for the one-step lift of a passing grade.",
    )
    assignments_required = models.PositiveSmallIntegerField(
        default=4,
        validators=[MaxValueValidator(50)],
        help_text="Assignments 1 to this number must all be passed for the assignments module (LAB1).",
    )
    require_assignments_for_final = models.BooleanField(
        default=True, help_text="Report a final grade only when the assignments module is passed too."
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "grading settings"

    def __str__(self) -> str:
        return f"Grading of {self.course.code}"

    @property
    def policy(self) -> GradePolicy:
        return GradePolicy(
            bonus_threshold=self.bonus_threshold,
            assignments_required=self.assignments_required,
            require_assignments_for_final=self.require_assignments_for_final,
        )


class FinalGrade(models.Model):
    """A student's final grade as it was locked when the examiner finalised the course (blank: no final grade)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="final_grades")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="final_grades")
    grade = models.CharField(max_length=2, blank=True, choices=GRADE_CHOICES)
    module_code = models.CharField(max_length=8, blank=True, help_text="PRO1 or TEN1")
    module_grade = models.CharField(max_length=2, blank=True, choices=GRADE_CHOICES)
    bonus = models.PositiveIntegerField(default=0)
    explanation = models.TextField()
    locked_at = models.DateTimeField()
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="one_final_grade_per_student")]

    def __str__(self) -> str:
        return f"{self.student} in {self.course.code}: {self.grade or 'no final grade'}"

    @property
    def locked_grade(self) -> str:
        """The grade as it was locked, before any change."""
        changes = list(self.changes.all())
        return changes[0].old_grade if changes else self.grade

    @property
    def last_change(self) -> "FinalGradeChange | None":
        changes = list(self.changes.all())
        return changes[-1] if changes else None


class FinalGradeChange(models.Model):
    """A change of a locked final grade: who changed it, from what to what, and why."""

    final_grade = models.ForeignKey(FinalGrade, on_delete=models.CASCADE, related_name="changes")
    old_grade = models.CharField(max_length=2, blank=True)
    new_grade = models.CharField(max_length=2, blank=True, choices=GRADE_CHOICES)
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_grade or '-'} -> {self.new_grade or '-'}: {self.reason}"
