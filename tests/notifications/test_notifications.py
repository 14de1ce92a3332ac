"""Telling people: notifications listed in the site and e-mailed on commit (assignments, grading and projects call
`notify`), per-person e-mail preferences (except what the course must tell), and the examiner's announcements."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from assignments import services as assignments
from coursesite.models import AuditLog, Course, Role
from exams.models import ModuleChoice
from grading import services as grading
from notifications import services
from notifications.models import Announcement, EmailOptOut, Notification
from projects import services as projects
from tests.support import make_member

pytestmark = pytest.mark.django_db


def _sent_to() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


def test_an_invitation_is_listed_and_e_mailed_once_the_change_commits(
    course, student, other_student, client_for, django_capture_on_commit_callbacks
) -> None:
    group = projects.group_create(course=course, by=student, name="Alpha")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        projects.group_invite(group=group, by=student, username="bob")
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert _sent_to() == ["bob@example.edu"]
    assert "Alice Student invites you to the project group Alpha" in mail.outbox[0].subject
    assert f"/c/{course.code}/projects/" in mail.outbox[0].body
    page = client_for(other_student).get("/notifications/").content.decode()
    assert "Alice Student invites you" in page and "new" in page
    # Each person sees only their own.
    assert "invites you" not in client_for(student).get("/notifications/").content.decode()
    marked = client_for(other_student).post("/notifications/", follow=True).content.decode()
    assert "Marked 1 notification as read." in marked
    assert not Notification.objects.filter(user=other_student, read_at__isnull=True).exists()


def test_an_optional_kind_turned_off_is_listed_but_not_e_mailed(
    course, student, other_student, client_for, django_capture_on_commit_callbacks
) -> None:
    bob = client_for(other_student)
    page = bob.get("/notifications/preferences/").content.decode()
    assert 'name="group_invitation" value="1" checked' in page
    assert "Changed deadlines" in page.split("Always e-mailed")[1]  # listed as what cannot be turned off
    kept_on = {"help_booking": "1", "review_released": "1"}
    saved = bob.post("/notifications/preferences/", kept_on, follow=True).content.decode()
    assert "Saved: you get e-mails about help sessions booked or cancelled" in saved
    assert EmailOptOut.objects.filter(user=other_student).values_list("kind", flat=True).get() == "group_invitation"

    group = projects.group_create(course=course, by=student, name="Alpha")
    with django_capture_on_commit_callbacks(execute=True):
        projects.group_invite(group=group, by=student, username="bob")
    assert mail.outbox == []
    assert Notification.objects.get(user=other_student).emailed is False


def test_what_the_course_must_tell_cannot_be_turned_off(course, student) -> None:
    with pytest.raises(ValidationError, match="cannot be turned off"):
        services.preferences_set(user=student, email_off=["deadline_change"])
    with pytest.raises(ValidationError, match="Unknown kind"):
        services.preferences_set(user=student, email_off=["everything"])
    assert not EmailOptOut.objects.exists()
    # Even an opt-out row put there by hand does not stop a required kind.
    EmailOptOut.objects.create(user=student, kind="extension")
    (note,) = services.notify(users=[student], kind="extension", subject="s", course=course)
    assert note.emailed is True


def test_extensions_and_deadline_changes_are_told(
    course, examiner, student, other_student, assignment, django_capture_on_commit_callbacks
) -> None:
    later = assignment.deadline_at + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        extension = assignments.extension_grant(assignment=assignment, student=student, deadline_at=later, by=examiner)
    assert _sent_to() == ["alice@example.edu"] and "extension for assignment 1 until" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assignments.extension_revoke(extension=extension, by=examiner)
    assert "extension for assignment 1 was revoked" in mail.outbox[1].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assignments.assignment_update(
            assignment=assignment, by=examiner, deadline_at=assignment.deadline_at + dt.timedelta(days=1)
        )
    assert _sent_to() == ["alice@example.edu", "bob@example.edu"]
    assert "assignment 1 is now due" in mail.outbox[0].subject
    # Another change than the deadline tells nobody.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assignments.assignment_update(assignment=assignment, by=examiner, title="Softmax, revised")
    assert mail.outbox == []


def test_final_grades_published_are_told_without_the_grade_in_the_e_mail(
    course, examiner, student, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        grading.grades_finalise(course=course, by=examiner)
    assert _sent_to() == ["alice@example.edu"]
    assert mail.outbox[0].subject == "DD2424: your final grade is published"
    assert f"/c/{course.code}/grades/" in mail.outbox[0].body


def test_a_mail_server_that_fails_does_not_undo_the_change(
    settings, course, student, other_student, client_for, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    group = projects.group_create(course=course, by=student, name="Alpha")
    with django_capture_on_commit_callbacks(execute=True):
        url = f"/c/{course.code}/projects/groups/{group.pk}/invite/"
        response = client_for(student).post(url, {"username": "bob"})
    assert response.status_code == 302
    assert group.invitations.filter(invitee=other_student).exists()
    assert Notification.objects.filter(user=other_student, kind="group_invitation").exists()


# Announcements ---------------------------------------------------------------------------------------------------


@pytest.fixture
def groups(course: Course, student, other_student):  # type: ignore[no-untyped-def]
    carol = make_member(course, "carol", Role.STUDENT, "Carol Student")
    dave = make_member(course, "dave", Role.STUDENT, "Dave Student")
    group = projects.group_create(course=course, by=student, name="Alpha")
    for person in (other_student, carol):
        invitation = projects.group_invite(group=group, by=student, username=person.username)
        projects.invitation_answer(invitation=invitation, by=person, accept=True)
    ModuleChoice.objects.create(course=course, student=dave, choice="exam", updated_at=timezone.now())
    return group, carol, dave


def test_the_examiner_announces_to_the_course_a_module_or_a_group(
    course, examiner, ta, student, groups, client_for, django_capture_on_commit_callbacks
) -> None:
    group, carol, dave = groups
    ada = client_for(examiner)
    url = f"/c/{course.code}/announcements/"
    with django_capture_on_commit_callbacks(execute=True):
        sent = ada.post(url, {"audience": "course", "subject": "Lecture 5 moved", "body": "To room F1."}, follow=True)
    assert "Announcement “Lecture 5 moved” sent to the whole course: 6 people" in sent.content.decode()
    assert len(mail.outbox) == 6 and "DD2424: Lecture 5 moved" == mail.outbox[0].subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ada.post(url, {"audience": "module", "module": "exam", "subject": "Exam rules", "body": "Open book."})
        ada.post(url, {"audience": "group", "group": group.pk, "subject": "Your oral", "body": "Bring slides."})
    exam = Announcement.objects.get(subject="Exam rules")
    assert list(exam.recipients.values_list("username", flat=True)) == ["dave"]
    oral = Announcement.objects.get(subject="Your oral")
    assert sorted(oral.recipients.values_list("username", flat=True)) == ["alice", "bob", "carol"]
    assert _sent_to() == ["alice@example.edu", "bob@example.edu", "carol@example.edu", "dave@example.edu"]

    # The dashboard shows what reached each student; the history is kept for the staff.
    alice_dashboard = client_for(student).get(f"/c/{course.code}/").content.decode()
    assert "Announcement: Your oral" in alice_dashboard and "Announcement: Lecture 5 moved" in alice_dashboard
    assert "Exam rules" not in alice_dashboard
    assert "Exam rules" in client_for(dave).get(url).content.decode()
    history = client_for(ta).get(url).content.decode()
    assert all(s in history for s in ("Lecture 5 moved", "Exam rules", "Your oral"))
    assert "to exam students (1 person)" in history
    assert AuditLog.objects.filter(action="announcement.send").count() == 3


def test_students_and_tas_cannot_announce(course, ta, student, client_for) -> None:
    url = f"/c/{course.code}/announcements/"
    data = {"audience": "course", "subject": "Free grades", "body": "Everyone passes."}
    assert client_for(student).post(url, data).status_code == 403
    assert client_for(ta).post(url, data).status_code == 403
    assert "Write an announcement" not in client_for(ta).get(url).content.decode()
    assert not Announcement.objects.exists() and not Notification.objects.exists()


def test_a_refused_announcement_keeps_the_text_and_a_foreign_group_is_refused(
    course, examiner, student, client_for
) -> None:
    other = Course.objects.create(code="DD1337", name="Other", term="HT", first_lecture_on=timezone.localdate())
    make_member(other, "zed", Role.STUDENT)
    foreign = projects.group_create(course=other, by=make_member(other, "zoe", Role.STUDENT), name="Theirs")
    url = f"/c/{course.code}/announcements/"
    ada = client_for(examiner)
    refused = ada.post(url, {"audience": "group", "group": foreign.pk, "subject": "Hello", "body": "Kept text"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Choose a project group of this course." in page and "Kept text</textarea>" in page
    empty = ada.post(url, {"audience": "course", "subject": "", "body": "x"})
    assert empty.status_code == 400 and "Give the announcement a subject." in empty.content.decode()
    assert not Announcement.objects.exists()


def test_an_announcement_subject_is_one_line(course, examiner, student) -> None:
    made = services.announcement_create(
        course=course, by=examiner, audience="course", subject="Hi\r\nBcc: everyone@example.edu", body="Text"
    )
    assert made.subject == "Hi Bcc: everyone@example.edu"
    assert Notification.objects.get(user=student).subject == "DD2424: Hi Bcc: everyone@example.edu"


def test_each_notification_is_a_padded_card_not_a_bare_list_row(course, student, other_student, client_for) -> None:
    group = projects.group_create(course=course, by=student, name="Alpha")
    projects.group_invite(group=group, by=student, username="bob")
    page = client_for(other_student).get("/notifications/").content.decode()
    assert '<li class="card unread">' in page
    assert 'class="items notifications"' not in page  # ul.items li would take the card's padding away
