"""Reminder emails: the examiner the day before a proposal is due; groups without a compute account after approval."""

import datetime as dt

from django.core import mail
from django.utils import timezone

from coursesite.celery import app
from projects import services, tasks
from projects.models import Group, Proposal


def test_the_examiner_is_reminded_the_day_before_the_due_date_once(complete_group, examiner, student) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    now = timezone.now()

    assert tasks.send_proposal_reminders(now) == 0  # due in five days: not yet
    day_before = now + dt.timedelta(days=4)
    assert tasks.send_proposal_reminders(day_before) == 1
    assert tasks.send_proposal_reminders(day_before) == 0  # remembered: sent once

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["examiner@example.edu"]
    assert "Alpha" in mail.outbox[0].subject
    proposal.refresh_from_db()
    assert proposal.reminder_sent_at is not None


def test_no_reminder_for_a_proposal_already_decided(complete_group, examiner, student) -> None:
    proposal = services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    services.proposal_decide(proposal=proposal, by=examiner, approve=True)
    assert tasks.send_proposal_reminders(timezone.now() + dt.timedelta(days=4)) == 0
    assert mail.outbox == []


def test_groups_without_a_compute_account_are_reminded_after_the_configured_days(approved_group, examiner) -> None:
    services.project_settings_update(course=approved_group.course, by=examiner, compute_reminder_days=3)
    now = timezone.now()
    assert tasks.send_compute_reminders(now + dt.timedelta(days=2)) == 0
    assert tasks.send_compute_reminders(now + dt.timedelta(days=3, hours=1)) == 1
    assert tasks.send_compute_reminders(now + dt.timedelta(days=4)) == 0
    assert sorted(mail.outbox[0].to) == ["alice@example.edu", "bob@example.edu", "carol@example.edu"]
    assert "no compute account" in mail.outbox[0].subject


def test_a_group_with_a_granted_account_is_not_reminded(approved_group, student) -> None:
    today = timezone.localdate()
    services.compute_account_applied(group=approved_group, by=student, account="dd2424-g1", applied_on=today)
    services.compute_account_granted(group=approved_group, by=student, granted_on=today)
    assert tasks.send_compute_reminders(timezone.now() + dt.timedelta(days=30)) == 0
    assert Group.objects.get(pk=approved_group.pk).compute_reminder_sent_at is None


def test_the_daily_task_is_in_the_beat_schedule_and_runs_both(complete_group, examiner, student) -> None:
    entry = app.conf.beat_schedule["projects-daily-reminders"]
    assert entry["task"] == "projects.send_reminders"
    services.proposal_submit(group=complete_group, by=student, title="GANs", description="D")
    Proposal.objects.update(due_on=timezone.localdate())
    assert tasks.send_reminders() == {"proposals": 1, "compute": 0}


def test_staff_see_approved_groups_without_an_account(approved_group, ta, client_for) -> None:
    page = client_for(ta).get(f"/c/{approved_group.course.code}/projects/").content.decode()
    section = page[page.index("without a compute account") :]
    assert "Alpha" in section[:400]
