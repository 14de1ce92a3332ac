"""Every state change of projects: groups, proposals, compute accounts, reports, orals and help bookings."""

import datetime as dt
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from coursesite.audit import audit_record
from coursesite.errors import Refused
from coursesite.models import Course, Membership, Role, User
from coursesite.uploads import check_pdf, store_by_hash
from grading.locks import require_reason_if_locked
from notifications.models import Kind
from notifications.services import notify

from . import access
from .models import (
    GRADES,
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
from .selectors import active_group_members, group_fill, group_size


def _local(course: Course, moment: dt.datetime) -> str:
    return timezone.localtime(moment, course.tz).strftime("%a %-d %b %H:%M")


def _student_membership(*, course: Course, user: User) -> Membership:
    membership = Membership.objects.filter(course=course, user=user).first()
    if membership is None or membership.role != Role.STUDENT:
        raise Refused(f"{user.username} is not a student of this course.")
    if membership.withdrawn_at is not None:
        raise Refused(f"{user.username} is marked as withdrawn from this course.")
    return membership


def _group_of(*, course: Course, user: User) -> Group | None:
    member = GroupMember.objects.filter(course=course, user=user).select_related("group").first()
    return member.group if member else None


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _add_member(*, group: Group, user: User) -> GroupMember:
    """Add a student to a locked (select_for_update) group: the one place that enforces size and uniqueness."""
    fill = group_fill(group)
    if not fill.fits(1):
        raise Refused(f"{group.name} is already complete ({fill.size} members).")
    if GroupMember.objects.filter(course=group.course, user=user).exists():
        raise Refused(f"{user.username} is already in a project group.")
    try:
        with transaction.atomic():
            member = GroupMember.objects.create(group=group, course=group.course, user=user)
    except IntegrityError as exc:  # a parallel request put the student in another group first
        raise Refused(f"{user.username} is already in a project group.") from exc
    # Joining a group ends the search for partners and the other invitations.
    PartnerSearch.objects.filter(course=group.course, user=user).delete()
    Invitation.objects.filter(group__course=group.course, invitee=user, status=Invitation.Status.PENDING).exclude(
        group=group
    ).update(status=Invitation.Status.EXPIRED, answered_at=timezone.now())
    return member


def _next_group_name(course: Course) -> str:
    return f"Group {Group.objects.filter(course=course).count() + 1}"


# Groups -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def group_create(*, course: Course, by: User, name: str = "") -> Group:
    access.require_active_student(user=by, course=course)
    if _group_of(course=course, user=by) is not None:
        raise Refused("You are already in a project group in this course.")
    group = Group(course=course, name=(name or "").strip() or _next_group_name(course))
    group.full_clean()
    group.save()
    group = _lock_group(group)
    _add_member(group=group, user=by)
    audit_record(actor=by, action="group.create", course=course, target=group, name=group.name)
    return group


@transaction.atomic
def group_invite(*, group: Group, by: User, username: str) -> Invitation:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if group.locked:
        raise Refused("The proposal is approved, so the group is locked; ask the examiner for changes.")
    fill = group_fill(group)
    if not fill.fits(1):
        raise Refused(f"Your group is already complete ({fill.size} members).")
    invitee = User.objects.filter(username=(username or "").strip()).first()
    if invitee is None:
        raise Refused(f"There is no user called {username!r}.")
    _student_membership(course=group.course, user=invitee)
    if GroupMember.objects.filter(course=group.course, user=invitee).exists():
        raise Refused(f"{invitee.username} is already in a project group.")
    if Invitation.objects.filter(group=group, invitee=invitee, status=Invitation.Status.PENDING).exists():
        raise Refused(f"{invitee.username} has already been invited.")
    invitation = Invitation.objects.create(group=group, invitee=invitee, invited_by=by)
    audit_record(actor=by, action="invitation.create", course=group.course, target=invitation, invitee=invitee.username)
    notify(
        users=[invitee],
        kind=Kind.GROUP_INVITATION,
        course=group.course,
        subject=f"{group.course.code}: {by.display_name} invites you to the project group {group.name}",
        body=f"{by.display_name} invites you to join {group.name}. Accept or decline on the project page.",
        url=reverse("projects:home", args=[group.course.code]),
    )
    return invitation


@transaction.atomic
def invitation_answer(*, invitation: Invitation, by: User, accept: bool) -> Invitation:
    access.access_invitation(user=by, invitation=invitation)
    # Lock the group first: two invitees accepting the last place are served one after the other.
    group = _lock_group(invitation.group)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise Refused(f"This invitation is no longer open ({invitation.get_status_display().lower()}).")
    if accept:
        if group.locked:
            raise Refused("That group's proposal is approved; its membership is locked.")
        _student_membership(course=group.course, user=by)  # a student who withdrew does not join
        _add_member(group=group, user=by)
        invitation.status = Invitation.Status.ACCEPTED
    else:
        invitation.status = Invitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    action = "invitation.accept" if accept else "invitation.decline"
    audit_record(actor=by, action=action, course=group.course, target=invitation)
    return invitation


@transaction.atomic
def group_leave(*, group: Group, by: User) -> None:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if group.locked:
        raise Refused("The proposal is approved, so the group is locked; ask the examiner for changes.")
    deleted, _ = GroupMember.objects.filter(group=group, user=by).delete()
    if not deleted:
        raise Refused("You are not in this group.")
    audit_record(actor=by, action="group.leave", course=group.course, target=group)
    if not GroupMember.objects.filter(group=group).exists():
        group.delete()


@transaction.atomic
def partner_search_set(*, course: Course, by: User, looking: bool, note: str = "") -> None:
    access.require_active_student(user=by, course=course)
    if looking:
        if _group_of(course=course, user=by) is not None:
            raise Refused("You are already in a project group.")
        PartnerSearch.objects.update_or_create(course=course, user=by, defaults={"note": (note or "")[:200]})
    else:
        PartnerSearch.objects.filter(course=course, user=by).delete()
    audit_record(actor=by, action="partner_search.set", course=course, looking=looking)


def _require_reason(group: Group, reason: str) -> None:
    if group.locked and not (reason or "").strip():
        raise Refused("The group's proposal is approved: give a reason for changing its membership.")


@transaction.atomic
def group_form(*, course: Course, usernames: Iterable[str], by: User, name: str = "") -> Group:
    """The instructor puts students together in a new group."""
    access.require_examiner(user=by, course=course)
    users = []
    for username in [u.strip() for u in usernames if u.strip()]:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise Refused(f"There is no user called {username!r}.")
        _student_membership(course=course, user=user)
        users.append(user)
    if not users:
        raise Refused("Name at least one student.")
    fill = group_fill(None, course=course)
    if not fill.fits(len(users)):
        raise Refused(f"A group has at most {fill.size} members.")
    group = Group.objects.create(course=course, name=(name or "").strip() or _next_group_name(course))
    group = _lock_group(group)
    for user in users:
        _add_member(group=group, user=user)
    audit_record(actor=by, action="group.form", course=course, target=group, members=[u.username for u in users])
    return group


@transaction.atomic
def group_member_add(*, group: Group, username: str, by: User, reason: str = "") -> GroupMember:
    access.require_group_examiner(user=by, group=group)
    group = _lock_group(group)
    _require_reason(group, reason)
    user = User.objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise Refused(f"There is no user called {username!r}.")
    _student_membership(course=group.course, user=user)
    member = _add_member(group=group, user=user)
    audit_record(
        actor=by, action="group_member.add", course=group.course, target=group, user=user.username, reason=reason
    )
    return member


@transaction.atomic
def group_member_remove(*, group: Group, user: User, by: User, reason: str = "") -> None:
    """The instructor takes a student out of a group (a split is one or more of these)."""
    access.require_group_examiner(user=by, group=group)
    group = _lock_group(group)
    _require_reason(group, reason)
    deleted, _ = GroupMember.objects.filter(group=group, user=user).delete()
    if not deleted:
        raise Refused(f"{user.username} is not in {group.name}.")
    audit_record(
        actor=by, action="group_member.remove", course=group.course, target=group, user=user.username, reason=reason
    )


@transaction.atomic
def group_split(*, group: Group, usernames: Iterable[str], by: User, reason: str = "") -> Group:
    """Move the named members out of the group into a new group of their own."""
    access.require_group_examiner(user=by, group=group)
    group = _lock_group(group)
    _require_reason(group, reason)
    names = {u.strip() for u in usernames if u.strip()}
    moving = list(GroupMember.objects.filter(group=group, user__username__in=names).select_related("user"))
    if not moving or len(moving) != len(names):
        raise Refused("Name members of this group to move into the new group.")
    if len(moving) == group_fill(group).members:
        raise Refused("Leave at least one member in the original group.")
    new_group = Group.objects.create(course=group.course, name=_next_group_name(group.course))
    GroupMember.objects.filter(pk__in=[m.pk for m in moving]).update(group=new_group)
    audit_record(
        actor=by,
        action="group.split",
        course=group.course,
        target=group,
        new_group=new_group.pk,
        moved=sorted(names),
        reason=reason,
    )
    return new_group


@transaction.atomic
def group_merge(*, into: Group, other: Group, by: User, reason: str = "") -> Group:
    access.require_group_examiner(user=by, group=into)
    if into.pk == other.pk or into.course_id != other.course_id:
        raise Refused("Choose two different groups of the same course.")
    first, second = sorted([into, other], key=lambda g: g.pk)  # a fixed lock order avoids deadlocks
    _lock_group(first)
    _lock_group(second)
    into.refresh_from_db()
    other.refresh_from_db()
    _require_reason(into, reason)
    _require_reason(other, reason)
    fill = group_fill(into)
    if not fill.fits(group_fill(other, size=fill.size).members):
        raise Refused(f"Together they would have more than {fill.size} members.")
    GroupMember.objects.filter(group=other).update(group=into)
    Invitation.objects.filter(group=other, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.EXPIRED, answered_at=timezone.now()
    )
    audit_record(actor=by, action="group.merge", course=into.course, target=into, merged=other.pk, reason=reason)
    if not other.proposals.exists():
        other.delete()
    return into


# Proposals --------------------------------------------------------------------------------------------------------


def _require_complete(group: Group, what: str) -> None:
    fill = group_fill(group)
    if not fill.complete:
        raise Refused(f"Only a complete group of {fill.size} can {what}.")


@transaction.atomic
def proposal_submit(
    *, group: Group, by: User, title: str, description: str, pdf: "UploadedFile[bytes] | None" = None
) -> Proposal:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    _require_complete(group, "submit a proposal")
    if group.locked:
        raise Refused("Your proposal is already approved.")
    course = group.course
    now = timezone.now()
    version = (group.proposals.aggregate(v=Max("version"))["v"] or 0) + 1
    proposal = Proposal(
        group=group,
        version=version,
        title=(title or "").strip(),
        description=(description or "").strip(),
        submitted_by=by,
        submitted_at=now,
        late=bool(course.proposal_deadline and now > course.proposal_deadline),
        due_on=timezone.localtime(now, course.tz).date() + dt.timedelta(days=course.proposal_approval_days),
    )
    if not proposal.title:
        raise Refused("Give your proposal a title.")
    if not proposal.description:
        raise Refused("Describe your project in a few sentences.")
    if pdf is not None:
        check_pdf(pdf, what="proposal PDF")
        stored = store_by_hash(pdf, folder="project-proposals", extension=".pdf")
        proposal.pdf, proposal.pdf_sha256, proposal.pdf_original_name = (
            stored.name,
            stored.sha256,
            stored.original_name[:200],
        )
    proposal.full_clean()
    group.proposals.filter(status=Proposal.Status.WAITING).update(status=Proposal.Status.SUPERSEDED)
    proposal.save()
    audit_record(actor=by, action="proposal.submit", course=course, target=proposal, late=proposal.late)
    return proposal


@transaction.atomic
def proposal_decide(
    *, proposal: Proposal, by: User, approve: bool = False, reject: bool = False, comment: str = ""
) -> Proposal:
    """Approve (the group is locked), ask for changes or reject (a new proposal is needed); the group is told."""
    access.require_examiner(user=by, course=proposal.group.course)
    if approve and reject:
        raise Refused("Choose one decision: approve, ask for changes or reject.")
    group = _lock_group(proposal.group)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.WAITING:
        raise Refused(f"This version is not waiting for a decision ({proposal.get_status_display().lower()}).")
    if reject and not (comment or "").strip():
        raise Refused("Say in a comment why the proposal is rejected.")
    if not approve and not (comment or "").strip():
        raise Refused("Say what should change in a comment.")
    now = timezone.now()
    proposal.status = (
        Proposal.Status.APPROVED if approve else Proposal.Status.REJECTED if reject else Proposal.Status.CHANGES
    )
    proposal.comment = (comment or "").strip()
    proposal.decided_by, proposal.decided_at = by, now
    proposal.save(update_fields=["status", "comment", "decided_by", "decided_at"])
    if approve:
        group.approved_at = now
        group.save(update_fields=["approved_at"])
        Invitation.objects.filter(group=group, status=Invitation.Status.PENDING).update(
            status=Invitation.Status.EXPIRED, answered_at=now
        )
    verb = {Proposal.Status.APPROVED: "approve", Proposal.Status.REJECTED: "reject"}.get(
        Proposal.Status(proposal.status), "request_changes"
    )
    audit_record(actor=by, action=f"proposal.{verb}", course=group.course, target=proposal)
    outcome = {
        Proposal.Status.APPROVED: "approved: your group is now locked and can go ahead",
        Proposal.Status.CHANGES: "sent back with changes requested: submit a new version",
        Proposal.Status.REJECTED: "rejected: submit a new proposal",
    }[Proposal.Status(proposal.status)]
    notify(
        users=[m.user for m in active_group_members().filter(group=group).select_related("user")],
        kind=Kind.PROPOSAL_DECISION,
        course=group.course,
        subject=f"{group.course.code}: your project proposal is {proposal.get_status_display().lower()}",
        body=f'The proposal "{proposal.title}" (version {proposal.version}) of {group.name} was {outcome}.'
        + (f"\n\nThe examiner's comment:\n{proposal.comment}" if proposal.comment else ""),
        url=reverse("projects:home", args=[group.course.code]),
    )
    return proposal


# Compute account ----------------------------------------------------------------------------------------------------


@transaction.atomic
def compute_account_applied(*, group: Group, by: User, account: str, applied_on: dt.date) -> Group:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if not (account or "").strip():
        raise Refused("Give the account name you applied for.")
    group.compute_account, group.compute_applied_on, group.compute_applied_by = account.strip(), applied_on, by
    group.full_clean()
    group.save(update_fields=["compute_account", "compute_applied_on", "compute_applied_by"])
    audit_record(actor=by, action="compute_account.apply", course=group.course, target=group, account=account)
    return group


@transaction.atomic
def compute_account_granted(*, group: Group, by: User, granted_on: dt.date) -> Group:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if not group.compute_applied_on:
        raise Refused("Record the application first (date and account name).")
    if granted_on < group.compute_applied_on:
        raise Refused("The account cannot be granted before it was applied for.")
    group.compute_granted_on = granted_on
    group.save(update_fields=["compute_granted_on"])
    audit_record(actor=by, action="compute_account.grant", course=group.course, target=group)
    return group


# Final report -----------------------------------------------------------------------------------------------------


@transaction.atomic
def report_upload(*, group: Group, by: User, upload: "UploadedFile[bytes]") -> FinalReport:
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if not group.locked:
        raise Refused("Only a group with an approved proposal can upload the final report.")
    pages = check_pdf(upload, what="report")
    stored = store_by_hash(upload, folder="project-reports", extension=".pdf")
    now = timezone.now()
    deadline = group.course.report_deadline
    report = FinalReport.objects.create(
        group=group,
        file=stored.name,
        sha256=stored.sha256,
        size=stored.size,
        original_name=stored.original_name[:200],
        pages=pages,
        uploaded_by=by,
        uploaded_at=now,
        late=bool(deadline and now > deadline),
    )
    audit_record(actor=by, action="final_report.upload", course=group.course, target=report, late=report.late)
    return report


# Orals --------------------------------------------------------------------------------------------------------------


@transaction.atomic
def oral_slots_publish(
    *, course: Course, by: User, day: dt.date, start: dt.time, count: int, place: str = ""
) -> list[OralSlot]:
    access.require_examiner(user=by, course=course)
    if not (course.orals_start and course.orals_end):
        raise Refused("Set the course's oral period first.")
    if not course.orals_start <= day <= course.orals_end:
        raise Refused(f"Oral slots lie in the oral period, {course.orals_start} to {course.orals_end}.")
    if not 1 <= count <= 40:
        raise Refused("Publish between 1 and 40 slots at a time.")
    length = dt.timedelta(minutes=ProjectSettings.for_course(course).oral_slot_minutes)
    first = dt.datetime.combine(day, start, tzinfo=course.tz)
    slots = []
    for i in range(count):
        starts = first + i * length
        if OralSlot.objects.filter(course=course, starts_at__lt=starts + length, ends_at__gt=starts).exists():
            raise Refused(f"There is already an oral slot at {_local(course, starts)}.")
        slots.append(OralSlot.objects.create(course=course, starts_at=starts, ends_at=starts + length, place=place))
    audit_record(actor=by, action="oral_slot.publish", course=course, count=count, day=str(day))
    return slots


@transaction.atomic
def oral_book(*, slot: OralSlot, group: Group, by: User) -> OralSlot:
    """Book (or move to) a slot for the whole group."""
    access.require_group_member(user=by, group=group)
    group = _lock_group(group)
    if not group.locked:
        raise Refused("Only a group with an approved proposal can book an oral.")
    if not group.reports.exists():
        raise Refused("Upload your final report before booking an oral.")
    slot = OralSlot.objects.select_for_update().get(pk=slot.pk)
    now = timezone.now()
    if slot.course_id != group.course_id:
        raise Refused("That slot belongs to another course.")
    if slot.group_id == group.pk:
        return slot
    if slot.group_id is not None:
        raise Refused("That slot has just been taken; choose another.")
    if slot.starts_at <= now:
        raise Refused("That slot is in the past.")
    hours = ProjectSettings.for_course(group.course).oral_move_before_hours
    current = OralSlot.objects.select_for_update().filter(group=group).first()
    if current is not None:
        if current.starts_at - now < dt.timedelta(hours=hours):
            raise Refused(f"Your oral can only be moved until {hours} hours before it starts.")
        current.group, current.booked_at = None, None
        current.save(update_fields=["group", "booked_at"])
    slot.group, slot.booked_at = group, now
    slot.save(update_fields=["group", "booked_at"])
    audit_record(
        actor=by,
        action="oral_slot.move" if current else "oral_slot.book",
        course=group.course,
        target=slot,
        group=group.pk,
    )
    return slot


@transaction.atomic
def oral_place(*, slot: OralSlot, group: Group, by: User) -> OralSlot:
    """The examiner puts a group in a free oral slot (moving it from its current one), whatever the time left."""
    access.require_group_examiner(user=by, group=group)
    group = _lock_group(group)
    if not group.locked:
        raise Refused(f"{group.name} has no approved proposal, so it has no oral yet.")
    slot = OralSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.course_id != group.course_id:
        raise Refused("That slot belongs to another course.")
    if slot.group_id == group.pk:
        return slot
    if slot.group is not None:
        raise Refused(f"That slot is already {slot.group.name}'s; free it first or choose another.")
    current = OralSlot.objects.select_for_update().filter(group=group).first()
    if current is not None:
        current.group, current.booked_at = None, None
        current.save(update_fields=["group", "booked_at"])
    slot.group, slot.booked_at = group, timezone.now()
    slot.save(update_fields=["group", "booked_at"])
    audit_record(
        actor=by,
        action="oral_slot.place",
        course=group.course,
        target=slot,
        group=group.pk,
        moved_from=current.pk if current else None,
    )
    return slot


def _require_gradable(group: Group) -> None:
    """A project is graded once its final report is in and its oral has taken place."""
    if not group.reports.exists():
        raise Refused(f"{group.name} has not uploaded its final report yet; grade it after the report and oral.")
    slot = OralSlot.objects.filter(group=group).first()
    if slot is None:
        raise Refused(f"{group.name} has no oral booked yet; grade it after its oral.")
    if slot.starts_at > timezone.now():
        raise Refused(
            f"{group.name}'s oral is on {_local(group.course, slot.starts_at)}; grade it once the oral is over."
        )


@transaction.atomic
def oral_grade_record(
    *,
    group: Group,
    by: User,
    grade: str,
    confirmations: dict[int, tuple[bool, str]],
    graded_on: dt.date | None = None,
    reason: str = "",
) -> OralGrade:
    """The group's grade and, for every member, whether the oral confirmed their involvement.

    Once a member's final grade is locked, changing the grade or a confirmation needs a reason. The first grade
    needs the final report and the oral (a grade already recorded can be corrected later).
    """
    access.require_group_examiner(user=by, group=group)
    group = _lock_group(group)
    if grade not in dict(GRADES):
        raise Refused("The grade is one of A, B, C, D, E, Fx, F.")
    if not group.locked:
        raise Refused("Only a group with an approved proposal can be graded.")
    member_ids = set(GroupMember.objects.filter(group=group).values_list("user_id", flat=True))
    if set(confirmations) != member_ids:
        raise Refused("Say for every member of the group whether their involvement was confirmed.")
    graded_on = graded_on or timezone.localdate(timezone=group.course.tz)
    previous = OralGrade.objects.filter(group=group).first()
    if previous is None:
        _require_gradable(group)
    before = {c.user_id: c.confirmed for c in previous.confirmations.all()} if previous else {}
    if previous is None or previous.grade != grade or before != {k: bool(v[0]) for k, v in confirmations.items()}:
        # After finalising, a change behind a locked final grade needs a reason (grading's rule).
        reason = require_reason_if_locked(
            course=group.course, student_ids=member_ids, reason=reason, what=f"the project grade of {group.name}"
        )
    oral, _ = OralGrade.objects.update_or_create(
        group=group, defaults={"grade": grade, "graded_on": graded_on, "graded_by": by}
    )
    for user_id, (confirmed, note) in confirmations.items():
        MemberConfirmation.objects.update_or_create(
            oral_grade=oral, user_id=user_id, defaults={"confirmed": bool(confirmed), "note": (note or "")[:500]}
        )
    oral.confirmations.exclude(user_id__in=member_ids).delete()
    audit_record(
        actor=by,
        action="oral_grade.record",
        course=group.course,
        target=group,
        group=group.name,
        old_grade=previous.grade if previous else None,
        grade=grade,
        confirmed={str(k): bool(v[0]) for k, v in confirmations.items()},
        reason=(reason or "").strip(),
    )
    return oral


# Help sessions ------------------------------------------------------------------------------------------------------


@transaction.atomic
def help_availability_publish(
    *, course: Course, ta: User, date: dt.date, start: dt.time, end: dt.time, place: str
) -> HelpAvailability:
    access.require_staff(user=ta, course=course)
    if end <= start:
        raise Refused("The end time must be after the start time.")
    if not (place or "").strip():
        raise Refused("Say where: a room or a meeting link.")
    minutes = ProjectSettings.for_course(course).help_slot_minutes
    length = dt.timedelta(minutes=minutes)
    begins = dt.datetime.combine(date, start, tzinfo=course.tz)
    finishes = dt.datetime.combine(date, end, tzinfo=course.tz)
    if finishes - begins < length:
        raise Refused(f"The time must hold at least one {minutes}-minute slot.")
    if begins <= timezone.now():
        raise Refused("Publish times in the future.")
    if HelpSlot.objects.filter(ta=ta, starts_at__lt=finishes, ends_at__gt=begins).exists():
        raise Refused("You already have help slots in that time.")
    availability = HelpAvailability.objects.create(
        course=course, ta=ta, date=date, start=start, end=end, place=place.strip()
    )
    slots = []
    moment = begins
    while moment + length <= finishes:
        slots.append(
            HelpSlot(availability=availability, course=course, ta=ta, starts_at=moment, ends_at=moment + length)
        )
        moment += length
    HelpSlot.objects.bulk_create(slots)
    audit_record(actor=ta, action="help_availability.publish", course=course, target=availability, slots=len(slots))
    return availability


@transaction.atomic
def help_availability_withdraw(*, availability: HelpAvailability, by: User) -> None:
    """Take published time back, all its slots at once; refused while any slot is booked."""
    access.require_availability_owner(user=by, availability=availability)
    availabilities = HelpAvailability.objects.select_for_update(of=("self",)).select_related("course")
    locked = availabilities.filter(pk=availability.pk).first()
    if locked is None:
        raise Refused("This time has already been withdrawn.")
    course = locked.course
    # help_book locks the slot row before it looks for a booking: with the slots locked here, a booking either
    # committed before (and is seen below) or waits and then finds its slot gone.
    list(HelpSlot.objects.select_for_update().filter(availability=locked).order_by("pk"))
    booked = HelpBooking.objects.filter(slot__availability=locked, cancelled_at__isnull=True).select_related("slot")
    times = [_local(course, booking.slot.starts_at) for booking in booked.order_by("slot__starts_at")]
    if times:
        raise Refused(
            f"Students have booked {', '.join(times)}, so this time cannot be withdrawn: keep it, "
            "or withdraw it once they have cancelled."
        )
    slots = locked.slots.count()
    audit_record(actor=by, action="help_availability.withdraw", course=course, target=locked, slots=slots)
    locked.delete()


def project_help_refusal(course: Course) -> str:
    return f"project help is booked by your whole group of {group_size(course)}"


@transaction.atomic
def help_book(*, slot: HelpSlot, by: User, kind: str, topic: str) -> HelpBooking:
    course = slot.course
    access.require_active_student(user=by, course=course)
    if kind not in HelpBooking.Kind.values:
        raise Refused("Choose project help or assignment help.")
    if not (topic or "").strip():
        raise Refused("Say briefly what you want help with.")
    # The slot row is the lock every attempt on this slot waits for; the partial unique index is the backstop.
    still_offered = HelpSlot.objects.select_for_update().filter(pk=slot.pk).first()
    if still_offered is None:
        raise Refused("That slot is no longer offered; choose another.")
    slot = still_offered
    now = timezone.now()
    if slot.starts_at <= now:
        raise Refused("That slot has already started.")
    group = None
    attendees = [by]
    if kind == HelpBooking.Kind.PROJECT:
        group = _group_of(course=course, user=by)
        if group is None or not group_fill(group).complete:
            raise Refused(project_help_refusal(course))
        attendees = [m.user for m in active_group_members().filter(group=group).select_related("user")]
    if HelpBooking.objects.filter(slot=slot, cancelled_at__isnull=True).exists():
        raise Refused("That slot has just been taken; choose another.")
    # Lock the attendees' memberships so parallel bookings by one student on different slots queue up.
    list(
        Membership.objects.select_for_update().filter(course=course, user__in=[a.pk for a in attendees]).order_by("pk")
    )
    limit = ProjectSettings.for_course(course).max_upcoming_bookings
    busy = (
        HelpAttendee.objects.filter(
            user__in=[a.pk for a in attendees],
            booking__slot__course=course,
            booking__cancelled_at__isnull=True,
            booking__slot__ends_at__gt=now,
        )
        .values("user__username")
        .annotate(n=Count("id"))
        .filter(n__gte=limit)
    )
    busy_names = sorted(row["user__username"] for row in busy)
    if busy_names:
        who = "You already have" if busy_names == [by.username] else f"{', '.join(busy_names)} already has"
        raise Refused(f"{who} {limit} upcoming help booking(s); cancel one first.")
    try:
        with transaction.atomic():
            booking = HelpBooking.objects.create(slot=slot, kind=kind, group=group, booked_by=by, topic=topic.strip())
    except IntegrityError as exc:
        raise Refused("That slot has just been taken; choose another.") from exc
    HelpAttendee.objects.bulk_create([HelpAttendee(booking=booking, user=a) for a in attendees])
    audit_record(actor=by, action="help_slot.book", course=course, target=booking, kind=kind)
    if group is not None:
        notify(
            users=[a for a in attendees if a.pk != by.pk],
            kind=Kind.HELP_BOOKING,
            course=course,
            subject=f"{course.code}: {by.display_name} booked project help for {group.name}, "
            f"{_local(course, slot.starts_at)}",
            body=f"{by.display_name} booked project help for your whole group with {slot.ta.display_name} on "
            f"{_local(course, slot.starts_at)} ({slot.availability.place}). Topic: {booking.topic}",
            url=reverse("projects:help", args=[course.code]),
        )
    return booking


@transaction.atomic
def help_cancel(*, booking: HelpBooking, by: User) -> HelpBooking:
    access.require_booking_attendee(user=by, booking=booking)
    booking = HelpBooking.objects.select_for_update().select_related("slot__course").get(pk=booking.pk)
    if booking.cancelled_at is not None:
        raise Refused("This booking is already cancelled.")
    course = booking.slot.course
    hours = ProjectSettings.for_course(course).cancel_before_hours
    if booking.slot.starts_at - timezone.now() < dt.timedelta(hours=hours):
        raise Refused(f"A booking can be cancelled until {hours} hours before it starts.")
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["cancelled_at"])
    audit_record(actor=by, action="help_booking.cancel", course=course, target=booking)
    if booking.group is not None:
        notify(
            users=[a.user for a in booking.attendees.select_related("user") if a.user_id != by.pk],
            kind=Kind.HELP_BOOKING,
            course=course,
            subject=f"{course.code}: {by.display_name} cancelled your group's help session, "
            f"{_local(course, booking.slot.starts_at)}",
            body=f"{by.display_name} cancelled the project help session of {booking.group.name} on "
            f"{_local(course, booking.slot.starts_at)} (topic: {booking.topic}). Book another time if you need one.",
            url=reverse("projects:help", args=[course.code]),
        )
    return booking


@transaction.atomic
def help_cancel_by_staff(*, booking: HelpBooking, by: User, reason: str) -> HelpBooking:
    """The TA holding the slot, or the examiner, cancels a booking (at any time, with a reason the students get)."""
    access.require_booking_host(user=by, booking=booking, what="cancel this booking")
    booking = HelpBooking.objects.select_for_update().select_related("slot__course", "slot__ta").get(pk=booking.pk)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Give the students a reason for cancelling their booking.")
    if booking.cancelled_at is not None:
        raise Refused("This booking is already cancelled.")
    if booking.slot.ends_at <= timezone.now():
        raise Refused("This help session is over; there is nothing to cancel.")
    course = booking.slot.course
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["cancelled_at"])
    audit_record(actor=by, action="help_booking.cancel", course=course, target=booking, reason=reason[:500])
    when = _local(course, booking.slot.starts_at)
    notify(
        users=[a.user for a in booking.attendees.select_related("user")],
        kind=Kind.HELP_CANCELLED,
        course=course,
        subject=f"{course.code}: your help session on {when} is cancelled",
        body=f"{by.display_name} cancelled your help session "
        + ("" if by.pk == booking.slot.ta_id else f"with {booking.slot.ta.display_name} ")
        + f"on {when} (topic: {booking.topic}).\n\nReason: {reason}\n\nBook another time on the help page.",
        url=reverse("projects:help", args=[course.code]),
    )
    return booking


def help_withdrawal_cancel(course: Course, user: User) -> int:
    """A student withdrew: cancel the upcoming help bookings they made alone (the slot is free again).

    A group's project-help booking stays for the rest of the group. Called inside the withdrawal's transaction.
    """
    now = timezone.now()
    bookings = list(
        HelpBooking.objects.select_for_update(of=("self",))
        .filter(slot__course=course, cancelled_at__isnull=True, slot__starts_at__gt=now, group__isnull=True)
        .filter(attendees__user=user)
    )
    for booking in bookings:
        booking.cancelled_at = now
        booking.save(update_fields=["cancelled_at"])
        audit_record(actor=None, action="help_booking.cancel", course=course, target=booking, reason="withdrawn")
    return len(bookings)


@transaction.atomic
def help_attendance_note(*, booking: HelpBooking, by: User, attended: bool | None, note: str = "") -> HelpBooking:
    """Optional and without consequence for the students: a TA's own record."""
    access.require_booking_host(user=by, booking=booking)
    booking = HelpBooking.objects.select_for_update().select_related("slot__course").get(pk=booking.pk)
    booking.attended = attended
    booking.attendance_note = (note or "")[:300]
    booking.save(update_fields=["attended", "attendance_note"])
    audit_record(actor=by, action="help_booking.note_attendance", course=booking.slot.course, target=booking)
    return booking


@transaction.atomic
def project_settings_update(*, course: Course, by: User, **values: object) -> ProjectSettings:
    access.require_examiner(user=by, course=course)
    project_settings = ProjectSettings.for_course(course)
    for name, value in values.items():
        setattr(project_settings, name, value)
    project_settings.full_clean()
    project_settings.save()
    audit_record(actor=by, action="project_settings.update", course=course, target=project_settings, **values)
    return project_settings
