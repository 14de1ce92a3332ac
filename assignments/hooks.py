"""What assignments add to the course calendar, dashboard and navigation."""

from django.urls import reverse
from django.utils import timezone

from coursesite.hooks import CalendarEvent, DashboardItem, NavLink
from coursesite.models import Course, Membership

from .models import Assignment
from .selectors import assignments_visible


def calendar_events(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    assignments = Assignment.objects.filter(course=course)
    if membership is not None:
        assignments = assignments_visible(course=course, membership=membership)
    events = []
    for a in assignments:
        url = reverse("assignments:detail", args=[course.code, a.number])
        events.append(
            CalendarEvent(
                f"Assignment {a.number} released",
                a.released_at,
                kind="release",
                url=url,
                uid=f"{course.code}-a{a.number}-release",
            )
        )
        events.append(
            CalendarEvent(
                f"Assignment {a.number} deadline (soft)",
                a.deadline_at,
                kind="deadline",
                url=url,
                uid=f"{course.code}-a{a.number}-deadline",
            )
        )
    return events


def dashboard_items(membership: Membership) -> list[DashboardItem]:
    if not membership.is_student:
        return []
    now = timezone.now()
    course = membership.course
    items = []
    for a in assignments_visible(course=course, membership=membership, now=now):
        url = reverse("assignments:detail", args=[course.code, a.number])
        items.append(DashboardItem(f"Assignment {a.number}: {a.title}", "released", url, a.released_at, "released"))
        if a.deadline_at >= now:
            items.append(DashboardItem(f"Assignment {a.number}: {a.title}", "deadline", url, a.deadline_at, "todo"))
    return items


def nav_links(membership: Membership) -> list[NavLink]:
    return [NavLink("Assignments", reverse("assignments:list", args=[membership.course.code]), 10)]
