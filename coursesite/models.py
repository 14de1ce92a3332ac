"""The course core: users, courses with their key dates, memberships with roles, the audit log."""

import secrets
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class User(AbstractUser):
    full_name = models.CharField(max_length=200, blank=True)
    # From the registrar's roster when it has one; the student records export identifies people by it.
    personal_id = models.CharField(max_length=20, blank=True, help_text="National identity number, if on the roster.")
    # Secret part of the personal iCal feed URL; rotating it revokes old subscriptions.
    calendar_token = models.CharField(max_length=64, unique=True, default=_new_calendar_token)
    # The course whose roster import created the account: that roster may keep it up to date (see roster_import).
    roster_course = models.ForeignKey(
        "Course", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # When the last invitation to choose a password was sent; a new one supersedes the links of older ones.
    invited_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Stockholm).")


class Course(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="e.g. DD2424")
    name = models.CharField(max_length=200)
    term = models.CharField(max_length=40, blank=True, help_text="e.g. VT2026")
    timezone = models.CharField(max_length=64, default="Europe/Stockholm", validators=[validate_timezone])
    # Course-wide dates; each module's own dates (assignment deadlines, exam sessions) live in its app.
    first_lecture_on = models.DateField(null=True, blank=True)
    proposal_deadline = models.DateTimeField(null=True, blank=True)
    proposal_approval_days = models.PositiveSmallIntegerField(default=5)
    report_deadline = models.DateTimeField(null=True, blank=True)
    orals_start = models.DateField(null=True, blank=True)
    orals_end = models.DateField(null=True, blank=True)
    exam_poll_opens = models.DateTimeField(null=True, blank=True)
    exam_poll_closes = models.DateTimeField(null=True, blank=True)
    exam_period_start = models.DateField(null=True, blank=True)
    exam_period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    # The course-wide dates the examiner edits on the course settings page (and the admin).
    DATE_FIELDS = (
        "first_lecture_on",
        "proposal_deadline",
        "proposal_approval_days",
        "report_deadline",
        "orals_start",
        "orals_end",
        "exam_poll_opens",
        "exam_poll_closes",
        "exam_period_start",
        "exam_period_end",
    )

    def clean(self) -> None:
        """The dates must make sense together: each period ends after it starts, and is given whole."""
        errors: dict[str, str] = {}
        periods = (
            ("orals_start", "orals_end", "The oral period"),
            ("exam_poll_opens", "exam_poll_closes", "The exam date poll"),
            ("exam_period_start", "exam_period_end", "The exam period"),
        )
        for start_name, end_name, what in periods:
            start, end = getattr(self, start_name), getattr(self, end_name)
            if (start is None) != (end is None):
                missing = end_name if end is None else start_name
                errors[missing] = f"{what} needs both its first and its last moment (or neither)."
            elif start is not None and end < start:
                errors[end_name] = f"{what} ends before it starts: its end must be on or after its start."
        if self.exam_poll_opens and self.exam_poll_closes and self.exam_poll_closes == self.exam_poll_opens:
            errors["exam_poll_closes"] = "The exam date poll closes the moment it opens: give it some time."
        if self.proposal_deadline and self.report_deadline and self.report_deadline <= self.proposal_deadline:
            errors["report_deadline"] = "The final report is due before the project proposal: it must come after it."
        if (
            self.exam_poll_closes
            and self.exam_period_start
            and "exam_period_start" not in errors
            and self.timezone in zoneinfo.available_timezones()
            and self.exam_poll_closes.astimezone(self.tz).date() >= self.exam_period_start
        ):
            errors["exam_poll_closes"] = "The exam date poll must close before the exam period starts."
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    INSTRUCTOR = "instructor", "Instructor"
    TA = "ta", "TA"
    STUDENT = "student", "Student"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # A student who left the course: records kept, out of the review queue, the active gradebook and group counts.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_membership_per_course")]
        indexes = [models.Index(fields=["course", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.course.code}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in (Role.INSTRUCTOR, Role.TA)

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class AuditLog(models.Model):
    """One row for every state change made through a service: who did what to which object."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_log")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}#{self.target_id}"
