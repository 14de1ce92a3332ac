"""Template context: the dead-worker warning on every staff page of a course (base.html includes it)."""

from typing import Any

from django.http import HttpRequest

from . import selectors


def grading_health(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "course_membership", None)
    if membership is None or not membership.is_staff_role:
        return {}
    return {"grading_health": selectors.grading_health()}
