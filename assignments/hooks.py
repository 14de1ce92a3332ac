"""What assignments add to the course calendar, dashboard and navigation."""

from django.urls import reverse
from django.utils import timezone

from coursesite.hooks import CalendarEvent, DashboardItem, NavLink
from coursesite.models import Course, Membership

from .models import Assignment
from .selectors import assignments_visible, queue_counts, student_overview


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
    course = membership.course
    if membership.is_staff_role:
        counts = queue_counts(course=course, user=membership.user)
        queue = reverse("assignments:queue", args=[course.code])
        items = []
        if counts["waiting"]:
            plural = "s" if counts["waiting"] != 1 else ""
            items.append(DashboardItem(f"{counts['waiting']} submission{plural} waiting for review", "", queue))
        if counts["claimed_by_you"]:
            items.append(DashboardItem(f"{counts['claimed_by_you']} claimed by you", "to review", queue))
        return items
    if not membership.is_student:
        return []
    now = timezone.now()
    items = []
    for row in student_overview(course=course, membership=membership, now=now):
        a, state = row.assignment, row.state
        url = reverse("assignments:detail", args=[course.code, a.number])
        title = f"Assignment {a.number}: {a.title}"
        if state.code == "passed":
            bonus = f", {state.bonus} bonus" if state.bonus else ""
            items.append(DashboardItem(f"{title} — Passed{bonus}", "passed", url, a.released_at, "released"))
            continue
        items.append(DashboardItem(title, state.label, url, a.released_at, "released"))
        if state.code == "open":
            detail = "deadline" if row.deadline >= now else "overdue: late work is still accepted"
            items.append(DashboardItem(title, detail, url, row.deadline, "todo"))
        elif state.code == "failed":
            items.append(DashboardItem(title, "Failed: see the feedback and resubmit", url, None, "todo"))
        else:
            items.append(DashboardItem(title, state.label, url, row.deadline, "todo"))
    return items


def nav_links(membership: Membership) -> list[NavLink]:
    code = membership.course.code
    links = [NavLink("Assignments", reverse("assignments:list", args=[code]), 10)]
    if membership.is_staff_role:
        links.append(NavLink("Review queue", reverse("assignments:queue", args=[code]), 11))
        links.append(NavLink("Progress", reverse("assignments:progress", args=[code]), 12))
    return links
