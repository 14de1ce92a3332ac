"""The demo course's announcement: one course-wide message from the examiner, on every dashboard."""

from coursesite.demo import DemoContext

from . import services
from .models import Announcement


def extend_demo(ctx: DemoContext) -> None:
    if Announcement.objects.filter(course=ctx.course).exists():
        return
    services.announcement_create(
        course=ctx.course,
        by=ctx.instructor,
        audience=Announcement.Audience.COURSE,
        subject="Welcome to DD2424",
        body="Assignment 1 is out. Help sessions start next week: book them on the Help sessions page, "
        "and form your project group of three early.",
    )
