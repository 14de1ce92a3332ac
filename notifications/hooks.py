"""What notifications add to a course: the latest announcements on the dashboard, and the navigation link."""

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from coursesite.hooks import DashboardItem, NavLink
from coursesite.models import Membership

from .selectors import announcements_for


def dashboard_announcements(membership: Membership) -> list[DashboardItem]:
    url = reverse("notifications:announcements", args=[membership.course.code])
    return [
        DashboardItem(
            f"Announcement: {a.subject}",
            f"{timezone.localtime(a.created_at):%d %b}, "  # on the dashboard: the course's zone is active
            f"{a.author.display_name if a.author else 'the examiner'}: " + Truncator(a.body).chars(300),
            url,
            a.created_at,
            section="info",
        )
        for a in announcements_for(course=membership.course, membership=membership)[:3]
    ]


def nav_links(membership: Membership) -> list[NavLink]:
    return [NavLink("Announcements", reverse("notifications:announcements", args=[membership.course.code]), 85)]
