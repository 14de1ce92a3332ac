"""Reads of assignments."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from coursesite.models import Course, Membership

from .models import Assignment


def assignments_visible(
    *, course: Course, membership: Membership, now: dt.datetime | None = None
) -> QuerySet[Assignment]:
    """Students see released assignments only; staff see all of them."""
    assignments = Assignment.objects.filter(course=course).order_by("number")
    if membership.is_staff_role:
        return assignments
    return assignments.filter(released_at__lte=now or timezone.now())
