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
    final_grade_module = models.CharField(
        max_length=8,
        choices=[
            ("module", "The project or exam module (PRO1 or TEN1) carries the final grade, bonus included"),
            ("none", "No module carries it: every module on its own grade, the course grade set in Ladok"),
        ],
        default="module",
        help_text="Where the student records export puts the bonus-lifted final grade.",
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
    lab_passed = models.BooleanField(null=True, help_text="LAB1 passed when the grade was locked")
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


class RecordsExport(models.Model):
    """One student records (Ladok) file as it was made: when, by whom, provisional or not, and its rows.

    The rows let the export page say which results are new or changed since the last file.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="records_exports")
    made_at = models.DateTimeField(auto_now_add=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    provisional = models.BooleanField()
    # [{"personal_id", "module_code", "grade", "examination_date"}, ...]
    rows = models.JSONField(default=list)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        kind = "provisional" if self.provisional else "final"
        return f"{self.course.code} records export {self.made_at:%Y-%m-%d %H:%M} ({kind}, {len(self.rows)} rows)"


class CanvasColumn(models.Model):
    """What one item of the gradebook is called in the course's Canvas gradebook, and how Canvas grades it."""

    class Kind(models.TextChoices):
        PASS_FAIL = "pass_fail", "Complete/incomplete"
        POINTS = "points", "Points"
        LETTER = "letter_grade", "Letter grade"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="canvas_columns")
    item = models.CharField(max_length=32, help_text='"assignment:N", "bonus", "module" or "final"')
    name = models.CharField(
        max_length=255, blank=True, help_text='Exactly as in Canvas, e.g. "Assignment 1 (12345)"; blank: left out.'
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    points_possible = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "item"], name="one_canvas_column_per_item")]

    def __str__(self) -> str:
        return f"{self.course.code} {self.item} -> {self.name or '(left out)'}"


class CanvasStudent(models.Model):
    """A student as Canvas knows them, read from Canvas's own gradebook export (its ID, SIS ids and section)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="canvas_students")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    canvas_name = models.CharField(max_length=255)
    canvas_id = models.CharField(max_length=32)
    sis_user_id = models.CharField(max_length=64, blank=True)
    sis_login_id = models.CharField(max_length=150, blank=True)
    section = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "student"], name="one_canvas_student_per_course")]

    def __str__(self) -> str:
        return f"{self.student} = Canvas {self.canvas_id} in {self.course.code}"
