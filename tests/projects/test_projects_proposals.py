"""Proposals: versions, late marking, the approval due date, approve or ask for changes, the examiner's queue."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects import selectors, services
from projects.models import Proposal

from .conftest import form_group, pdf_upload


def test_a_complete_group_submits_a_proposal_with_a_pdf_and_a_due_date(complete_group, student) -> None:
    proposal = services.proposal_submit(
        group=complete_group, by=student, title="GANs", description="We train a GAN.", pdf=pdf_upload("Proposal")
    )
    assert proposal.version == 1
    assert proposal.pdf.startswith("project-proposals/")
    assert not proposal.late
    assert proposal.due_on == timezone.localdate() + dt.timedelta(days=5)
    assert proposal.status == Proposal.Status.WAITING


def test_the_approval_days_come_from_the_course(complete_group, student) -> None:
    complete_group.course.proposal_approval_days = 3
    complete_group.course.save()
    proposal = services.proposal_submit(group=complete_group, by=student, title="T", description="D")
    assert proposal.due_on == timezone.localdate() + dt.timedelta(days=3)


def test_a_late_proposal_is_accepted_and_marked_late(complete_group, student) -> None:
    complete_group.course.proposal_deadline = timezone.now() - dt.timedelta(hours=1)
    complete_group.course.save()
    proposal = services.proposal_submit(group=complete_group, by=student, title="T", description="D")
    assert proposal.late


def test_a_proposal_pdf_that_is_not_a_pdf_is_refused_and_nothing_is_stored(complete_group, student) -> None:
    fake = SimpleUploadedFile("proposal.pdf", b"just text, not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="not a PDF"):
        services.proposal_submit(group=complete_group, by=student, title="T", description="D", pdf=fake)
    assert not complete_group.proposals.exists()


def test_asking_for_changes_needs_a_comment_and_every_version_is_kept(complete_group, examiner, student) -> None:
    first = services.proposal_submit(group=complete_group, by=student, title="v1", description="D")
    with pytest.raises(ValidationError, match="comment"):
        services.proposal_decide(proposal=first, by=examiner, approve=False)
    services.proposal_decide(proposal=first, by=examiner, approve=False, comment="Too broad.")
    second = services.proposal_submit(group=complete_group, by=student, title="v2", description="Narrower.")
    services.proposal_decide(proposal=second, by=examiner, approve=True)

    versions = list(complete_group.proposals.order_by("version").values_list("version", "title", "status", "comment"))
    assert versions == [(1, "v1", "changes", "Too broad."), (2, "v2", "approved", "")]
    complete_group.refresh_from_db()
    assert complete_group.locked
    with pytest.raises(ValidationError, match="already approved"):
        services.proposal_submit(group=complete_group, by=student, title="v3", description="D")


def test_a_resubmission_replaces_the_waiting_version(complete_group, examiner, student) -> None:
    first = services.proposal_submit(group=complete_group, by=student, title="v1", description="D")
    services.proposal_submit(group=complete_group, by=student, title="v2", description="D")
    first.refresh_from_db()
    assert first.status == Proposal.Status.SUPERSEDED
    with pytest.raises(ValidationError, match="not waiting"):
        services.proposal_decide(proposal=first, by=examiner, approve=True)


def test_the_examiners_queue_is_sorted_by_due_date_and_overdue_ones_stand_out(
    dated_course, examiner, student, other_student, carol, client_for, django_assert_max_num_queries
) -> None:
    from coursesite.models import Role
    from tests.support import make_member

    more = [make_member(dated_course, f"s{i}", Role.STUDENT) for i in range(3)]
    late_group = form_group(dated_course, student, other_student, carol, name="Late ones")
    early_group = form_group(dated_course, *more, name="Early ones")
    services.proposal_submit(group=early_group, by=more[0], title="Early", description="D")
    old = services.proposal_submit(group=late_group, by=student, title="Old", description="D")
    Proposal.objects.filter(pk=old.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))

    with django_assert_max_num_queries(4):
        titles = [p.title for p in selectors.proposal_queue(course=dated_course)]
    assert titles == ["Old", "Early"]

    page = client_for(examiner).get(f"/c/{dated_course.code}/projects/proposals/").content.decode()
    assert "overdue" in page
    assert page.index("Old") < page.index("Early")
    dashboard = client_for(examiner).get(f"/c/{dated_course.code}/").content.decode()
    assert "OVERDUE: Proposal of Late ones" in dashboard


def test_the_group_sees_the_status_and_when_it_will_hear_back(complete_group, student, client_for) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    page = client_for(student).get(f"/c/{complete_group.course.code}/projects/").content.decode()
    assert "Waiting for the examiner" in page
    assert proposal.due_on.strftime("%A") in page
    dashboard = client_for(student).get(f"/c/{complete_group.course.code}/").content.decode()
    assert f"You will hear back about your proposal by {proposal.due_on:%A %-d %B}" in dashboard


def test_the_examiner_approves_from_the_queue_page(complete_group, examiner, student, client_for) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    client = client_for(examiner)
    url = f"/c/{complete_group.course.code}/projects/proposals/{proposal.pk}/decide/"
    refused = client.post(url, {"decision": "changes"})
    assert refused.status_code == 400
    assert "Say what should change" in refused.content.decode()
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.APPROVED


def test_students_cannot_see_the_queue(complete_group, student, client_for) -> None:
    assert client_for(student).get(f"/c/{complete_group.course.code}/projects/proposals/").status_code == 403
