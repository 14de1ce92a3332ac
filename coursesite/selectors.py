"""Reads of the course core."""

from django.db.models import QuerySet

from .models import Course, Membership, User


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("course").order_by("course__code")


def course_members(*, course: Course, role: str | None = None) -> QuerySet[Membership]:
    members = Membership.objects.filter(course=course).select_related("user").order_by("role", "user__username")
    return members.filter(role=role) if role else members
