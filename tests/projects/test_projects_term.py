"""Rough edges of a real term in projects: grading waits for the report and the oral, members start unconfirmed,
the examiner places groups in oral slots, staff cancel help bookings with a reason, confirmation steps, the module
choice flag, proposals (typed text kept, who may open the PDF, every decision e-mailed)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from coursesite.models import Role
from exams.models import ModuleChoice
from notifications.models import Notification
from projects import services
from projects.models import Group, GroupMember, HelpBooking, Invitation, OralGrade, OralSlot, Proposal
from tests.support import make_member, open_help_slot

from .conftest import hold_oral, pdf_upload

CONFIRMED = {"confirmed": "yes"}


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def _everyone(group) -> dict:  # type: ignore[no-untyped-def]
    return {m.user_id: (True, "") for m in group.members.all()}


def _grade(group, examiner) -> None:  # type: ignore[no-untyped-def]
    services.oral_grade_record(group=group, by=examiner, grade="B", confirmations=_everyone(group))


def _book_group_help(course, ta, student):  # type: ignore[no-untyped-def]
    slot = open_help_slot(course, ta)
    return services.help_book(slot=slot, by=student, kind=HelpBooking.Kind.PROJECT, topic="Our GAN collapses")


# Grading waits for the report and the oral; members start unconfirmed -----------------------------------------------


def test_a_project_is_not_graded_before_its_report_and_its_oral(approved_group, examiner, student) -> None:
    with pytest.raises(ValidationError, match="has not uploaded its final report"):
        services.oral_grade_record(
            group=approved_group, by=examiner, grade="B", confirmations=_everyone(approved_group)
        )
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())
    with pytest.raises(ValidationError, match="no oral booked yet"):
        services.oral_grade_record(
            group=approved_group, by=examiner, grade="B", confirmations=_everyone(approved_group)
        )
    course = approved_group.course
    slot = services.oral_slots_publish(course=course, by=examiner, day=course.orals_start, start=dt.time(9), count=1)[0]
    services.oral_book(slot=slot, group=approved_group, by=student)
    with pytest.raises(ValidationError, match="grade it once the oral is over"):
        services.oral_grade_record(
            group=approved_group, by=examiner, grade="B", confirmations=_everyone(approved_group)
        )
    assert not OralGrade.objects.exists()


def test_the_group_page_refuses_an_early_grade_in_words_and_starts_members_unconfirmed(
    approved_group, examiner, client_for
) -> None:
    url = f"/c/{approved_group.course.code}/projects/groups/{approved_group.pk}/"
    ada = client_for(examiner)
    page = ada.get(url).content.decode()
    assert 'name="confirmed_' in page and 'value="1" checked' not in page  # nobody is ticked in advance
    data = {"grade": "A"} | {f"confirmed_{m.user_id}": "1" for m in approved_group.members.all()}
    refused = ada.post(f"{url}grade/", data)
    assert refused.status_code == 400
    assert "Alpha has not uploaded its final report yet" in refused.content.decode()
    hold_oral(approved_group)
    graded = ada.post(f"{url}grade/", data, follow=True)
    assert "Alpha graded A; every member confirmed." in graded.content.decode()


# The examiner places a group in an oral slot ------------------------------------------------------------------------


def test_the_examiner_places_a_group_in_an_oral_slot_and_moves_it(
    approved_group, examiner, ta, student, client_for
) -> None:
    course = approved_group.course
    first, second = services.oral_slots_publish(
        course=course, by=examiner, day=course.orals_start, start=dt.time(9), count=2
    )
    url = f"/c/{course.code}/projects/orals/"
    ada = client_for(examiner)
    assert f"/projects/orals/{first.pk}/place/" in ada.get(url).content.decode()
    placed = ada.post(f"{url}{first.pk}/place/", {"group": approved_group.pk}, follow=True)
    assert "Alpha placed in the oral slot of" in placed.content.decode()
    # Moving is the examiner's to do whatever the time left; the old slot is free again.
    ada.post(f"{url}{second.pk}/place/", {"group": approved_group.pk})
    assert OralSlot.objects.get(group=approved_group).pk == second.pk
    # A TA and a student cannot place anyone; the API says the same.
    assert client_for(ta).post(f"{url}{first.pk}/place/", {"group": approved_group.pk}).status_code == 403
    api = f"/api/courses/{course.code}/projects/orals/{first.pk}/place/"
    assert _api(student).post(api, {"group": approved_group.pk}).status_code == 403
    assert _api(examiner).post(api, {"group": approved_group.pk}).json()["id"] == first.pk


def test_a_group_without_approval_cannot_be_placed(complete_group, examiner) -> None:
    course = complete_group.course
    slot = services.oral_slots_publish(course=course, by=examiner, day=course.orals_start, start=dt.time(9), count=1)[0]
    with pytest.raises(ValidationError, match="no approved proposal"):
        services.oral_place(slot=slot, group=complete_group, by=examiner)


# Staff cancel a booked help slot, with a reason the students get ----------------------------------------------------


def test_the_ta_cancels_a_booked_slot_and_the_students_get_the_reason(
    complete_group, ta, student, other_student, carol, client_for, django_capture_on_commit_callbacks
) -> None:
    course = complete_group.course
    booking = _book_group_help(course, ta, student)
    url = f"/c/{course.code}/projects/help/"
    cancel = f"{url}bookings/{booking.pk}/cancel/"
    tara = client_for(ta)
    assert "Cancel booking" in tara.get(url).content.decode()
    no_reason = tara.post(cancel, {"reason": " "} | CONFIRMED)
    assert no_reason.status_code == 400 and "Give the students a reason" in no_reason.content.decode()

    asked = tara.post(cancel, {"reason": "I am ill today"})
    assert "Yes, cancel the booking" in asked.content.decode()  # asked first, the reason carried along
    assert 'name="reason" value="I am ill today"' in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = tara.post(cancel, {"reason": "I am ill today"} | CONFIRMED)
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.cancelled_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.edu", "bob@example.edu", "carol@example.edu"]
    assert all("Reason: I am ill today" in m.body for m in mail.outbox)
    assert Notification.objects.filter(kind="help_cancelled", user=carol).count() == 1


def test_another_ta_and_a_student_cannot_cancel_someone_elses_booking(
    complete_group, ta, student, dave, client_for
) -> None:
    course = complete_group.course
    booking = _book_group_help(course, ta, student)
    tom = make_member(course, "tom", Role.TA, "Tom Assistant")
    url = f"/c/{course.code}/projects/help/bookings/{booking.pk}/cancel/"
    refused = client_for(tom).post(url, {"reason": "x"} | CONFIRMED)
    assert refused.status_code == 403
    outsider = client_for(dave).post(url, CONFIRMED)
    assert outsider.status_code == 404 and "Only the people booked" in outsider.content.decode()  # not theirs
    api = f"/api/courses/{course.code}/projects/help/bookings/{booking.pk}/cancel/"
    assert _api(tom).post(api, {"reason": "x"}).status_code == 403
    booking.refresh_from_db()
    assert booking.cancelled_at is None


# Confirmation steps; the other members are told ---------------------------------------------------------------------


def test_leaving_a_group_asks_first(complete_group, student, client_for) -> None:
    url = f"/c/{complete_group.course.code}/projects/groups/{complete_group.pk}/leave/"
    alice = client_for(student)
    asked = alice.post(url)
    assert asked.status_code == 200 and "Leave Alpha?" in asked.content.decode()
    assert GroupMember.objects.filter(user=student).exists()
    left = alice.post(url, CONFIRMED, follow=True)
    assert "You left Alpha." in left.content.decode()
    assert not GroupMember.objects.filter(user=student).exists()


def test_cancelling_a_group_booking_asks_first_and_tells_the_others(
    complete_group, ta, student, other_student, carol, client_for, django_capture_on_commit_callbacks
) -> None:
    course = complete_group.course
    booking = _book_group_help(course, ta, student)
    assert Notification.objects.filter(kind="help_booking", user=carol).count() == 1  # told of the booking too
    url = f"/c/{course.code}/projects/help/bookings/{booking.pk}/cancel/"
    bob = client_for(other_student)
    asked = bob.post(url)
    assert "Alice Student and Carol Student will be told" in asked.content.decode()
    assert HelpBooking.objects.get(pk=booking.pk).cancelled_at is None
    with django_capture_on_commit_callbacks(execute=True):
        done = bob.post(url, CONFIRMED, follow=True)
    assert "is cancelled; the rest of your group was told." in done.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.edu", "carol@example.edu"]
    assert "Bob Student cancelled your group's help session" in mail.outbox[0].subject


# The module choice that still says exam -----------------------------------------------------------------------------


def test_an_exam_choice_in_an_approved_group_is_flagged_to_the_student_and_the_examiner(
    approved_group, examiner, student, carol, client_for
) -> None:
    course = approved_group.course
    ModuleChoice.objects.create(course=course, student=carol, choice="exam", updated_at=timezone.now())
    ModuleChoice.objects.create(course=course, student=student, choice="project", updated_at=timezone.now())
    url = f"/c/{course.code}/projects/"
    assert "Your module choice still says exam" in client_for(carol).get(url).content.decode()
    assert "Your module choice still says exam" not in client_for(student).get(url).content.decode()
    staff = client_for(examiner).get(url).content.decode()
    assert "In an approved group, but the module choice says exam" in staff
    assert "Carol Student" in staff.split("module choice says exam")[1].split("</section>")[0]


# Proposals ----------------------------------------------------------------------------------------------------------


def test_a_proposal_refused_for_its_file_keeps_the_typed_text(complete_group, student, client_for) -> None:
    fake = SimpleUploadedFile("proposal.pdf", b"not a pdf at all", content_type="application/pdf")
    data = {"title": "Diffusion for MNIST", "description": "We train a small DDPM.", "pdf": fake}
    url = f"/c/{complete_group.course.code}/projects/groups/{complete_group.pk}/proposals/submit/"
    response = client_for(student).post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Diffusion for MNIST"' in page and ">We train a small DDPM.</textarea>" in page
    assert not Proposal.objects.exists()


def test_the_proposal_pdf_opens_for_the_group_and_the_examiner_only(
    complete_group, examiner, ta, student, carol, dave, outsider, client_for
) -> None:
    proposal = services.proposal_submit(
        group=complete_group, by=student, title="T", description="D", pdf=pdf_upload("Proposal", "plan.pdf")
    )
    url = f"/c/{complete_group.course.code}/projects/files/proposal/{proposal.pk}/"
    assert client_for(carol).get(url).status_code == 200
    assert client_for(examiner).get(url).status_code == 200
    assert url in client_for(carol).get(f"/c/{complete_group.course.code}/projects/").content.decode()
    assert client_for(ta).get(url).status_code == 404
    assert client_for(dave).get(url).status_code == 404  # a student of another group: not theirs to see
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    ("decision", "status", "words"),
    [
        ("approve", "approved", "approved"),
        ("changes", "changes", "changes requested"),
        ("reject", "rejected", "rejected"),
    ],
)
def test_every_decision_is_e_mailed_to_the_group(
    complete_group, examiner, student, client_for, django_capture_on_commit_callbacks, decision, status, words
) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    url = f"/c/{complete_group.course.code}/projects/proposals/{proposal.pk}/decide/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(examiner).post(url, {"decision": decision, "comment": "See my notes."}, follow=True)
    assert f"Alpha: {words}; the group was told by e-mail." in response.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == status
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.edu", "bob@example.edu", "carol@example.edu"]
    assert words in mail.outbox[0].subject and "See my notes." in mail.outbox[0].body


def test_a_rejection_needs_a_comment_and_the_api_takes_the_decision(complete_group, examiner, student) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    api = f"/api/courses/{complete_group.course.code}/projects/proposals/{proposal.pk}/decision/"
    refused = _api(examiner).post(api, {"decision": "reject"}, format="json")
    assert refused.status_code == 400 and "why the proposal is rejected" in refused.json()["detail"]
    rejected = _api(examiner).post(api, {"decision": "reject", "comment": "Out of scope."}, format="json")
    assert rejected.json()["status"] == "rejected"
    # A rejected group is not locked: it submits a new proposal.
    assert services.proposal_submit(group=complete_group, by=student, title="New", description="D").version == 2


def test_success_messages_say_what_happened(dated_course, student, other_student, carol, client_for) -> None:
    url = f"/c/{dated_course.code}/projects/"
    alice = client_for(student)
    created = alice.post(f"{url}groups/create/", {"name": "Alpha"}, follow=True).content.decode()
    assert "Alpha created" in created
    invite = f"{url}groups/{Group.objects.get(course=dated_course).pk}/invite/"
    invited = alice.post(invite, {"username": "bob carol"}, follow=True).content.decode()
    assert "Invitation sent to bob and carol" in invited
    # One refusal invites nobody.
    make_member(dated_course, "erin", Role.STUDENT)
    refused = alice.post(invite, {"username": "erin nobody"})
    assert refused.status_code == 400 and "There is no user called &#x27;nobody&#x27;" in refused.content.decode()
    assert not Invitation.objects.filter(invitee__username="erin").exists()
