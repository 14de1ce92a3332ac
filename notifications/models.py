"""Notifications (what the site told someone, listed in the site and e-mailed), e-mail opt-outs, announcements."""

from django.conf import settings
from django.db import models

from coursesite.models import Course


class Kind(models.TextChoices):
    GROUP_INVITATION = "group_invitation", "Invitations to a project group"
    PROPOSAL_DECISION = "proposal_decision", "The examiner's decision on your group's proposal"
    HELP_BOOKING = "help_booking", "Help sessions booked or cancelled by a member of your group"
    HELP_CANCELLED = "help_cancelled", "A help session you booked, cancelled by the teachers"
    EXTENSION = "extension", "Extensions granted or revoked"
    DEADLINE_CHANGE = "deadline_change", "Changed deadlines"
    REVIEW_RELEASED = "review_released", "Reviews of your submissions"
    FINAL_GRADES = "final_grades", "Final grades published"
    ANNOUNCEMENT = "announcement", "Announcements from the examiner"


# What the course must tell a student: e-mailed whatever the preferences say.
REQUIRED_KINDS = frozenset(
    {
        Kind.PROPOSAL_DECISION,
        Kind.HELP_CANCELLED,
        Kind.EXTENSION,
        Kind.DEADLINE_CHANGE,
        Kind.FINAL_GRADES,
        Kind.ANNOUNCEMENT,
    }
)
OPTIONAL_KINDS = [k for k in Kind if k not in REQUIRED_KINDS]


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed = models.BooleanField(default=False, help_text="False when the person turned this kind of e-mail off.")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"


class EmailOptOut(models.Model):
    """One optional kind of notification a person does not want by e-mail (it is still listed in the site)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_opt_out_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: no e-mail for {self.kind}"


class Announcement(models.Model):
    class Audience(models.TextChoices):
        COURSE = "course", "The whole course"
        MODULE = "module", "The students of one module"
        GROUP = "group", "One project group"

    class Module(models.TextChoices):
        PROJECT = "project", "Project students"
        EXAM = "exam", "Exam students"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    module = models.CharField(max_length=10, choices=Module.choices, blank=True)
    group = models.ForeignKey("projects.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="announcements_received")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject

    @property
    def audience_label(self) -> str:
        """Who it went to, as in "sent to ...": the whole course, exam students, Group 2."""
        if self.audience == self.Audience.MODULE:
            return self.get_module_display().lower()
        if self.audience == self.Audience.GROUP:
            return self.group.name if self.group else "a group (since dissolved)"
        return "the whole course"
