"""Each form of the project pages posts to its own address; the pages themselves answer GET only."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coursesite.models import AuditLog, Membership
from projects import services
from projects.models import Group, HelpBooking, Invitation, OralSlot, Proposal
from projects.selectors import GroupFill, group_fill

from .conftest import form_group, pdf_upload

CONFIRMED = {"confirmed": "yes"}


def _url(name: str, code: str, *args: object) -> str:
    return reverse(f"projects:{name}", args=[code, *args])


def _free_help_slot(course, ta):
    day = timezone.localdate() + dt.timedelta(days=2)
    availability = services.help_availability_publish(
        course=course, ta=ta, date=day, start=dt.time(10), end=dt.time(11), place="Room 4"
    )
    return availability.slots.order_by("starts_at").first()


def test_a_student_forms_a_group_through_the_new_addresses(course, student, other_student, carol, client_for) -> None:
    alice, bob = client_for(student), client_for(other_student)
    code = course.code
    created = alice.post(_url("group_create", code), {"name": "Alpha"}, follow=True)
    assert "Alpha created; invite the others by their usernames." in created.content.decode()
    group = Group.objects.get(course=course)
    page = alice.get(_url("home", code)).content.decode()
    for name in ("group_invite", "group_leave", "compute_applied"):  # the proposal's form waits for three
        assert f'action="{_url(name, code, group.pk)}"' in page
    assert 'name="action"' not in page

    invited = alice.post(_url("group_invite", code, group.pk), {"username": "bob carol"}, follow=True)
    assert "Invitation sent to bob and carol" in invited.content.decode()
    invitation = Invitation.objects.get(invitee=other_student)
    assert f'action="{_url("invitation_answer", code, invitation.pk)}"' in bob.get(_url("home", code)).content.decode()
    assert bob.post(_url("invitation_answer", code, invitation.pk), {"accept": "1"}).status_code == 302
    assert group.members.count() == 2
    assert AuditLog.objects.filter(action="invitation.accept").count() == 1


def test_every_action_is_a_post_only(course, student, client_for) -> None:
    group = services.group_create(course=course, by=student)
    alice = client_for(student)
    for url in (
        _url("group_create", course.code),
        _url("group_invite", course.code, group.pk),
        _url("group_leave", course.code, group.pk),
        _url("help_book", course.code, 1),
        _url("settings_update", course.code),
    ):
        assert alice.get(url).status_code == 405, url


def test_leaving_is_asked_first_without_javascript(course, student, other_student, client_for) -> None:
    group = form_group(course, student, other_student, name="Alpha")
    url = _url("group_leave", course.code, group.pk)
    asked = client_for(other_student).post(url)
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Leave Alpha?" in html and f'action="{url}"' in html and 'value="yes"' in html
    assert group.members.count() == 2
    assert client_for(other_student).post(url, CONFIRMED).status_code == 302
    assert list(group.members.values_list("user__username", flat=True)) == ["alice"]


def test_a_refused_proposal_keeps_what_was_typed_with_a_400(complete_group, student, client_for) -> None:
    url = _url("proposal_submit", complete_group.course.code, complete_group.pk)
    not_pdf = SimpleUploadedFile("plan.pdf", b"not a pdf", content_type="application/pdf")
    refused = client_for(student).post(url, {"title": "GANs", "description": "We train a GAN.", "pdf": not_pdf})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="GANs"' in html and "We train a GAN." in html
    assert not Proposal.objects.filter(group=complete_group).exists()


def test_another_groups_student_cannot_act_on_a_group(course, student, other_student, carol, client_for) -> None:
    group = services.group_create(course=course, by=student)
    services.group_create(course=course, by=other_student)
    refused = client_for(other_student).post(_url("group_invite", course.code, group.pk), {"username": "carol"})
    assert refused.status_code == 404
    assert not Invitation.objects.exists()


def test_the_examiner_changes_a_group_on_its_own_addresses(
    course, examiner, ta, student, other_student, carol, client_for
) -> None:
    group = services.group_form(course=course, usernames=["alice", "bob"], by=examiner)
    ada, code = client_for(examiner), course.code
    page = ada.get(_url("group", code, group.pk)).content.decode()
    for name in ("member_add", "member_remove", "group_split", "group_merge"):
        assert f'action="{_url(name, code, group.pk)}"' in page
    added = ada.post(_url("member_add", code, group.pk), {"username": "carol"}, follow=True)
    assert f"carol added to {group.name}." in added.content.decode()
    split = ada.post(_url("group_split", code, group.pk), {"usernames": ["carol"]}, follow=True)
    assert "carol moved from" in split.content.decode()
    other = Group.objects.exclude(pk=group.pk).get()
    merged = ada.post(_url("group_merge", code, group.pk), {"other": other.pk}, follow=True)
    assert f"{other.name} merged into {group.name}." in merged.content.decode()
    assert group.members.count() == 3
    # A TA sees the group, but its membership is the examiner's to change.
    assert client_for(ta).post(_url("member_remove", code, group.pk), {"user": carol.pk}).status_code == 403
    removed = ada.post(_url("member_remove", code, group.pk), {"user": carol.pk})
    assert removed.status_code == 302
    assert group.members.count() == 2


def test_the_pages_answer_get_only(approved_group, examiner, student, client_for) -> None:
    """A POST to a page's own address (an old form's "action" included) is refused as the wrong method and does
    nothing: each form posts to its action's address."""
    code, group = approved_group.course.code, approved_group
    pages = [_url(name, code) for name in ("home", "proposal_queue", "orals", "help", "settings")]
    for client in (client_for(student), client_for(examiner)):
        for url in [*pages, _url("group", code, group.pk)]:
            assert client.post(url, {"action": "leave", "name": "Alpha"}).status_code == 405, url
            assert client.get(url).status_code in (200, 403), url
    assert group.members.count() == 3 and Group.objects.count() == 1


def test_help_is_booked_cancelled_and_noted_on_their_own_addresses(course, ta, student, client_for) -> None:
    slot = _free_help_slot(course, ta)
    alice, code = client_for(student), course.code
    assert f'action="{_url("help_book", code, slot.pk)}"' in alice.get(_url("help", code)).content.decode()
    booked = alice.post(_url("help_book", code, slot.pk), {"kind": "assignment", "topic": "A1"}, follow=True)
    assert "Help booked:" in booked.content.decode()
    booking = HelpBooking.objects.get()
    tara = client_for(ta)
    noted = tara.post(_url("help_attendance", code, booking.pk), {"attended": "yes"}, follow=True)
    assert "Attendance noted." in noted.content.decode()
    url = _url("help_cancel", code, booking.pk)
    asked = alice.post(url)
    assert asked.status_code == 200 and "Yes, cancel the booking" in asked.content.decode()
    assert alice.post(url, CONFIRMED).status_code == 302
    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.attended is True


def test_orals_are_published_placed_and_booked_on_their_own_addresses(
    approved_group, examiner, ta, student, client_for
) -> None:
    course, code = approved_group.course, approved_group.course.code
    ada = client_for(examiner)
    day = course.orals_start.isoformat()
    published = ada.post(_url("oral_publish", code), {"day": day, "start": "09:00", "count": "2"}, follow=True)
    assert "2 oral slots published." in published.content.decode()
    first, second = OralSlot.objects.order_by("starts_at")
    assert client_for(ta).post(_url("oral_place", code, first.pk), {"group": approved_group.pk}).status_code == 403
    assert ada.post(_url("oral_place", code, first.pk), {"group": approved_group.pk}).status_code == 302
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())
    moved = client_for(student).post(_url("oral_book", code, second.pk), follow=True)
    assert "Your group&#x27;s oral is booked" in moved.content.decode()
    assert OralSlot.objects.get(group=approved_group).pk == second.pk


def test_the_examiner_decides_on_the_proposals_own_address(complete_group, examiner, student, client_for) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    url = _url("proposal_decide", complete_group.course.code, proposal.pk)
    assert (
        f'action="{url}"'
        in client_for(examiner).get(_url("proposal_queue", complete_group.course.code)).content.decode()
    )
    assert client_for(student).post(url, {"decision": "approve"}).status_code == 403
    assert client_for(examiner).post(url, {"decision": "approve"}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPROVED
    assert AuditLog.objects.filter(action="proposal.approve").count() == 1


@pytest.mark.parametrize(
    ("members", "room", "complete", "fits_two"), [(0, 3, False, True), (2, 1, False, False), (3, 0, True, False)]
)
def test_the_group_size_rule(members, room, complete, fits_two) -> None:
    fill = GroupFill(size=3, members=members)
    assert (fill.room, fill.complete, fill.fits(2)) == (room, complete, fits_two)


def test_group_fill_counts_active_members_only(course, student, other_student, carol) -> None:
    group = form_group(course, student, other_student, carol)
    assert group_fill(group).complete
    Membership.objects.filter(course=course, user=carol).update(withdrawn_at=timezone.now())
    assert group_fill(group) == GroupFill(3, 2)  # carol stays on record, out of the count
    assert group_fill(None, course=course) == GroupFill(3, 0)
