"""Reads of notifications: a person's notifications and the announcements they may see."""

from django.db.models import QuerySet

from coursesite.models import Course, Membership, User

from .models import Announcement, Notification


def notifications_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("course")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def announcements_for(*, course: Course, membership: Membership) -> QuerySet[Announcement]:
    """Staff see the course's whole history; a student sees what was sent to them."""
    announcements = Announcement.objects.filter(course=course).select_related("author", "group")
    if membership.is_staff_role:
        return announcements
    return announcements.filter(recipients=membership.user)
