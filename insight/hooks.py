"""What insight adds to other pages: a staff navigation link and links on the instructor's assignment page."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from assignments.models import Assignment
from coursesite.access import course_membership
from coursesite.hooks import NavLink
from coursesite.models import Membership, User


def nav_links(membership: Membership) -> list[NavLink]:
    if not membership.is_staff_role:
        return []
    return [NavLink("Insight", reverse("insight:index", args=[membership.course.code]), 13)]


def assignment_staff_panel(request: HttpRequest, assignment: Assignment) -> str:
    user = request.user
    membership = course_membership(user=user, course=assignment.course) if isinstance(user, User) else None
    if membership is None or not membership.is_staff_role:
        return ""
    return render_to_string(
        "insight/_panel_staff.html", {"assignment": assignment, "code": assignment.course.code}, request=request
    )
