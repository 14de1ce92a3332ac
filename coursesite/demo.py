"""The demo course DD2424 of shared/COURSE.md, with every date shifted so lecture 1 falls on a chosen day."""

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .hooks import registry
from .models import Course, Membership, Role, User
from .personal_id import check_digit

# Offsets in days from lecture 1 (18 March in the course's own calendar).
PROPOSAL_DEADLINE = 26  # 13 April
REPORT_DEADLINE = 62  # 19 May
ORALS = (67, 80)  # 24 May - 6 June
EXAM_POLL = (33, 45)  # 20 April - 2 May
EXAM_PERIOD = (67, 80)  # 24 May - 6 June


@dataclass
class DemoContext:
    course: Course
    start: dt.date
    instructor: User
    tas: list[User]
    students: list[User]
    extra: dict[str, Any] = field(default_factory=dict)

    def at(self, days: int, hour: int = 0, minute: int = 0) -> dt.datetime:
        """A moment `days` after lecture 1, in the course's time zone."""
        return dt.datetime.combine(self.start + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=self.course.tz)

    def end_of(self, days: int) -> dt.datetime:
        return self.at(days, 23, 59)


def _user(username: str, full_name: str, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "email": f"{username}@example.edu"}
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save()
    return user


def demo_personal_id(number: int) -> str:
    """A made-up but valid identity number for demo student `number` (born in 2003, serial from the number)."""
    born = dt.date(2003, 1, 1) + dt.timedelta(days=11 * number)
    serial = f"{number:02d}{number % 10}"
    return f"{born:%Y%m%d}-{serial}{check_digit(f'{born:%y%m%d}{serial}')}"


@transaction.atomic
def load_demo_course(*, start: dt.date) -> DemoContext:
    password = os.environ.get("DEMO_PASSWORD", "demo")
    course, _ = Course.objects.get_or_create(code="DD2424", defaults={"name": "Deep Learning in Data Science"})
    course.name = "Deep Learning in Data Science"
    course.term = f"VT{start.year}"
    course.timezone = "Europe/Stockholm"
    course.first_lecture_on = start
    ctx_dates = DemoContext(course, start, None, [], [])  # type: ignore[arg-type]
    course.proposal_deadline = ctx_dates.end_of(PROPOSAL_DEADLINE)
    course.proposal_approval_days = 5
    course.report_deadline = ctx_dates.end_of(REPORT_DEADLINE)
    course.orals_start = start + dt.timedelta(days=ORALS[0])
    course.orals_end = start + dt.timedelta(days=ORALS[1])
    course.exam_poll_opens = ctx_dates.at(EXAM_POLL[0], 9)
    course.exam_poll_closes = ctx_dates.end_of(EXAM_POLL[1])
    course.exam_period_start = start + dt.timedelta(days=EXAM_PERIOD[0])
    course.exam_period_end = start + dt.timedelta(days=EXAM_PERIOD[1])
    course.save()

    people = [("examiner", "Ada Examiner", Role.INSTRUCTOR)]
    people += [(f"ta{i}", f"Teaching Assistant {i}", Role.TA) for i in range(1, 4)]
    people += [(f"student{i:02d}", f"Student {i:02d}", Role.STUDENT) for i in range(1, 31)]
    users = {}
    for username, full_name, role in people:
        user = _user(username, full_name, password)
        if role == Role.STUDENT and not user.personal_id:  # as the registrar's roster gives it: for the records file
            user.personal_id = demo_personal_id(int(username[-2:]))
            user.save(update_fields=["personal_id"])
        Membership.objects.update_or_create(user=user, course=course, defaults={"role": role})
        users[username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.edu", password, full_name="Site Admin")

    ctx = DemoContext(
        course=course,
        start=start,
        instructor=users["examiner"],
        tas=[users[f"ta{i}"] for i in range(1, 4)],
        students=[users[f"student{i:02d}"] for i in range(1, 31)],
    )
    for _, extend in sorted(registry.demo, key=lambda pair: pair[0]):
        extend(ctx)
    return ctx
