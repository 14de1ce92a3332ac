"""What grading adds to the course navigation."""

from django.urls import reverse

from coursesite.hooks import NavLink
from coursesite.models import Membership


def nav_links(membership: Membership) -> list[NavLink]:
    return [NavLink("Grades", reverse("grading:home", args=[membership.course.code]), 60)]
