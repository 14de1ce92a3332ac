"""Template context: the current course and its navigation, for pages under /c/<code>/."""

from django.http import HttpRequest

from .hooks import NavLink, registry


def course_nav(request: HttpRequest) -> dict:
    membership = getattr(request, "course_membership", None)
    if membership is None:
        return {}
    links = [link for provider in registry.nav for link in provider(membership)]
    return {
        "course": membership.course,
        "membership": membership,
        "course_nav": sorted(links, key=lambda link: (link.order, link.label)),
    }


def core_nav(membership) -> list[NavLink]:  # type: ignore[no-untyped-def]
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
