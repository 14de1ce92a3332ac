"""What projects add to the course calendar (and iCal feeds), the dashboard and the navigation."""

from django.urls import reverse
from django.utils import timezone

from coursesite.hooks import CalendarEvent, DashboardItem, NavLink
from coursesite.models import Course, Membership

from . import selectors
from .models import HelpBooking, OralSlot, Proposal


def _booking_event(course: Course, booking: HelpBooking, for_ta: bool) -> CalendarEvent:
    slot = booking.slot
    names = ", ".join(a.user.display_name for a in booking.attendees.all())
    title = f"Help session: {names}" if for_ta else f"Help session with {slot.ta.display_name}"
    return CalendarEvent(
        title,
        slot.starts_at,
        slot.ends_at,
        kind="help",
        url=reverse("projects:help", args=[course.code]),
        description=f"{booking.get_kind_display()}: {booking.topic}\nWhere: {slot.availability.place}",
        uid=f"{course.code}-help-{booking.pk}",
    )


def _oral_event(course: Course, slot: OralSlot) -> CalendarEvent:
    return CalendarEvent(
        f"Project oral: {slot.group.name}" if slot.group else "Project oral",
        slot.starts_at,
        slot.ends_at,
        kind="oral",
        url=reverse("projects:orals", args=[course.code]),
        description=slot.place,
        uid=f"{course.code}-oral-{slot.pk}",
    )


def calendar_events(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    """A person's own help bookings and oral; course-wide dates of projects already live on the Course."""
    if membership is None:
        return []
    user = membership.user
    events = []
    if membership.is_student:
        for booking in selectors.help_bookings_of(course=course, user=user, upcoming=False):
            events.append(_booking_event(course, booking, for_ta=False))
        group = selectors.group_of(course=course, user=user)
        slot = getattr(group, "oral_slot", None) if group else None
        if slot is not None:
            events.append(_oral_event(course, slot))
        return events
    bookings = selectors.help_bookings_for_ta(course=course, ta=user)
    events = [_booking_event(course, booking, for_ta=True) for booking in bookings]
    if membership.is_instructor:
        events.extend(_oral_event(course, slot) for slot in selectors.booked_oral_slots(course=course))
    return events


def dashboard_items(membership: Membership) -> list[DashboardItem]:
    course = membership.course
    home = reverse("projects:home", args=[course.code])
    now = timezone.now()
    if membership.is_student:
        return _student_items(membership, home)
    items = []
    if membership.is_instructor:
        today = timezone.localtime(now, course.tz).date()
        queue_url = reverse("projects:proposal_queue", args=[course.code])
        for proposal in selectors.proposal_queue(course=course):
            overdue = proposal.due_on < today
            items.append(
                DashboardItem(
                    f"{'OVERDUE: ' if overdue else ''}Proposal of {proposal.group.name} (v{proposal.version}) "
                    f"due {proposal.due_on:%a %-d %b}",
                    "overdue" if overdue else "proposal",
                    queue_url,
                    None,
                    "todo",
                )
            )
    agenda = [
        slot
        for slot in selectors.ta_agenda(
            course=course, ta=membership.user, day=timezone.localtime(now, course.tz).date()
        )
        if selectors.active_bookings(slot) and slot.ends_at > now
    ]
    for slot in agenda:
        booking = selectors.active_bookings(slot)[0]
        names = ", ".join(sorted(a.user.display_name for a in booking.attendees.all()))
        items.append(
            DashboardItem(
                f"Help session {timezone.localtime(slot.starts_at, course.tz):%H:%M}: {names}: {booking.topic}",
                "today",
                reverse("projects:help", args=[course.code]),
                slot.starts_at,
                "todo",
            )
        )
    return items


def _student_items(membership: Membership, home: str) -> list[DashboardItem]:
    course, user = membership.course, membership.user
    size = selectors.group_size(course)
    items = []
    invitations = list(selectors.pending_invitations(course=course, user=user))
    for invitation in invitations:
        items.append(DashboardItem(f"Invitation to join {invitation.group.name}", "answer", home, None, "todo"))
    group = selectors.group_of(course=course, user=user)
    if group is None:
        if not invitations:
            items.append(DashboardItem("Project", f"You are not in a group of {size} yet.", home, None, "info"))
    else:
        stage = selectors.group_stage(group, size)
        proposal = selectors.latest_proposal(group)
        detail = f"{group.name}: {stage}."
        if proposal is not None and proposal.status == Proposal.Status.WAITING:
            detail += f" You will hear back about your proposal by {proposal.due_on:%A %-d %B}."
        elif proposal is not None and proposal.status == Proposal.Status.CHANGES:
            detail += " The examiner asked for changes; resubmit your proposal."
        if group.locked and not group.compute_granted_on:
            detail += " Your group has no compute account yet."
        items.append(DashboardItem("Project", detail, home, None, "info"))
    for booking in selectors.help_bookings_of(course=course, user=user)[:3]:
        items.append(
            DashboardItem(
                f"Help session with {booking.slot.ta.display_name}: {booking.topic}",
                "booked",
                reverse("projects:help", args=[course.code]),
                booking.slot.starts_at,
                "todo",
            )
        )
    return items


def nav_links(membership: Membership) -> list[NavLink]:
    code = membership.course.code
    return [
        NavLink("Project", reverse("projects:home", args=[code]), 20),
        NavLink("Help sessions", reverse("projects:help", args=[code]), 25),
    ]
