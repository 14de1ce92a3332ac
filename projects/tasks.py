"""Daily reminder emails of projects (Celery beat): proposals due tomorrow, groups still without a compute account."""

import datetime as dt
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from coursesite.models import Membership, Role

from .models import Group, ProjectSettings, Proposal


def _claim(queryset: QuerySet[Any], field: str, now: dt.datetime) -> bool:
    """Mark one row as reminded unless another run already did: each reminder is sent once."""
    claimed: int = queryset.filter(**{f"{field}__isnull": True}).update(**{field: now})
    return claimed == 1


def send_proposal_reminders(now: dt.datetime | None = None) -> int:
    """Email the examiner(s) about every waiting proposal whose approval is due tomorrow (or already overdue)."""
    now = now or timezone.now()
    sent = 0
    waiting = Proposal.objects.filter(status=Proposal.Status.WAITING, reminder_sent_at__isnull=True).select_related(
        "group__course"
    )
    for proposal in waiting:
        course = proposal.group.course
        today = timezone.localtime(now, course.tz).date()
        if proposal.due_on - dt.timedelta(days=1) > today:
            continue
        if not _claim(Proposal.objects.filter(pk=proposal.pk), "reminder_sent_at", now):
            continue
        examiners = list(
            Membership.objects.filter(course=course, role=Role.INSTRUCTOR)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
        url = settings.SITE_URL + reverse("projects:proposal_queue", args=[course.code])
        send_mail(
            f"{course.code}: project proposal of {proposal.group.name} is due {proposal.due_on:%a %-d %b}",
            f'The proposal "{proposal.title}" (version {proposal.version}) of {proposal.group.name} waits for your '
            f"decision; the group was told it would hear back by {proposal.due_on:%A %-d %B}.\n\n{url}\n",
            None,
            examiners,
        )
        sent += 1
    return sent


def send_compute_reminders(now: dt.datetime | None = None) -> int:
    """Remind approved groups without a granted compute account, a configurable number of days after approval."""
    now = now or timezone.now()
    sent = 0
    groups = (
        Group.objects.filter(
            approved_at__isnull=False, compute_granted_on__isnull=True, compute_reminder_sent_at__isnull=True
        )
        .select_related("course")
        .prefetch_related("members__user")
    )
    for group in groups:
        days = ProjectSettings.for_course(group.course).compute_reminder_days
        if group.approved_at is None or group.approved_at + dt.timedelta(days=days) > now:
            continue
        if not _claim(Group.objects.filter(pk=group.pk), "compute_reminder_sent_at", now):
            continue
        emails = [m.user.email for m in group.members.all() if m.user.email]
        url = settings.SITE_URL + reverse("projects:home", args=[group.course.code])
        applied = (
            f"You applied on {group.compute_applied_on:%d %b}; record it here when it is granted."
            if group.compute_applied_on
            else "One of you should apply now: it takes time."
        )
        send_mail(
            f"{group.course.code}: {group.name} has no compute account yet",
            f"Your project proposal was approved {days} days ago and your group has no compute account yet. "
            f"{applied}\n\n{url}\n",
            None,
            emails,
        )
        sent += 1
    return sent


@shared_task(name="projects.send_reminders")
def send_reminders() -> dict[str, int]:
    return {"proposals": send_proposal_reminders(), "compute": send_compute_reminders()}
