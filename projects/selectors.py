"""Reads of projects, with their joins: a fixed number of queries whatever the number of students."""

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Exists, Max, Model, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from coursesite.errors import NotFound
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


@dataclass(frozen=True)
class GroupFill:
    """The group-size rule, the one place it lives: a group has at most `size` active members, and only a group of
    exactly `size` is complete (submits a proposal, books project help)."""

    size: int
    members: int

    @property
    def room(self) -> int:
        """How many more students the group takes ("room for N more")."""
        return max(self.size - self.members, 0)

    @property
    def complete(self) -> bool:
        return self.members == self.size

    def fits(self, more: int = 1) -> bool:
        """Whether `more` students can join without the group growing past its size."""
        return self.members + more <= self.size


def group_size(course: Course) -> int:
    """The course's group size (its project settings)."""
    return ProjectSettings.for_course(course).group_size


def group_fill(group: Group | None, *, size: int | None = None, course: Course | None = None) -> GroupFill:
    """How full a group is: its active members (the prefetched ones when there are) against the course's size.

    No group (a student without one) is an empty group of the course's size.
    """
    if group is None:
        if size is None:
            if course is None:
                raise ValueError("group_fill needs the group, or the course of a student without one")
            size = group_size(course)
        return GroupFill(size, 0)
    if size is None:
        size = group_size(group.course)
    prefetched = getattr(group, "_prefetched_objects_cache", {}).get("members")
    members = len(prefetched) if prefetched is not None else active_group_members().filter(group=group).count()
    return GroupFill(size, members)


def _members_prefetch() -> "Prefetch[str, QuerySet[GroupMember], str]":
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


def group_stage(group: Group, size: int | None = None) -> str:
    """Where the group stands, in the words its members would use."""
    if group_fill(group, size=size).room:
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


def _bookings_prefetch() -> "Prefetch[str, QuerySet[HelpBooking], str]":
    return Prefetch(
        "bookings",
        queryset=HelpBooking.objects.filter(cancelled_at__isnull=True).prefetch_related(
            Prefetch("attendees", queryset=HelpAttendee.objects.select_related("user"))
        ),
        to_attr="active_bookings",
    )


def active_bookings(slot: HelpSlot) -> list[HelpBooking]:
    """A slot's active booking (none, or one), as the help selectors prefetch it."""
    bookings: list[HelpBooking] = getattr(slot, "active_bookings")  # noqa: B009 (set by _bookings_prefetch)
    return bookings


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


# One thing of the course by its id (another course's, or none: 404) ------------------------------------------------

M = TypeVar("M", bound=Model)


def _one(queryset: QuerySet[M], pk: int, what: str) -> M:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(f"There is no such {what} in this course.")
    return found


def group_in(*, course: Course, pk: int, overview: bool = False) -> Group:
    """A group of the course (with its members, proposals, reports, oral slot and grade for its page)."""
    groups = groups_overview(course=course) if overview else Group.objects.filter(course=course)
    return _one(groups.select_related("course"), pk, "project group")


def invitation_in(*, course: Course, pk: int) -> Invitation:
    return _one(Invitation.objects.filter(group__course=course).select_related("group__course"), pk, "invitation")


def proposal_in(*, course: Course, pk: int) -> Proposal:
    return _one(Proposal.objects.filter(group__course=course).select_related("group__course"), pk, "proposal")


def report_in(*, course: Course, pk: int) -> FinalReport:
    return _one(FinalReport.objects.filter(group__course=course).select_related("group__course"), pk, "report")


def oral_slot_in(*, course: Course, pk: int) -> OralSlot:
    return _one(OralSlot.objects.filter(course=course), pk, "oral slot")


def help_slot_in(*, course: Course, pk: int) -> HelpSlot:
    return _one(HelpSlot.objects.filter(course=course).select_related("course", "ta", "availability"), pk, "help slot")


def help_booking_in(*, course: Course, pk: int) -> HelpBooking:
    bookings = HelpBooking.objects.filter(slot__course=course).select_related("slot__course", "slot__ta", "group")
    return _one(bookings, pk, "help booking")


def help_availability_in(*, course: Course, pk: int) -> HelpAvailability:
    return _one(HelpAvailability.objects.filter(course=course).select_related("course"), pk, "help time")


def user_by_pk(pk: int) -> User:
    return _one(User.objects.all(), pk, "person")


def user_named(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"There is no user called {username!r}.")
    return user


# What the pages show beside the group ------------------------------------------------------------------------------


def sent_invitations(group: Group) -> QuerySet[Invitation]:
    return group.invitations.filter(status=Invitation.Status.PENDING).select_related("invitee")


def is_looking(*, course: Course, user: User) -> bool:
    return PartnerSearch.objects.filter(course=course, user=user).exists()


def reports_of(group: Group) -> QuerySet[FinalReport]:
    return group.reports.all()


def other_groups(group: Group) -> QuerySet[Group]:
    """The groups of the course another group could merge with."""
    return Group.objects.filter(course_id=group.course_id).exclude(pk=group.pk)


def member_ids(group: Group) -> list[int]:
    return list(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))


def placeable_groups(*, course: Course) -> QuerySet[Group]:
    """Approved groups: the examiner can put any of them in an oral slot."""
    return Group.objects.filter(course=course, approved_at__isnull=False).select_related("oral_slot")


def help_bookings_for_ta(*, course: Course, ta: User) -> QuerySet[HelpBooking]:
    """The active bookings of a TA's slots (the calendar)."""
    return (
        HelpBooking.objects.filter(slot__course=course, slot__ta=ta, cancelled_at__isnull=True)
        .select_related("slot__ta", "slot__availability")
        .prefetch_related("attendees__user")
    )


def booked_oral_slots(*, course: Course) -> QuerySet[OralSlot]:
    return OralSlot.objects.filter(course=course, group__isnull=False).select_related("group")
