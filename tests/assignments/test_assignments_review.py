"""TAs claim and review submissions; students are emailed, may ask for a regrade; results feed the final grade."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from assignments import selectors, services
from assignments.models import Review
from coursesite.models import AuditLog, Role
from coursesite.results import AssignmentResult
from notifications.models import Notification
from tests.support import make_member


def test_the_queue_holds_the_latest_unreviewed_work_on_time_first_then_late(
    course, student, other_student, assignment, submit
) -> None:
    now = timezone.now()
    carol = make_member(course, "carol", Role.STUDENT)
    late_bob = submit(assignment, other_student, now=assignment.deadline_at + dt.timedelta(hours=1))
    alice_old = submit(assignment, student, now=now - dt.timedelta(hours=3))
    carol_sub = submit(assignment, carol, now=now - dt.timedelta(hours=2))
    alice_new = submit(assignment, student, now=now - dt.timedelta(hours=1))
    queue = list(selectors.review_queue(course=course))
    assert queue == [carol_sub, alice_new, late_bob]
    assert alice_old not in queue
    assert late_bob.is_late


def test_a_second_ta_cannot_claim_what_another_holds(course, ta, student, assignment, submit) -> None:
    other_ta = make_member(course, "tom", Role.TA)
    submission = submit(assignment, student)
    services.submission_claim(submission=submission, by=ta)
    with pytest.raises(ValidationError, match="already claimed"):
        services.submission_claim(submission=submission, by=other_ta)
    with pytest.raises(PermissionDenied):
        services.review_record(submission=submission, by=other_ta, passed=True)
    assert AuditLog.objects.filter(action="submission.claim").count() == 1


def test_the_instructor_assigns_a_reviewer(course, examiner, ta, student, assignment, submit, client_for) -> None:
    submission = submit(assignment, student)
    response = client_for(examiner).post(
        f"/api/courses/DD2424/assignments/submissions/{submission.pk}/assign/",
        {"reviewer": "tara"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["claimed_by"] == "tara"
    with pytest.raises(PermissionDenied):
        services.submission_assign_reviewer(submission=submission, reviewer=ta, by=ta)


def test_a_review_records_pass_bonus_feedback_emails_the_student_and_writes_audit(
    ta, student, assignment, submit, django_capture_on_commit_callbacks
) -> None:
    submission = submit(assignment, student)
    services.submission_claim(submission=submission, by=ta)
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_record(submission=submission, by=ta, passed=True, bonus=2, feedback="Nice work.")
    assert (review.passed, review.bonus, review.feedback) == (True, 2, "Nice work.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.edu"]
    assert "Pass" in mail.outbox[0].subject and "2 bonus points" in mail.outbox[0].body
    assert Notification.objects.filter(user=student, kind="review_released").count() == 1  # listed in the site too
    assert AuditLog.objects.filter(action="review.record", target_id=str(review.pk)).exists()
    assert list(selectors.review_queue(course=assignment.course)) == []


@pytest.mark.parametrize(("passed", "bonus", "message"), [(True, 3, "from 0 to 2"), (False, 1, "go with a pass")])
def test_it_refuses_bonus_outside_the_range(ta, student, assignment, submit, passed, bonus, message) -> None:  # type: ignore[no-untyped-def]
    submission = submit(assignment, student)
    with pytest.raises(ValidationError, match=message):
        services.review_record(submission=submission, by=ta, passed=passed, bonus=bonus)
    assert not Review.objects.exists()


def test_only_the_latest_submission_can_be_reviewed_and_a_claim_moves_to_the_new_one(
    ta, student, assignment, submit
) -> None:  # type: ignore[no-untyped-def]
    first = submit(assignment, student)
    services.submission_claim(submission=first, by=ta)
    second = submit(assignment, student)
    assert second.claimed_by == ta
    with pytest.raises(ValidationError, match="newer work"):
        services.review_record(submission=first, by=ta, passed=True)
    services.review_record(submission=second, by=ta, passed=True)


def test_a_regrade_is_asked_within_the_window_answered_and_both_are_kept(
    course, ta, student, assignment, submit, django_capture_on_commit_callbacks
) -> None:
    submission = submit(assignment, student)
    review = services.review_record(submission=submission, by=ta, passed=False, feedback="Gradients are wrong.")
    assert selectors.assignment_results(course=course)[student.pk][1] == AssignmentResult(passed=False, bonus=0)
    regrade = services.regrade_request(review=review, by=student, reason="My gradient check passes, see page 2.")
    with pytest.raises(ValidationError, match="already asked"):
        services.regrade_request(review=review, by=student, reason="Again")
    with django_capture_on_commit_callbacks(execute=True):
        services.regrade_answer(regrade=regrade, by=ta, answer="You are right, page 2 shows it.", passed=True, bonus=1)
    review.refresh_from_db()
    regrade.refresh_from_db()
    assert review.passed is False  # the original review stays as it was
    assert (regrade.passed, regrade.bonus, regrade.reason) == (True, 1, "My gradient check passes, see page 2.")
    assert "regrade answered" in mail.outbox[-1].subject
    result = selectors.assignment_results(course=course)[student.pk][1]
    assert (result.passed, result.bonus) == (True, 1)
    assert result.completed_on == timezone.localdate(regrade.answered_at, course.tz)
    assert AuditLog.objects.filter(action="regrade.answer").count() == 1


def test_a_regrade_after_the_window_is_refused(ta, student, other_student, assignment, submit) -> None:
    review = services.review_record(submission=submit(assignment, student), by=ta, passed=True)
    with pytest.raises(ValidationError, match="close 7 days after the review"):
        services.regrade_request(review=review, by=student, reason="Please", now=timezone.now() + dt.timedelta(days=8))
    with pytest.raises(Http404):  # another student's submission does not exist for them
        services.regrade_request(review=review, by=other_student, reason="Please")


def test_results_come_from_the_latest_reviewed_submission_of_each_student(
    course, ta, student, other_student, assignment, late_assignment, submit, django_assert_max_num_queries
) -> None:
    first = submit(assignment, student)
    services.review_record(submission=first, by=ta, passed=False)
    second = submit(assignment, student)
    services.review_record(submission=second, by=ta, passed=True, bonus=2)
    submit(assignment, student)  # a third, not reviewed yet: the reviewed pass still counts
    services.review_record(submission=submit(late_assignment, other_student), by=ta, passed=True, bonus=3)
    with django_assert_max_num_queries(1):
        results = selectors.assignment_results(course=course)
    assert results[student.pk] == {1: AssignmentResult(True, 2, timezone.localdate(timezone.now(), course.tz))}
    assert results[other_student.pk][2].bonus == 3
    assert 1 not in results[other_student.pk]


def test_an_extension_makes_work_on_time_and_writes_audit(
    course, examiner, ta, student, late_assignment, submit
) -> None:  # type: ignore[no-untyped-def]
    submission = submit(late_assignment, student)
    assert submission.is_late
    services.extension_grant(
        assignment=late_assignment,
        student=student,
        deadline_at=timezone.now() + dt.timedelta(days=2),
        reason="Ill",
        by=examiner,
    )
    submission.refresh_from_db()
    assert not submission.is_late
    assert not submit(late_assignment, student).is_late
    assert AuditLog.objects.filter(action="extension.grant").count() == 1
    with pytest.raises(PermissionDenied):
        services.extension_grant(assignment=late_assignment, student=student, deadline_at=timezone.now(), by=ta)
    with pytest.raises(ValidationError, match="after the assignment's own deadline"):
        services.extension_grant(
            assignment=late_assignment, student=student, deadline_at=late_assignment.deadline_at, by=examiner
        )
