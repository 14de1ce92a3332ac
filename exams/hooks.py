"""What the exam adds to the course calendar, the dashboard and the navigation."""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from coursesite.hooks import CalendarEvent, DashboardItem, NavLink
from coursesite.models import Course, Membership

from . import clock, rules, selectors
from .models import Exam, ExamSession, ModuleChoice, PollVote, Sitting


def _session_events(course: Course, session: ExamSession, deadline, url: str, suffix: str = "") -> list[CalendarEvent]:  # type: ignore[no-untyped-def]
    return [
        CalendarEvent(
            f"Exam questions out{suffix}",
            session.releases_at,
            deadline,
            kind="exam",
            url=url,
            description="The take-home exam: questions published on the course site; answers (PDF) due at the end.",
            uid=f"{course.code}-exam-{session.day:%Y%m%d}-release",
        ),
        CalendarEvent(
            f"Exam answers due{suffix} (hard deadline)",
            deadline,
            kind="deadline",
            url=url,
            uid=f"{course.code}-exam-{session.day:%Y%m%d}-deadline",
        ),
    ]


def calendar_events(course: Course, membership: Membership | None) -> list[CalendarEvent]:
    # The poll's opening and closing are course dates, already on the calendar from the course core.
    url = reverse("exams:home", args=[course.code])
    if membership is not None and membership.is_student:
        sitting = (
            Sitting.objects.filter(exam__course=course, student_id=membership.user_id)
            .select_related("session__exam__course")
            .first()
        )
        return _session_events(course, sitting.session, sitting.deadline_at, url) if sitting else []
    events = []
    for session in ExamSession.objects.filter(exam__course=course).select_related("exam__course"):
        events += _session_events(course, session, session.deadline_at, url, f" ({session.day:%d %b} session)")
    return events


def dashboard_items(membership: Membership) -> list[DashboardItem]:
    course = membership.course
    exam = Exam.objects.filter(course=course).select_related("course").first()
    if exam is None:
        return []
    url = reverse("exams:home", args=[course.code])
    now = clock.now()
    if membership.is_staff_role:
        counts = selectors.staff_counts(course=course)
        items = [
            DashboardItem(
                "Take-home exam",
                f"{counts.chose_exam} chose the exam, {counts.chose_project} the project, "
                f"{counts.undecided} undecided; "
                f"{counts.voted} answered the date poll; {counts.answers} answers handed in, {counts.to_mark} to mark.",
                url,
                section="info",
            )
        ]
        if counts.to_mark:
            marking = reverse("exams:marking", args=[course.code])
            items.append(DashboardItem(f"{counts.to_mark} exam answers to mark", "marking", marking))
        return items
    if not membership.is_student:
        return []
    items = []
    choice = ModuleChoice.objects.filter(course=course, student_id=membership.user_id).first()
    if choice is None:
        if rules.choice_open(exam=exam, now=now):
            items.append(DashboardItem("Choose the project or the exam", "choice", url, exam.choice_cutoff))
        return items
    if choice.choice != ModuleChoice.Option.EXAM:
        return items
    if rules.poll_open(exam=exam, now=now):
        voted = PollVote.objects.filter(candidate__exam=exam, student_id=membership.user_id).exists()
        title = "Vote on the exam date" if not voted else "Exam date poll (you can still change your answers)"
        items.append(DashboardItem(title, "poll", url, course.exam_poll_closes))
    sitting = (
        Sitting.objects.filter(exam=exam, student_id=membership.user_id).select_related("session__exam__course").first()
    )
    if sitting is None:
        return items
    session = sitting.session
    if now < session.releases_at:
        items.append(
            DashboardItem(
                f"Exam questions out at {rules.local(course, session.releases_at)}", "exam", url, session.releases_at
            )
        )
    elif now < sitting.deadline_at:
        items.append(DashboardItem("Exam questions", "", url, session.releases_at, "released"))
        items.append(
            DashboardItem(
                f"Upload your answers before {rules.local(course, sitting.deadline_at)}",
                "deadline",
                url,
                sitting.deadline_at,
            )
        )
    return items


def nav_links(membership: Membership) -> list[NavLink]:
    return [NavLink("Exam", reverse("exams:home", args=[membership.course.code]), 30)]


def course_settings_panel(request: HttpRequest, course: Course) -> str:
    """On the course dates page: the poll's state, and for the examiner the way to reopen it."""
    from coursesite.access import course_membership

    from . import services

    if not request.user.is_authenticated:
        return ""
    membership = course_membership(user=request.user, course=course)
    if membership is None or not membership.is_staff_role:
        return ""
    exam = services.exam_for(course=course)
    now = clock.now()
    context = {
        "course": course,
        "exam": exam,
        "membership": membership,
        "poll_open": rules.poll_open(exam=exam, now=now),
        "reopenable": rules.poll_reopenable(exam=exam, now=now),
        "next": "settings",
    }
    return render_to_string("exams/_poll_state.html", context, request=request)
