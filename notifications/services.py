"""Telling people: `notify` (used by every app) records a notification and e-mails it once the change commits."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from coursesite.access import require_instructor
from coursesite.audit import audit_record
from coursesite.models import Course, Membership, Role, User
from exams.models import ModuleChoice
from projects.models import Group, GroupMember

from .models import REQUIRED_KINDS, Announcement, EmailOptOut, Kind, Notification

log = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def _send(notifications: list[Notification]) -> None:
    """E-mail the notifications through the site's mail settings; a mail server failure never undoes the change."""
    messages = []
    for note in notifications:
        if not (note.emailed and note.user.email):
            continue
        body = note.body + (f"\n\nSee it here: {_absolute(note.url)}\n" if note.url else "\n")
        messages.append(EmailMessage(note.subject, body, to=[note.user.email]))
    if not messages:
        return
    try:
        get_connection().send_messages(messages)
    except Exception:  # the notification stays listed in the site; the change it reports has happened
        log.exception("could not e-mail %d notification(s)", len(messages))


def notify(
    *, users: Iterable[User], kind: str, subject: str, body: str = "", url: str = "", course: Course | None = None
) -> list[Notification]:
    """Tell each person: listed in the site at once, e-mailed after the surrounding transaction commits.

    An optional kind the person turned off is listed but not e-mailed; what the course must tell (REQUIRED_KINDS)
    is always e-mailed.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {u.pk: u for u in users if u is not None and u.pk}
    if not people:
        return []
    opted_out: set[int] = set()
    if kind not in REQUIRED_KINDS:
        opted_out = set(EmailOptOut.objects.filter(kind=kind, user__in=people).values_list("user_id", flat=True))
    notes = Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                course=course,
                kind=kind,
                subject=subject[:200],
                body=body,
                url=url[:300],
                emailed=pk not in opted_out and bool(user.email),
            )
            for pk, user in people.items()
        ]
    )
    transaction.on_commit(lambda: _send(notes))
    return notes


@transaction.atomic
def preferences_set(*, user: User, email_off: Iterable[str]) -> set[str]:
    """The optional kinds this person wants no e-mail for; required kinds cannot be turned off."""
    wanted_off = set(email_off)
    unknown = wanted_off - set(Kind.values)
    if unknown:
        raise ValidationError(f"Unknown kind of notification: {', '.join(sorted(unknown))}.")
    required = wanted_off & REQUIRED_KINDS
    if required:
        labels = ", ".join(Kind(k).label.lower() for k in sorted(required))
        raise ValidationError(f"The course must tell you about {labels}; those e-mails cannot be turned off.")
    EmailOptOut.objects.filter(user=user).exclude(kind__in=wanted_off).delete()
    for kind in wanted_off:
        EmailOptOut.objects.get_or_create(user=user, kind=kind)
    audit_record(actor=user, action="notification_preference.update", email_off=sorted(wanted_off))
    return wanted_off


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def _audience(course: Course, audience: str, module: str, group: Group | None) -> list[User]:
    students = Membership.objects.filter(course=course, role=Role.STUDENT, withdrawn_at__isnull=True)
    if audience == Announcement.Audience.COURSE:
        everyone = Membership.objects.filter(course=course, withdrawn_at__isnull=True)
        return [m.user for m in everyone.select_related("user")]
    if audience == Announcement.Audience.MODULE:
        chose = ModuleChoice.objects.filter(course=course, choice=module).values("student_id")
        if module == Announcement.Module.PROJECT:
            # A student in a project group does the project whatever their recorded choice says.
            in_group = GroupMember.objects.filter(course=course).values("user_id")
            students = students.filter(Q(user__in=chose) | Q(user__in=in_group))
        else:
            students = students.filter(user__in=chose)
        return [m.user for m in students.select_related("user")]
    assert group is not None
    return [m.user for m in group.members.select_related("user").filter(user__in=students.values("user_id"))]


@transaction.atomic
def announcement_create(
    *, course: Course, by: User, audience: str, subject: str, body: str, module: str = "", group: Group | None = None
) -> Announcement:
    """The examiner writes to the whole course, one module's students or one group; everyone reached is told."""
    require_instructor(user=by, course=course)
    subject, body = " ".join((subject or "").split()), (body or "").strip()  # a subject is one line (a mail header)
    if audience not in Announcement.Audience.values:
        raise ValidationError("Choose who the announcement is for: the whole course, a module or a group.")
    if not subject:
        raise ValidationError("Give the announcement a subject.")
    if not body:
        raise ValidationError("Write the announcement's text.")
    if len(subject) > 200:
        raise ValidationError("Keep the subject under 200 characters.")
    if len(body) > 10000:
        raise ValidationError("Keep the announcement under 10,000 characters.")
    if audience == Announcement.Audience.MODULE and module not in Announcement.Module.values:
        raise ValidationError("Choose the module: project or exam.")
    if audience == Announcement.Audience.GROUP and (group is None or group.course_id != course.pk):
        raise ValidationError("Choose a project group of this course.")
    announcement = Announcement.objects.create(
        course=course,
        author=by,
        audience=audience,
        module=module if audience == Announcement.Audience.MODULE else "",
        group=group if audience == Announcement.Audience.GROUP else None,
        subject=subject,
        body=body,
    )
    people = _audience(course, audience, module, group)
    announcement.recipients.set(people)
    notify(
        users=people,
        kind=Kind.ANNOUNCEMENT,
        course=course,
        subject=f"{course.code}: {subject}",
        body=f"{body}\n\n{by.display_name}",
        url=reverse("notifications:announcements", args=[course.code]),
    )
    audit_record(
        actor=by,
        action="announcement.send",
        course=course,
        target=announcement,
        audience=announcement.audience_label,
        recipients=len(people),
    )
    return announcement
