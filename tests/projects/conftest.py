"""Fixtures of the project tests: a third student, and groups of three at each stage."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coursesite.models import Course, Role, User
from coursesite.uploads import minimal_pdf
from projects import services
from projects.models import Group, OralSlot
from tests.support import make_member


@pytest.fixture
def carol(course: Course) -> User:
    return make_member(course, "carol", Role.STUDENT, "Carol Student")


@pytest.fixture
def dave(course: Course) -> User:
    return make_member(course, "dave", Role.STUDENT, "Dave Student")


@pytest.fixture
def dated_course(course: Course) -> Course:
    """The fixture course with the project dates of the demo course, relative to today."""
    today = timezone.localdate()
    course.proposal_deadline = timezone.now() + dt.timedelta(days=7)
    course.report_deadline = timezone.now() + dt.timedelta(days=40)
    course.orals_start = today + dt.timedelta(days=45)
    course.orals_end = today + dt.timedelta(days=55)
    course.save()
    return course


def form_group(course: Course, *people: User, name: str = "") -> Group:
    group = services.group_create(course=course, by=people[0], name=name)
    for person in people[1:]:
        invitation = services.group_invite(group=group, by=people[0], username=person.username)
        services.invitation_answer(invitation=invitation, by=person, accept=True)
    return group


def pdf_upload(text: str = "Report", name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf(text), content_type="application/pdf")


@pytest.fixture
def complete_group(dated_course: Course, student: User, other_student: User, carol: User) -> Group:
    return form_group(dated_course, student, other_student, carol, name="Alpha")


@pytest.fixture
def approved_group(complete_group: Group, examiner: User, student: User) -> Group:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="We train a GAN.")
    services.proposal_decide(proposal=proposal, by=examiner, approve=True)
    complete_group.refresh_from_db()
    return complete_group


def hold_oral(group: Group) -> OralSlot:
    """The group's report is in and its oral took place an hour ago: what grading needs."""
    member = group.members.first()
    if not group.reports.exists():
        services.report_upload(group=group, by=member.user, upload=pdf_upload())
    now = timezone.now()
    return OralSlot.objects.create(
        course=group.course,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now - dt.timedelta(minutes=30),
        group=group,
        booked_at=now - dt.timedelta(days=2),
    )


@pytest.fixture
def examined_group(approved_group: Group) -> Group:
    """The approved group after its final report and oral: ready to be graded."""
    hold_oral(approved_group)
    return approved_group
