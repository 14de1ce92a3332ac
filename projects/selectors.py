"""Reads of projects, with their joins: a fixed number of queries whatever the number of students."""

import datetime as dt

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from coursesite.models import Course, Membership, Role, User
from coursesite.results import ModuleResult
from exams.models import ModuleChoice

from .models import (
    FinalReport,
    Group,
    GroupMember,
    HelpAttendee,
    HelpAvailability,
    HelpBooking,
    HelpSlot,
    Invitation,
    MemberConfirmation,
    OralGrade,
    OralSlot,
    PartnerSearch,
    ProjectSettings,
    Proposal,
)

UNCONFIRMED_NOTE = "involvement not confirmed at the oral"


def active_group_members() -> QuerySet[GroupMember]:
    """Group members who have not withdrawn from the course: the ones a group's size rule counts."""
    withdrawn = Membership.objects.filter(course=OuterRef("course"), user=OuterRef("user"), withdrawn_at__isnull=False)
    return GroupMember.objects.exclude(Exists(withdrawn))


def _members_prefetch() -> Prefetch:
    return Prefetch("members", queryset=active_group_members().select_related("user"))


def group_of(*, course: Course, user: User) -> Group | None:
    member = GroupMember.objects.filter(course=course, user=user).select_related("group").first()
    if member is None:
        return None
    return (
        Group.objects.filter(pk=member.group_id)
        .prefetch_related(_members_prefetch(), Prefetch("proposals", queryset=Proposal.objects.order_by("-version")))
        .select_related("oral_slot")
        .first()
    )


def groups_overview(*, course: Course) -> QuerySet[Group]:
    """Every group with its members, proposal versions, latest report and oral slot."""
    return (
        Group.objects.filter(course=course)
        .prefetch_related(
            _members_prefetch(),
            Prefetch("proposals", queryset=Proposal.objects.order_by("-version")),
            Prefetch("reports", queryset=FinalReport.objects.order_by("-uploaded_at")),
        )
        .select_related("oral_slot", "oral_grade")
        .order_by("id")
    )


def latest_proposal(group: Group) -> Proposal | None:
    """The newest version (uses the prefetched versions when there are any)."""
    proposals = list(group.proposals.all())
    return max(proposals, key=lambda p: p.version) if proposals else None


def group_stage(group: Group, size: int) -> str:
    """Where the group stands, in the words its members would use."""
    members = len(group.members.all())
    if members < size:
        return "forming"
    if group.locked:
        if hasattr(group, "oral_grade"):
            return "graded"
        return "report in" if group.reports.all() else "approved"
    proposal = latest_proposal(group)
    if proposal is None:
        return "complete"
    return {"waiting": "proposal waiting", "changes": "changes requested"}.get(proposal.status, proposal.status)


def proposal_queue(*, course: Course) -> QuerySet[Proposal]:
    """Proposals waiting for the examiner, the most urgent first."""
    return (
        Proposal.objects.filter(group__course=course, status=Proposal.Status.WAITING)
        .select_related("group", "submitted_by")
        .prefetch_related(Prefetch("group__members", queryset=GroupMember.objects.select_related("user")))
        .order_by("due_on", "submitted_at")
    )


def groups_without_compute(*, course: Course) -> QuerySet[Group]:
    return (
        Group.objects.filter(course=course, approved_at__isnull=False, compute_granted_on__isnull=True)
        .prefetch_related(_members_prefetch())
        .order_by("approved_at")
    )


def pending_invitations(*, course: Course, user: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(group__course=course, invitee=user, status=Invitation.Status.PENDING)
        .select_related("group", "invited_by")
        .prefetch_related(Prefetch("group__members", queryset=GroupMember.objects.select_related("user")))
    )


def partner_searches(*, course: Course) -> QuerySet[PartnerSearch]:
    return PartnerSearch.objects.filter(course=course).select_related("user").order_by("user__username")


def students_without_group(*, course: Course) -> QuerySet[User]:
    grouped = GroupMember.objects.filter(course=course, user=OuterRef("pk"))
    return (
        User.objects.filter(
            memberships__course=course, memberships__role=Role.STUDENT, memberships__withdrawn_at__isnull=True
        )
        .exclude(Exists(grouped))
        .order_by("username")
    )


def oral_slots(*, course: Course) -> QuerySet[OralSlot]:
    return (
        OralSlot.objects.filter(course=course)
        .select_related("group")
        .prefetch_related(Prefetch("group__members", queryset=GroupMember.objects.select_related("user")))
        .order_by("starts_at")
    )


def _bookings_prefetch() -> Prefetch:
    return Prefetch(
        "bookings",
        queryset=HelpBooking.objects.filter(cancelled_at__isnull=True).prefetch_related(
            Prefetch("attendees", queryset=HelpAttendee.objects.select_related("user"))
        ),
        to_attr="active_bookings",
    )


def help_slots_upcoming(*, course: Course, now: dt.datetime | None = None) -> QuerySet[HelpSlot]:
    """Upcoming help slots with their active booking (in `slot.active_bookings`) and the TA's place."""
    now = now or timezone.now()
    return (
        HelpSlot.objects.filter(course=course, starts_at__gt=now)
        .select_related("ta", "availability")
        .prefetch_related(_bookings_prefetch())
        .order_by("starts_at", "ta__username")
    )


def help_availabilities_upcoming(
    *, course: Course, ta: User | None = None, now: dt.datetime | None = None
) -> QuerySet[HelpAvailability]:
    """Published time that has not ended yet (one TA's, or everyone's), with `slot_count` and `booked_count`."""
    now = now or timezone.now()
    availabilities = HelpAvailability.objects.filter(course=course)
    if ta is not None:
        availabilities = availabilities.filter(ta=ta)
    return (
        availabilities.select_related("ta")
        .annotate(
            last_ends_at=Max("slots__ends_at"),
            slot_count=Count("slots", distinct=True),
            booked_count=Count("slots__bookings", filter=Q(slots__bookings__cancelled_at__isnull=True), distinct=True),
        )
        .filter(last_ends_at__gt=now)
        .order_by("date", "start", "ta__username")
    )


def help_bookings_of(*, course: Course, user: User, upcoming: bool = True) -> QuerySet[HelpBooking]:
    bookings = HelpBooking.objects.filter(
        slot__course=course, attendees__user=user, cancelled_at__isnull=True
    ).select_related("slot__ta", "slot__availability", "group")
    if upcoming:
        bookings = bookings.filter(slot__ends_at__gt=timezone.now())
    return bookings.prefetch_related(
        Prefetch("attendees", queryset=HelpAttendee.objects.select_related("user"))
    ).order_by("slot__starts_at")


def ta_agenda(*, course: Course, ta: User, day: dt.date) -> QuerySet[HelpSlot]:
    """The TA's slots of one day, with who is coming and why."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=course.tz)
    return (
        HelpSlot.objects.filter(course=course, ta=ta, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        .select_related("availability")
        .prefetch_related(_bookings_prefetch())
        .order_by("starts_at")
    )


def project_results(*, course: Course) -> dict[int, ModuleResult]:
    """The project result of every student in a graded group: the group grade if confirmed at the oral."""
    unconfirmed = ProjectSettings.objects.filter(course=course).values_list("unconfirmed_result", flat=True).first()
    unconfirmed = unconfirmed or ProjectSettings._meta.get_field("unconfirmed_result").default
    grades = {g.group_id: g for g in OralGrade.objects.filter(group__course=course)}
    confirmations = {
        (c.oral_grade_id, c.user_id): c for c in MemberConfirmation.objects.filter(oral_grade__group__course=course)
    }
    results: dict[int, ModuleResult] = {}
    for group_id, user_id in GroupMember.objects.filter(course=course, group_id__in=grades).values_list(
        "group_id", "user_id"
    ):
        oral = grades[group_id]
        confirmation = confirmations.get((oral.pk, user_id))
        if confirmation is not None and confirmation.confirmed:
            results[user_id] = ModuleResult(oral.grade, oral.graded_on, "")
        else:
            note = UNCONFIRMED_NOTE
            if confirmation is not None and confirmation.note:
                note = f"{UNCONFIRMED_NOTE}: {confirmation.note}"
            results[user_id] = ModuleResult(unconfirmed, oral.graded_on, note)
    return results


def is_staff(membership: Membership | None) -> bool:
    return membership is not None and membership.is_staff_role


def exam_choosers_in_groups(*, course: Course) -> list[GroupMember]:
    """Members of approved groups whose module choice still says "exam": flagged to them and to the examiner.

    The choice does not follow the group by itself: switching may drop an exam sitting and is refused after the
    choice's cutoff, so the student (or the examiner) changes it knowingly.
    """
    exam = ModuleChoice.objects.filter(course=course, choice=ModuleChoice.Option.EXAM).values("student_id")
    return list(
        active_group_members()
        .filter(group__course=course, group__approved_at__isnull=False, user__in=exam)
        .select_related("user", "group")
        .order_by("group_id", "user__username")
    )
