"""Who may see or do what in insight: everything here is for the course's teachers (TAs and the examiner).

Students get 403 on every page and API of this app; people outside the course get 404 (access_course).
"""

from coursesite.access import require_staff
from coursesite.models import Course, Membership, User


def require_insight_staff(*, user: User, course: Course) -> Membership:
    """Analytics (hidden and secret tests included), reminders and similarity are staff only."""
    return require_staff(user=user, course=course)
