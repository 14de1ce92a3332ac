"""Who may see or do what in projects: helpers that return what was asked for or raise PermissionDenied."""

from django.core.exceptions import PermissionDenied

from coursesite.access import require_member
from coursesite.models import Membership, User

from .models import Group, GroupMember, HelpAvailability, HelpBooking


def require_group_member(*, user: User, group: Group) -> None:
    if not GroupMember.objects.filter(group=group, user=user).exists():
        raise PermissionDenied("You are not a member of this group.")


def require_group_visible(*, user: User, group: Group) -> Membership:
    """Staff see every group; a student sees only their own."""
    membership = require_member(user=user, course=group.course)
    if not membership.is_staff_role:
        require_group_member(user=user, group=group)
    return membership


def require_booking_host(*, user: User, booking: HelpBooking, what: str = "note attendance") -> None:
    """The TA who holds the slot, or the examiner, may note attendance or cancel the booking."""
    membership = require_member(user=user, course=booking.slot.course)
    if booking.slot.ta_id != user.pk and not membership.is_instructor:
        raise PermissionDenied(f"Only the TA holding this slot, or the examiner, can {what}.")


def require_availability_owner(*, user: User, availability: HelpAvailability) -> None:
    """The TA who published the time, or the examiner, may withdraw it."""
    membership = require_member(user=user, course=availability.course)
    if not membership.is_instructor and not (membership.is_staff_role and availability.ta_id == user.pk):
        raise PermissionDenied("Only the TA who published this time, or the examiner, can withdraw it.")
