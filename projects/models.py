"""Projects: groups, invitations, proposals, compute accounts, reports, orals, help-session slots and bookings."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from coursesite.models import Course

GRADES = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("E", "E"), ("Fx", "Fx"), ("F", "F")]


class ProjectSettings(models.Model):
    """Per-course values the Course itself does not hold; created with defaults on first use."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="project_settings")
    group_size = models.PositiveSmallIntegerField(default=3)
    help_slot_minutes = models.PositiveSmallIntegerField(default=15)
    max_upcoming_bookings = models.PositiveSmallIntegerField(
        default=1, help_text="Upcoming help bookings allowed per student (and so per group)."
    )
    cancel_before_hours = models.PositiveSmallIntegerField(default=2)
    oral_slot_minutes = models.PositiveSmallIntegerField(default=30)
    oral_move_before_hours = models.PositiveSmallIntegerField(default=24)
    compute_reminder_days = models.PositiveSmallIntegerField(
        default=7, help_text="Days after approval when a group without a compute account is reminded."
    )
    unconfirmed_result = models.CharField(
        max_length=2, choices=GRADES, default="Fx", help_text="Project result of a member not confirmed at the oral."
    )

    class Meta:
        verbose_name_plural = "project settings"

    def __str__(self) -> str:
        return f"Project settings of {self.course.code}"

    @classmethod
    def for_course(cls, course: Course) -> "ProjectSettings":
        return cls.objects.get_or_create(course=course)[0]


class Group(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="project_groups")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a proposal is approved: from then on only the instructor changes the membership.
    approved_at = models.DateTimeField(null=True, blank=True)
    compute_account = models.CharField(max_length=100, blank=True)
    compute_applied_on = models.DateField(null=True, blank=True)
    compute_applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    compute_granted_on = models.DateField(null=True, blank=True)
    compute_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def locked(self) -> bool:
        return self.approved_at is not None


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    # The course is repeated here so the database itself keeps "one group per student per course".
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_project_group_per_course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "No longer valid"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "invitee"], condition=Q(status="pending"), name="one_pending_invitation_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.group} ({self.status})"


class PartnerSearch(models.Model):
    """A student without a group who opted in to be listed for others looking for partners."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_partner_search_per_course")]

    def __str__(self) -> str:
        return f"{self.user} looking for partners"


class Proposal(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the examiner"
        APPROVED = "approved", "Approved"
        CHANGES = "changes", "Changes requested"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Replaced by a newer version"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="proposals")
    version = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=4000)
    pdf = models.CharField(max_length=300, blank=True, help_text="Storage name of the optional PDF.")
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_original_name = models.CharField(max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField()
    late = models.BooleanField(default=False)
    due_on = models.DateField(help_text="The examiner decides by this day.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "-version"]
        constraints = [models.UniqueConstraint(fields=["group", "version"], name="one_proposal_per_version")]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.group} proposal v{self.version}"


class FinalReport(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="reports")
    file = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    pages = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField()
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["group", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"Report of {self.group} ({self.uploaded_at:%Y-%m-%d})"


class OralSlot(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="oral_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    group = models.OneToOneField(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="oral_slot")
    booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["course", "starts_at"], name="one_oral_slot_per_start")]

    def __str__(self) -> str:
        return f"Oral {self.starts_at:%Y-%m-%d %H:%M}"


class OralGrade(models.Model):
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="oral_grade")
    grade = models.CharField(max_length=2, choices=GRADES)
    graded_on = models.DateField()
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.group}: {self.grade}"


class MemberConfirmation(models.Model):
    """Whether the oral confirmed that one member was involved and knows the detail."""

    oral_grade = models.ForeignKey(OralGrade, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    confirmed = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["oral_grade", "user"], name="one_confirmation_per_member")]

    def __str__(self) -> str:
        return f"{self.user}: {'confirmed' if self.confirmed else 'not confirmed'}"


class HelpAvailability(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="help_availabilities")
    ta = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_availabilities")
    date = models.DateField()
    start = models.TimeField()
    end = models.TimeField()
    place = models.CharField(max_length=300, help_text="A room or a meeting link.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "start"]
        verbose_name_plural = "help availabilities"

    def __str__(self) -> str:
        return f"{self.ta} {self.date} {self.start:%H:%M}-{self.end:%H:%M}"


class HelpSlot(models.Model):
    availability = models.ForeignKey(HelpAvailability, on_delete=models.CASCADE, related_name="slots")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    ta = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ta", "starts_at"], name="one_help_slot_per_ta_and_start")]
        indexes = [models.Index(fields=["course", "starts_at"])]

    def __str__(self) -> str:
        return f"Help with {self.ta} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.starts_at


class HelpBooking(models.Model):
    class Kind(models.TextChoices):
        PROJECT = "project", "Project help (whole group)"
        ASSIGNMENT = "assignment", "Assignment help"

    slot = models.ForeignKey(HelpSlot, on_delete=models.CASCADE, related_name="bookings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="help_bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    attendance_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["slot__starts_at", "id"]
        constraints = [
            # The database's own guarantee that a slot is never double-booked.
            models.UniqueConstraint(
                fields=["slot"], condition=Q(cancelled_at__isnull=True), name="one_booking_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot}: {self.topic}"


class HelpAttendee(models.Model):
    """Who is coming to a booked slot: the student, or all members of the group."""

    booking = models.ForeignKey(HelpBooking, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_attendances")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "user"], name="one_attendee_row_per_person")]

    def __str__(self) -> str:
        return f"{self.user} at {self.booking}"
