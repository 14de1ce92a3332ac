"""Template context: the current course and its navigation, for pages under /c/<code>/."""

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from .hooks import NavLink, registry

if TYPE_CHECKING:
    from .models import Membership


def course_nav(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "course_membership", None)
    if membership is None:
        return {}
    links = [link for provider in registry.nav for link in provider(membership)]
    return {
        "course": membership.course,
        "membership": membership,
        "course_nav": sorted(links, key=lambda link: (link.order, link.label)),
    }


def core_nav(membership: "Membership") -> list[NavLink]:
    from django.urls import reverse

    code = membership.course.code
    links = [
        NavLink("Dashboard", reverse("dashboard", args=[code]), 0),
        NavLink("Calendar", reverse("calendar", args=[code]), 90),
    ]
    if membership.is_staff_role:
        links.append(NavLink("Course dates", reverse("course_settings", args=[code]), 93))
    if membership.is_instructor:
        links.append(NavLink("Roster", reverse("roster", args=[code]), 95))
        links.append(NavLink("Audit", reverse("audit", args=[code]), 97))
    return links
