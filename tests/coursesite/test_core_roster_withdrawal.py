"""Issue 14: a student who left the course is marked withdrawn (on the roster page or by the roster's `status`
column): their records stay, they leave the review queue, the gradebook's active list, their group's count and
their own upcoming help bookings, and they can be re-activated. Through the real pages on the test database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assignments import services as assignment_services
from assignments.models import Assignment, Submission
from coursesite.models import AuditLog, Membership, Role, User
from coursesite.uploads import minimal_pdf
from projects import services as project_services
from projects.models import HelpBooking, ProjectSettings
from tests.support import make_member

A1 = b"def EvaluateClassifier(X, W, b):\n    return W @ X + b\n"


@pytest.fixture
def carol(course) -> User:  # type: ignore[no-untyped-def]
    return make_member(course, "carol", Role.STUDENT, "Carol Student")


def _submit(assignment: Assignment, student: User) -> Submission:
    return assignment_services.submission_create(
        assignment=assignment,
        student=student,
        code=[SimpleUploadedFile("assignment1.py", A1, content_type="text/x-python")],
        report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
    )


def _set_status(client, course, user: User, status: str):  # type: ignore[no-untyped-def]
    member = Membership.objects.get(course=course, user=user)
    return client.post(f"/c/DD2424/roster/{member.pk}/status/", {"status": status}, follow=True)


def test_withdrawn_students_leave_the_queue_and_the_active_gradebook_and_come_back(
    course, examiner, ta, student, other_student, assignment, client_for
) -> None:
    alice_work, bob_work = _submit(assignment, student), _submit(assignment, other_student)
    staff = client_for(examiner)

    withdrawn = _set_status(staff, course, student, "withdrawn")

    assert "alice is marked withdrawn; their records are kept." in withdrawn.content.decode()
    queue = client_for(ta).get("/api/courses/DD2424/assignments/queue/").json()
    assert [item["id"] for item in (queue["results"] if isinstance(queue, dict) else queue)] == [bob_work.pk]
    assert "alice" not in client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()
    book = staff.get("/c/DD2424/grades/").content.decode()
    assert "/grades/students/bob/" in book and "/grades/students/alice/" not in book
    assert "1 active student (1 withdrawn, under the Withdrawn filter)" in book
    assert "/grades/students/alice/" in staff.get("/c/DD2424/grades/?status=withdrawn").content.decode()
    api = {
        row["username"]: row["withdrawn"]
        for row in staff.get("/api/courses/DD2424/grading/gradebook/").json()["students"]
    }
    assert api == {"alice": True, "bob": False}  # the API keeps everyone on record, marked
    assert Submission.objects.filter(pk=alice_work.pk).exists()  # nothing is deleted
    assert AuditLog.objects.filter(action="roster.withdraw", actor=examiner).count() == 1

    back = _set_status(staff, course, student, "active")

    assert "alice is active again." in back.content.decode()
    assert "/grades/students/alice/" in staff.get("/c/DD2424/grades/").content.decode()
    assert "alice" in client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()
    assert AuditLog.objects.filter(action="roster.reactivate", actor=examiner).count() == 1


def test_the_roster_status_column_withdraws_and_the_group_counts_active_members(
    course, examiner, student, other_student, carol, client_for
) -> None:
    dave = make_member(course, "dave", Role.STUDENT, "Dave Student")
    group = project_services.group_form(course=course, usernames=["alice", "bob", "carol"], by=examiner)
    roster = b"username,full_name,email,role,status\ncarol,Carol Student,carol@example.edu,student,Withdrawn\n"
    staff = client_for(examiner)

    imported = staff.post(
        "/c/DD2424/roster/", {"roster": SimpleUploadedFile("r.csv", roster, content_type="text/csv")}, follow=True
    )

    assert "Roster imported: 0 new, 1 updated, 0 unchanged; 1 marked withdrawn." in imported.content.decode()
    assert Membership.objects.get(user=carol).withdrawn_at is not None
    with pytest.raises(ValidationError, match="Only a complete group of 3"):
        project_services.proposal_submit(group=group, by=student, title="GANs", description="We train a GAN.")
    page = client_for(student).get("/c/DD2424/projects/").content.decode()
    assert "Carol Student" not in page
    # The group has room for one more active member; carol stays on record in it.
    invitation = project_services.group_invite(group=group, by=student, username="dave")
    project_services.invitation_answer(invitation=invitation, by=dave, accept=True)
    project_services.proposal_submit(group=group, by=student, title="GANs", description="We train a GAN.")
    assert set(group.members.values_list("user__username", flat=True)) == {"alice", "bob", "carol", "dave"}
    with pytest.raises(ValidationError, match="carol is marked as withdrawn"):
        project_services.group_invite(
            group=project_services.group_create(course=course, by=carol), by=carol, username="x"
        )

    reactivated = staff.post(
        "/c/DD2424/roster/",
        {"roster": SimpleUploadedFile("r.csv", roster.replace(b"Withdrawn", b"active"), content_type="text/csv")},
        follow=True,
    )
    assert "1 re-activated." in reactivated.content.decode()
    assert Membership.objects.get(user=carol).withdrawn_at is None


def test_a_withdrawn_students_own_upcoming_bookings_are_cancelled_and_they_cannot_book(
    course, examiner, ta, student, other_student, carol, client_for
) -> None:
    project_services.group_form(course=course, usernames=["alice", "bob", "carol"], by=examiner)
    ProjectSettings.objects.update_or_create(course=course, defaults={"max_upcoming_bookings": 2})
    availability = project_services.help_availability_publish(
        course=course,
        ta=ta,
        date=timezone.localdate() + dt.timedelta(days=3),
        start=dt.time(13),
        end=dt.time(14),
        place="Room 4523",
    )
    slots = list(availability.slots.order_by("starts_at"))
    own = project_services.help_book(slot=slots[0], by=student, kind="assignment", topic="A1 gradients")
    groups = project_services.help_book(slot=slots[1], by=other_student, kind="project", topic="Our model")

    _set_status(client_for(examiner), course, student, "withdrawn")

    own.refresh_from_db()
    groups.refresh_from_db()
    assert own.cancelled_at is not None  # the slot is free again
    assert groups.cancelled_at is None  # the group keeps its booking
    refused = client_for(student).post(
        f"/c/DD2424/projects/help/slots/{slots[2].pk}/book/", {"kind": "assignment", "topic": "A2"}
    )
    assert refused.status_code == 400
    assert "alice is marked as withdrawn from this course." in refused.content.decode()
    assert not HelpBooking.objects.filter(slot=slots[2]).exists()


def test_only_students_can_be_withdrawn_and_only_by_the_examiner(course, examiner, ta, student, client_for) -> None:
    refused = _set_status(client_for(examiner), course, ta, "withdrawn")
    forbidden = client_for(ta).post(
        f"/c/DD2424/roster/{Membership.objects.get(user=student).pk}/status/", {"status": "withdrawn"}
    )
    roster = b"username,full_name,email,role,status\ntara,Tara Assistant,tara@example.edu,ta,withdrawn\n"

    assert "Only students can be marked withdrawn." in refused.content.decode()
    assert forbidden.status_code == 403
    assert Membership.objects.filter(withdrawn_at__isnull=False).count() == 0
    from coursesite.services import roster_import

    assert [str(e) for e in roster_import(course=course, data=roster, by=examiner).errors] == [
        "row 2, column status: only students can be marked withdrawn"
    ]
