"""Who may see or do what in projects (zulip-style): each helper returns what was asked for or raises.

Built on coursesite/access.py. The rule, as everywhere on the site: a course you are not in, or a thing that is not
yours to see (another group, someone else's invitation or booking), is `NotFound` (404); a member without the role
an action needs is `Forbidden` (403); a state that forbids the action is `Refused` (400). Every public service of
projects/services.py calls one of these first, so the pages and the API do not check the same rule again.
"""

from coursesite.access import check_instructor, check_staff, check_student, course_membership
from coursesite.errors import Forbidden, NotFound, Refused
from coursesite.models import Course, Membership, User

from .models import Group, GroupMember, HelpAvailability, HelpBooking, Invitation


def require_course_member(*, user: User, course: Course) -> Membership:
    """The user's membership of the course; a course you are not in does not exist for you."""
    membership = course_membership(user=user, course=course)
    if membership is None:
        raise NotFound("No such course, or you are not registered in it.")
    return membership


def require_staff(*, user: User, course: Course) -> Membership:
    """A TA or the examiner."""
    return check_staff(require_course_member(user=user, course=course))


def require_examiner(*, user: User, course: Course) -> Membership:
    return check_instructor(require_course_member(user=user, course=course))


def require_active_student(*, user: User, course: Course) -> Membership:
    """A student of the course who has not withdrawn (who alone form groups, book help and the like)."""
    membership = check_student(require_course_member(user=user, course=course))
    if membership.withdrawn_at is not None:
        raise Refused(f"{user.username} is marked as withdrawn from this course.")
    return membership


def access_group(*, user: User, group: Group) -> Membership:
    """Staff see every group; a student sees only their own (another group does not exist for them)."""
    membership = require_course_member(user=user, course=group.course)
    if not membership.is_staff_role and not GroupMember.objects.filter(group=group, user=user).exists():
        raise NotFound("No such project group, or it is not yours.")
    return membership


def access_group_file(*, user: User, group: Group, kind: str) -> Membership:
    """A group's uploaded file: its members and the staff, except that a proposal is between the group and the
    examiner (TAs see the final report, which they help with, not the proposal)."""
    membership = access_group(user=user, group=group)
    if kind == "proposal" and membership.is_staff_role and not membership.is_instructor:
        raise NotFound("No such file.")
    return membership


def require_group_member(*, user: User, group: Group) -> Membership:
    """A member of the group itself (the examiner and TAs see it, but do not act as its members)."""
    membership = access_group(user=user, group=group)
    if membership.is_staff_role:
        raise Forbidden("Only members of the group can do this.")
    return membership


def require_group_examiner(*, user: User, group: Group) -> Membership:
    """The examiner, for a group of their course."""
    return require_examiner(user=user, course=group.course)


def access_invitation(*, user: User, invitation: Invitation) -> Membership:
    """Only the invitee answers an invitation; to anyone else it does not exist."""
    if invitation.invitee_id != user.pk:
        raise NotFound("No such invitation, or it is not yours.")
    return require_course_member(user=user, course=invitation.group.course)


def require_booking_attendee(*, user: User, booking: HelpBooking) -> Membership:
    """The people booked (the student, or every member of the group) may cancel their booking."""
    membership = require_course_member(user=user, course=booking.slot.course)
    if not booking.attendees.filter(user=user).exists():
        raise NotFound("Only the people booked can cancel this booking.")
    return membership


def require_booking_host(*, user: User, booking: HelpBooking, what: str = "note attendance") -> Membership:
    """The TA who holds the slot, or the examiner, may note attendance or cancel the booking."""
    membership = require_course_member(user=user, course=booking.slot.course)
    if booking.slot.ta_id != user.pk and not membership.is_instructor:
        raise Forbidden(f"Only the TA holding this slot, or the examiner, can {what}.")
    return membership


def require_availability_owner(*, user: User, availability: HelpAvailability) -> Membership:
    """The TA who published the time, or the examiner, may withdraw it."""
    membership = require_course_member(user=user, course=availability.course)
    if not membership.is_instructor and not (membership.is_staff_role and availability.ta_id == user.pk):
        raise Forbidden("Only the TA who published this time, or the examiner, can withdraw it.")
    return membership
