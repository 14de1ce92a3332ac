"""Groups: invitations, one group per student, exactly three, partner list, instructor changes, locking."""

import pytest
from django.core.exceptions import ValidationError

from coursesite.errors import NotFound
from coursesite.models import AuditLog
from projects import selectors, services
from projects.models import GroupMember, Invitation

from .conftest import form_group


def test_a_student_creates_a_group_and_invitees_accept_or_decline(course, student, other_student, carol) -> None:
    group = services.group_create(course=course, by=student, name="Alpha")
    to_bob = services.group_invite(group=group, by=student, username="bob")
    to_carol = services.group_invite(group=group, by=student, username="carol")

    services.invitation_answer(invitation=to_bob, by=other_student, accept=True)
    services.invitation_answer(invitation=to_carol, by=carol, accept=False)

    assert sorted(group.members.values_list("user__username", flat=True)) == ["alice", "bob"]
    to_carol.refresh_from_db()
    assert to_carol.status == Invitation.Status.DECLINED
    assert AuditLog.objects.filter(action="invitation.accept").count() == 1


def test_it_refuses_someone_elses_invitation_and_answering_twice(course, student, other_student, carol) -> None:
    group = services.group_create(course=course, by=student)
    invitation = services.group_invite(group=group, by=student, username="bob")
    with pytest.raises(NotFound, match="not yours"):  # someone else's invitation does not exist for carol
        services.invitation_answer(invitation=invitation, by=carol, accept=True)
    services.invitation_answer(invitation=invitation, by=other_student, accept=False)
    with pytest.raises(ValidationError, match="no longer open"):
        services.invitation_answer(invitation=invitation, by=other_student, accept=True)


def test_a_student_belongs_to_at_most_one_group(course, student, other_student) -> None:
    services.group_create(course=course, by=student)
    other = services.group_create(course=course, by=other_student)
    with pytest.raises(ValidationError, match="already in a project group"):
        services.group_invite(group=other, by=other_student, username="alice")
    with pytest.raises(ValidationError, match="already in a project group"):
        services.group_create(course=course, by=student)


def test_joining_a_group_ends_the_other_invitations(course, student, other_student, carol) -> None:
    first = services.group_create(course=course, by=student)
    second = services.group_create(course=course, by=other_student)
    a = services.group_invite(group=first, by=student, username="carol")
    b = services.group_invite(group=second, by=other_student, username="carol")
    services.invitation_answer(invitation=a, by=carol, accept=True)
    b.refresh_from_db()
    assert b.status == Invitation.Status.EXPIRED


def test_a_group_cannot_grow_past_three(course, examiner, student, other_student, carol, dave) -> None:
    group = services.group_create(course=course, by=student)
    invitations = [services.group_invite(group=group, by=student, username=u) for u in ("bob", "carol", "dave")]
    services.invitation_answer(invitation=invitations[0], by=other_student, accept=True)
    services.invitation_answer(invitation=invitations[1], by=carol, accept=True)
    with pytest.raises(ValidationError, match="already complete"):
        services.invitation_answer(invitation=invitations[2], by=dave, accept=True)
    with pytest.raises(ValidationError, match="already complete"):
        services.group_member_add(group=group, username="dave", by=examiner)
    assert group.members.count() == 3


def test_it_refuses_inviting_staff_outsiders_and_unknown_names(course, student, ta, outsider) -> None:
    group = services.group_create(course=course, by=student)
    for name in ("tara", "charlie"):
        with pytest.raises(ValidationError, match="not a student of this course"):
            services.group_invite(group=group, by=student, username=name)
    with pytest.raises(ValidationError, match="no user called"):
        services.group_invite(group=group, by=student, username="nobody")


def test_an_incomplete_group_cannot_submit_a_proposal(course, student, other_student) -> None:
    group = form_group(course, student, other_student)
    with pytest.raises(ValidationError, match="complete group of 3"):
        services.proposal_submit(group=group, by=student, title="T", description="D")
    assert not group.proposals.exists()


def test_students_without_a_group_can_list_themselves_for_partners(course, student, other_student) -> None:
    services.partner_search_set(course=course, by=student, looking=True, note="Likes RNNs")
    assert [s.user.username for s in selectors.partner_searches(course=course)] == ["alice"]
    services.group_create(course=course, by=student)  # joining a group takes them off the list
    assert not selectors.partner_searches(course=course).exists()
    assert [u.username for u in selectors.students_without_group(course=course)] == ["bob"]


def test_the_instructor_forms_splits_and_merges_groups(course, examiner, student, other_student, carol) -> None:
    group = services.group_form(course=course, usernames=["alice", "bob", "carol"], by=examiner)
    assert group.members.count() == 3

    new = services.group_split(group=group, usernames=["carol"], by=examiner)
    assert list(new.members.values_list("user__username", flat=True)) == ["carol"]
    assert group.members.count() == 2

    services.group_merge(into=group, other=new, by=examiner)
    assert group.members.count() == 3
    assert {"group.form", "group.split", "group.merge"} <= set(AuditLog.objects.values_list("action", flat=True))


def test_after_approval_only_the_instructor_changes_members_with_a_reason(approved_group, examiner, student, dave):
    with pytest.raises(ValidationError, match="locked"):
        services.group_leave(group=approved_group, by=student)
    with pytest.raises(ValidationError, match="give a reason"):
        services.group_member_remove(group=approved_group, user=student, by=examiner)

    services.group_member_remove(group=approved_group, user=student, by=examiner, reason="Alice left the course")
    services.group_member_add(group=approved_group, username="dave", by=examiner, reason="Dave replaces Alice")

    assert sorted(approved_group.members.values_list("user__username", flat=True)) == ["bob", "carol", "dave"]
    row = AuditLog.objects.get(action="group_member.remove")
    assert row.data == {"user": "alice", "reason": "Alice left the course"}
    assert row.actor == examiner


def test_the_database_keeps_one_group_per_student(course, student, other_student) -> None:
    group = services.group_create(course=course, by=student)
    other = services.group_create(course=course, by=other_student)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.create(group=other, course=course, user=student)
    assert group.members.count() == 1
