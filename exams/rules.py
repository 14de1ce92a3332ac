"""The exam's time rules (poll window, choice cutoff, questions release) and the grade of a mark, in one place."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from coursesite.models import Course

from .grade_rule import exam_grade
from .models import Exam, ExamSession, Mark


def local(course: Course, moment: dt.datetime | None) -> str:
    """A moment as students read it: in the course's time zone, e.g. 'Mon 25 May 2026, 10:00 CEST'."""
    if moment is None:
        return "—"
    return timezone.localtime(moment, course.tz).strftime("%a %-d %b %Y, %H:%M %Z")


def choice_open(*, exam: Exam, now: dt.datetime) -> bool:
    return exam.choice_cutoff is None or now < exam.choice_cutoff


def poll_open(*, exam: Exam, now: dt.datetime) -> bool:
    course = exam.course
    if exam.poll_closed_at is not None or course.exam_poll_opens is None:
        return False
    return course.exam_poll_opens <= now and (course.exam_poll_closes is None or now < course.exam_poll_closes)


def poll_reopenable(*, exam: Exam, now: dt.datetime) -> bool:
    """Closed (by hand or by its date) and no exam date picked yet: the examiner may open it again."""
    course = exam.course
    closed = exam.poll_closed_at is not None or (course.exam_poll_closes is not None and now >= course.exam_poll_closes)
    return closed and not exam.sessions.exists()


def questions_released(*, session: ExamSession, now: dt.datetime) -> bool:
    """Decided on the server, to the second: from 10:00 course time on the session's day."""
    return now >= session.releases_at


def grade_of(*, exam: Exam, mark: Mark) -> tuple[str, str]:
    part1: Decimal | bool
    if exam.part1_marking == Exam.Part1Marking.POINTS:
        part1 = mark.part1_points if mark.part1_points is not None else Decimal(0)
    else:
        part1 = bool(mark.part1_passed)
    return exam_grade(part1=part1, part2_points=mark.part2_points, thresholds=exam.thresholds)
