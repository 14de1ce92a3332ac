"""Exam pages: the student's choice, poll, session, questions and answer; the examiner's poll, sessions and marking."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from coursesite.errors import Refused, messages_of
from coursesite.models import Course, Membership
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, clock, rules, selectors, services
from .forms import ExamSettingsForm, PickSessionsForm, local_datetime
from .models import Answer, Exam, ExamSession, ModuleChoice, PollVote, Sitting


def _context(
    request: AuthedHttpRequest, course: Course, membership: Membership, exam: Exam, **extra: Any
) -> dict[str, Any]:
    now = clock.now()
    context: dict[str, Any] = {
        "exam": exam,
        "now": now,
        "choice_open": rules.choice_open(exam=exam, now=now),
        "poll_open": rules.poll_open(exam=exam, now=now),
        "answer_options": PollVote.Answer.choices,
        "module_options": ModuleChoice.Option.choices,
    }
    if membership.is_student:
        choice = ModuleChoice.objects.filter(course=course, student=request.user).first()
        sitting = selectors.sitting_of(exam=exam, student=request.user)
        votes = selectors.my_votes(exam=exam, student=request.user)
        context.update(
            choice=choice.choice if choice else "",
            ballot=[(c, votes.get(c.day, "")) for c in exam.candidates.all()],
            sitting=sitting,
        )
        if sitting is not None:
            session = sitting.session
            released = rules.questions_released(session=session, now=now)
            context.update(
                released=released,
                can_upload=released and now < sitting.deadline_at,
                answer=Answer.objects.filter(sitting=sitting).first(),
                other_sessions=[
                    s for s in selectors.sessions_of(exam=exam) if s.pk != session.pk and now < s.releases_at
                ]
                if now < session.releases_at
                else [],
            )
    else:
        context.update(
            counts=selectors.staff_counts(course=course),
            table=selectors.poll_table(exam=exam),
            sessions=selectors.sessions_of(exam=exam),
        )
        if membership.is_instructor:
            context["poll_reopenable"] = rules.poll_reopenable(exam=exam, now=now)
            context.setdefault("settings_form", ExamSettingsForm(instance=exam))
            context.setdefault("pick_form", PickSessionsForm(candidates=exam.candidates.all()))
    context.update(extra)
    return context


def _refused(
    request: AuthedHttpRequest,
    course: Course,
    membership: Membership,
    exam: Exam,
    error: ValidationError,
    **extra: Any,
) -> HttpResponse:
    """The exam page again, with the refusal's words above the form (400)."""
    context = _context(request, course, membership, exam, errors=messages_of(error), **extra)
    return render(request, "exams/home.html", context, status=400)


@login_required
@require_GET
def exam_home(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    return render(request, "exams/home.html", _context(request, course, membership, exam))


@login_required
@require_POST
def choice(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    try:
        record = services.module_choose(course=course, student=request.user, choice=request.POST.get("choice", ""))
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, f"Your choice is saved: {record.get_choice_display().lower()}.")
    return redirect("exams:home", code)


@login_required
@require_POST
def vote(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    answers = {
        c.day: request.POST[f"day-{c.day.isoformat()}"]
        for c in exam.candidates.all()
        if request.POST.get(f"day-{c.day.isoformat()}")
    }
    try:
        services.poll_vote(course=course, student=request.user, answers=answers)
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, "Your answers to the date poll are saved; you can change them while the poll is open.")
    return redirect("exams:home", code)


@login_required
@require_POST
def poll_close(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    services.poll_close(exam=services.exam_for(course=course), by=request.user)
    messages.success(request, "The date poll is closed.")
    return redirect("exams:home", code)


@login_required
@require_POST
def poll_reopen(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    try:
        closes_at = local_datetime(course, request.POST.get("closes_at", ""))
        exam = services.poll_reopen(exam=exam, closes_at=closes_at, by=request.user)
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, f"The date poll is open again until {rules.local(course, closes_at)}.")
    return redirect(request.POST.get("next") == "settings" and "course_settings" or "exams:home", code)


@login_required
@require_POST
def sessions_pick(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    form = PickSessionsForm(request.POST, candidates=exam.candidates.all())
    try:
        if not form.is_valid():
            raise Refused([e for errors in form.errors.values() for e in errors])
        sessions = services.sessions_pick(
            exam=exam,
            days=form.cleaned_data["days"],
            deadline_time=form.cleaned_data["deadline_time"],
            deadline_days_after=form.cleaned_data["deadline_days_after"],
            by=request.user,
        )
    except ValidationError as error:
        return _refused(request, course, membership, exam, error, pick_form=form)
    days = ", ".join(f"{s.day:%a %-d %b}" for s in sessions)
    messages.success(request, f"Exam date picked: {days}. The students who chose the exam were told by email.")
    return redirect("exams:home", code)


@login_required
@require_POST
def session_update(request: AuthedHttpRequest, code: str, session_id: int) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    session = get_object_or_404(ExamSession, pk=session_id, exam=exam)
    try:
        questions = request.FILES.get("questions")
        if questions is not None:
            services.questions_upload(session=session, upload=questions, by=request.user)
        if request.POST.get("deadline_at"):
            deadline = local_datetime(course, request.POST["deadline_at"])
            if deadline != session.deadline_at:
                services.session_update(session=session, deadline_at=deadline, by=request.user)
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, f"Session of {session.day:%a %-d %b} saved.")
    return redirect("exams:home", code)


@login_required
@require_POST
def sitting_move(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    session = get_object_or_404(ExamSession, pk=request.POST.get("session") or 0, exam=exam)
    try:
        sitting = access.access_own_sitting(user=request.user, exam=exam)
        services.sitting_move(sitting=sitting, session=session, by=request.user)
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, f"Your exam date is now {session.day:%a %-d %b %Y}.")
    return redirect("exams:home", code)


@login_required
@require_POST
def answer_upload(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    try:
        sitting = access.access_own_sitting(user=request.user, exam=exam)
        services.answer_upload(sitting=sitting, upload=request.FILES.get("answer"), by=request.user)
    except ValidationError as error:
        return _refused(request, course, membership, exam, error)
    messages.success(request, "Your answers are handed in. You can replace them until the deadline.")
    return redirect("exams:home", code)


def _pdf(name: str, filename: str) -> FileResponse:
    response = FileResponse(default_storage.open(name, "rb"), content_type="application/pdf", filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def questions_file(request: AuthedHttpRequest, code: str, session_id: int) -> FileResponse:
    course, membership = course_page(request, code)
    session = get_object_or_404(ExamSession.objects.select_related("exam__course"), pk=session_id, exam__course=course)
    access.access_questions(session=session, membership=membership)
    return _pdf(session.questions_name, f"{course.code}-exam-questions-{session.day.isoformat()}.pdf")


@login_required
@require_GET
def answer_file(request: AuthedHttpRequest, code: str, sitting_id: int) -> FileResponse:
    course, membership = course_page(request, code)
    answer = get_object_or_404(
        Answer.objects.select_related("sitting"), sitting_id=sitting_id, sitting__exam__course=course
    )
    access.access_answer(answer=answer, membership=membership)
    return _pdf(answer.file_name, f"{course.code}-exam-answer-{answer.sitting.student.username}.pdf")


@login_required
def marking(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    access.require_marker(user=request.user, course=course)
    exam = services.exam_for(course=course)
    errors: list[str] = []
    if request.method == "POST":
        sitting = get_object_or_404(Sitting, pk=request.POST.get("sitting") or 0, exam=exam)
        try:
            if request.POST.get("action") == "extension":
                until = request.POST.get("until", "").strip()
                services.extension_grant(
                    sitting=sitting,
                    until=local_datetime(course, until) if until else None,
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                )
                messages.success(request, f"Deadline of {sitting.student.display_name} saved.")
            else:
                services.mark_record(
                    sitting=sitting,
                    part1_passed={"pass": True, "fail": False}.get(request.POST.get("part1_passed", "")),
                    part1_points=_points(request.POST.get("part1_points")),
                    part2_points=_points(request.POST.get("part2_points")),
                    by=request.user,
                    reason=request.POST.get("reason", "")[:500],
                )
                messages.success(request, f"Mark of {sitting.student.display_name} saved.")
            return redirect("exams:marking", code)
        except ValidationError as error:
            errors = messages_of(error)
    context = {"exam": exam, "sittings": selectors.sittings_for_marking(exam=exam), "errors": errors}
    return render(request, "exams/marking.html", context, status=400 if errors else 200)


def _points(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        return Decimal(value.strip().replace(",", "."))
    except InvalidOperation as exc:
        raise Refused(f"{value!r} is not a number of points.") from exc


@login_required
@require_POST
def settings_update(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    exam = services.exam_for(course=course)
    form = ExamSettingsForm(request.POST, instance=exam)
    try:
        if not form.is_valid():
            raise Refused(
                [
                    f"{form.fields[f].label}: {e}" if f in form.fields else e
                    for f, errs in form.errors.items()
                    for e in errs
                ]
            )
        services.exam_update(
            exam=exam, by=request.user, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
    except ValidationError as error:
        return _refused(request, course, membership, exam, error, settings_form=form)
    messages.success(request, "Exam settings saved.")
    return redirect("exams:home", code)
