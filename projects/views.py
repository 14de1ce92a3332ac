"""Project pages: the group page, the examiner's queue, group administration, orals, help sessions, settings."""

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from coursesite import access as core_access
from coursesite.models import User
from coursesite.views import course_page

from . import access, selectors, services
from .models import (
    GRADES,
    FinalReport,
    Group,
    HelpAvailability,
    HelpBooking,
    HelpSlot,
    Invitation,
    OralSlot,
    ProjectSettings,
    Proposal,
)


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


def _parse_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError as exc:
        raise ValidationError("Give a date like 2026-04-13.") from exc


def _parse_time(value: str | None) -> dt.time:
    try:
        return dt.time.fromisoformat(value or "")
    except ValueError as exc:
        raise ValidationError("Give a time like 13:00.") from exc


def _run(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run a service; report its refusal in words on the page. Returns whether it succeeded."""
    try:
        action()
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    if membership.is_staff_role:
        return _staff_home(request, course, membership)
    user = request.user
    group = selectors.group_of(course=course, user=user)
    status = 200
    if request.method == "POST":
        ok = _run(request, lambda: _student_action(request, course, group), "Done.")
        if ok:
            return redirect("projects:home", code)
        status = 400
        group = selectors.group_of(course=course, user=user)
    size = ProjectSettings.for_course(course).group_size
    context = {
        "group": group,
        "size": size,
        "stage": selectors.group_stage(group, size) if group else "",
        "proposal": selectors.latest_proposal(group) if group else None,
        "members": [m.user for m in group.members.all()] if group else [],
        "invitations": selectors.pending_invitations(course=course, user=user),
        "sent_invitations": group.invitations.filter(status=Invitation.Status.PENDING).select_related("invitee")
        if group
        else [],
        "searches": selectors.partner_searches(course=course),
        "looking": selectors.partner_searches(course=course).filter(user=user).exists(),
        "reports": group.reports.all() if group else [],
        "now": timezone.now(),
    }
    return render(request, "projects/home.html", context, status=status)


def _student_action(request: HttpRequest, course, group: Group | None) -> None:  # type: ignore[no-untyped-def]
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "create":
        services.group_create(course=course, by=user, name=post.get("name", ""))
    elif action == "answer":
        invitation = get_object_or_404(Invitation, pk=post.get("invitation"), invitee=user, group__course=course)
        services.invitation_answer(invitation=invitation, by=user, accept=post.get("accept") == "1")
    elif action == "looking":
        services.partner_search_set(course=course, by=user, looking=post.get("on") == "1", note=post.get("note", ""))
    elif group is None:
        raise ValidationError("Create or join a group first.")
    elif action == "invite":
        services.group_invite(group=group, by=user, username=post.get("username", ""))
    elif action == "leave":
        services.group_leave(group=group, by=user)
    elif action == "proposal":
        services.proposal_submit(
            group=group,
            by=user,
            title=post.get("title", ""),
            description=post.get("description", ""),
            pdf=request.FILES.get("pdf"),
        )
    elif action == "compute_applied":
        services.compute_account_applied(
            group=group, by=user, account=post.get("account", ""), applied_on=_parse_date(post.get("applied_on"))
        )
    elif action == "compute_granted":
        services.compute_account_granted(group=group, by=user, granted_on=_parse_date(post.get("granted_on")))
    elif action == "report":
        upload = request.FILES.get("report")
        if upload is None:
            raise ValidationError("Choose your report's PDF file.")
        services.report_upload(group=group, by=user, upload=upload)
    else:
        raise ValidationError("Unknown action.")


def _staff_home(request: HttpRequest, course, membership) -> HttpResponse:  # type: ignore[no-untyped-def]
    status = 200
    if request.method == "POST":
        core_access.require_instructor(user=request.user, course=course)
        post = request.POST
        if _run(
            request,
            lambda: services.group_form(
                course=course, usernames=post.get("usernames", "").replace(",", " ").split(), by=request.user
            ),
            "Group formed.",
        ):
            return redirect("projects:home", course.code)
        status = 400
    size = ProjectSettings.for_course(course).group_size
    groups = list(selectors.groups_overview(course=course))
    for group in groups:
        group.stage = selectors.group_stage(group, size)  # type: ignore[attr-defined]
        group.latest = selectors.latest_proposal(group)  # type: ignore[attr-defined]
    context = {
        "groups": groups,
        "size": size,
        "without_compute": selectors.groups_without_compute(course=course),
        "ungrouped": selectors.students_without_group(course=course),
        "searches": selectors.partner_searches(course=course),
    }
    return render(request, "projects/staff_home.html", context, status=status)


@login_required
def group_detail(request: HttpRequest, code: str, group_id: int) -> HttpResponse:
    course, membership = course_page(request, code)
    core_access.require_staff(user=request.user, course=course)
    group = get_object_or_404(selectors.groups_overview(course=course), pk=group_id)
    status = 200
    if request.method == "POST":
        core_access.require_instructor(user=request.user, course=course)
        if _run(request, lambda: _instructor_action(request, course, group), "Saved."):
            if not Group.objects.filter(pk=group.pk).exists():
                return redirect("projects:home", code)
            return redirect("projects:group", code, group.pk)
        status = 400
        group = get_object_or_404(selectors.groups_overview(course=course), pk=group_id)
    members = [m.user for m in group.members.all()]
    grade = getattr(group, "oral_grade", None)
    confirmations = {c.user_id: c for c in grade.confirmations.all()} if grade else {}
    context = {
        "group": group,
        "members": [(u, confirmations.get(u.pk)) for u in members],
        "proposals": group.proposals.all(),
        "reports": group.reports.all(),
        "grade": grade,
        "grades": [g for g, _ in GRADES],
        "other_groups": Group.objects.filter(course=course).exclude(pk=group.pk),
        "settings": ProjectSettings.for_course(course),
    }
    return render(request, "projects/group.html", context, status=status)


def _instructor_action(request: HttpRequest, course, group: Group) -> None:  # type: ignore[no-untyped-def]
    post, user = request.POST, request.user
    action, reason = post.get("action", ""), post.get("reason", "")
    if action == "add":
        services.group_member_add(group=group, username=post.get("username", ""), by=user, reason=reason)
    elif action == "remove":
        member = get_object_or_404(User, pk=post.get("user"))
        services.group_member_remove(group=group, user=member, by=user, reason=reason)
    elif action == "split":
        services.group_split(group=group, usernames=post.getlist("usernames"), by=user, reason=reason)
    elif action == "merge":
        other = get_object_or_404(Group, pk=post.get("other"), course=course)
        services.group_merge(into=group, other=other, by=user, reason=reason)
    elif action == "grade":
        confirmations = {
            m.user_id: (post.get(f"confirmed_{m.user_id}") == "1", post.get(f"note_{m.user_id}", ""))
            for m in group.members.all()
        }
        services.oral_grade_record(
            group=group, by=user, grade=post.get("grade", ""), confirmations=confirmations, reason=reason
        )
    else:
        raise ValidationError("Unknown action.")


@login_required
def proposal_queue(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    core_access.require_instructor(user=request.user, course=course)
    status = 200
    if request.method == "POST":
        proposal = get_object_or_404(Proposal, pk=request.POST.get("proposal"), group__course=course)
        approve = request.POST.get("decision") == "approve"
        if _run(
            request,
            lambda: services.proposal_decide(
                proposal=proposal, by=request.user, approve=approve, comment=request.POST.get("comment", "")
            ),
            f"{proposal.group.name}: {'approved' if approve else 'changes requested'}.",
        ):
            return redirect("projects:proposal_queue", code)
        status = 400
    today = timezone.localtime(timezone.now(), course.tz).date()
    return render(
        request,
        "projects/queue.html",
        {"proposals": selectors.proposal_queue(course=course), "today": today},
        status=status,
    )


@login_required
def file_download(request: HttpRequest, code: str, kind: str, pk: int) -> FileResponse:
    course, membership = course_page(request, code)
    if kind == "proposal":
        obj = get_object_or_404(Proposal, pk=pk, group__course=course)
        name, filename = obj.pdf, obj.pdf_original_name or "proposal.pdf"
    elif kind == "report":
        report = get_object_or_404(FinalReport, pk=pk, group__course=course)
        obj, name, filename = report, report.file, report.original_name or "report.pdf"
    else:
        raise Http404("No such file.")
    access.require_group_visible(user=request.user, group=obj.group)
    if not name:
        raise Http404("No file was uploaded.")
    return FileResponse(default_storage.open(name, "rb"), content_type="application/pdf", filename=filename)


@login_required
def orals(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    group = None if membership.is_staff_role else selectors.group_of(course=course, user=request.user)
    status = 200
    if request.method == "POST":
        post = request.POST
        if post.get("action") == "publish":
            core_access.require_instructor(user=request.user, course=course)

            def act() -> object:
                return services.oral_slots_publish(
                    course=course,
                    by=request.user,
                    day=_parse_date(post.get("day")),
                    start=_parse_time(post.get("start")),
                    count=int(post.get("count") or 0),
                    place=post.get("place", ""),
                )

            ok = _run(request, act, "Oral slots published.")
        else:
            slot = get_object_or_404(OralSlot, pk=post.get("slot"), course=course)

            def act() -> object:
                if group is None:
                    raise ValidationError("You are not in a project group.")
                return services.oral_book(slot=slot, group=group, by=request.user)

            ok = _run(request, act, "Your group's oral is booked.")
        if ok:
            return redirect("projects:orals", code)
        status = 400
    return render(
        request,
        "projects/orals.html",
        {"slots": selectors.oral_slots(course=course), "group": group, "now": timezone.now()},
        status=status,
    )


@login_required
def help_sessions(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    status = 200
    if request.method == "POST":
        if _run(request, lambda: _help_action(request, course, membership), "Saved."):
            return redirect("projects:help", code)
        status = 400
    return _help_page(request, course, membership, status=status)


@login_required
@require_POST
def help_withdraw(request: HttpRequest, code: str, availability_id: int) -> HttpResponse:
    course, membership = course_page(request, code)
    availability = get_object_or_404(HelpAvailability, pk=availability_id, course=course)
    access.require_availability_owner(user=request.user, availability=availability)

    def withdraw() -> None:
        services.help_availability_withdraw(availability=availability, by=request.user)

    if _run(request, withdraw, "Withdrawn: those slots are no longer offered."):
        return redirect("projects:help", code)
    return _help_page(request, course, membership, status=400)


def _help_page(request: HttpRequest, course, membership, *, status: int = 200) -> HttpResponse:  # type: ignore[no-untyped-def]
    user = request.user
    today = timezone.localtime(timezone.now(), course.tz).date()
    context = {
        "slots": [s for s in selectors.help_slots_upcoming(course=course) if not s.active_bookings],
        "bookings": selectors.help_bookings_of(course=course, user=user) if membership.is_student else [],
        "agenda": selectors.ta_agenda(course=course, ta=user, day=today) if membership.is_staff_role else [],
        "upcoming_booked": [
            s for s in selectors.help_slots_upcoming(course=course) if s.active_bookings and s.ta_id == user.pk
        ]
        if membership.is_staff_role
        else [],
        "published": selectors.help_availabilities_upcoming(
            course=course, ta=None if membership.is_instructor else user
        )
        if membership.is_staff_role
        else [],
        "kinds": HelpBooking.Kind.choices,
        "settings": ProjectSettings.for_course(course),
        "today": today,
    }
    return render(request, "projects/help.html", context, status=status)


def _help_action(request: HttpRequest, course, membership) -> None:  # type: ignore[no-untyped-def]
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "publish":
        core_access.require_staff(user=user, course=course)
        services.help_availability_publish(
            course=course,
            ta=user,
            date=_parse_date(post.get("date")),
            start=_parse_time(post.get("start")),
            end=_parse_time(post.get("end")),
            place=post.get("place", ""),
        )
    elif action == "book":
        slot = get_object_or_404(HelpSlot, pk=post.get("slot"), course=course)
        services.help_book(slot=slot, by=user, kind=post.get("kind", ""), topic=post.get("topic", ""))
    elif action == "cancel":
        booking = get_object_or_404(HelpBooking, pk=post.get("booking"), slot__course=course)
        services.help_cancel(booking=booking, by=user)
    elif action == "attendance":
        booking = get_object_or_404(HelpBooking, pk=post.get("booking"), slot__course=course)
        access.require_booking_host(user=user, booking=booking)
        attended = {"yes": True, "no": False}.get(post.get("attended", ""))
        services.help_attendance_note(booking=booking, by=user, attended=attended, note=post.get("note", ""))
    else:
        raise ValidationError("Unknown action.")


SETTINGS_FIELDS = [
    "group_size",
    "help_slot_minutes",
    "max_upcoming_bookings",
    "cancel_before_hours",
    "oral_slot_minutes",
    "oral_move_before_hours",
    "compute_reminder_days",
    "unconfirmed_result",
]


@login_required
def settings_page(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    core_access.require_instructor(user=request.user, course=course)
    status = 200
    if request.method == "POST":

        def act() -> object:
            values: dict[str, object] = {}
            for name in SETTINGS_FIELDS:
                raw = request.POST.get(name, "")
                if name == "unconfirmed_result":
                    values[name] = raw
                else:
                    try:
                        values[name] = int(raw)
                    except ValueError as exc:
                        raise ValidationError(f"{name.replace('_', ' ')} must be a whole number.") from exc
            return services.project_settings_update(course=course, by=request.user, **values)

        if _run(request, act, "Project settings saved."):
            return redirect("projects:settings", code)
        status = 400
    project_settings = ProjectSettings.for_course(course)
    fields = [
        (name, project_settings._meta.get_field(name).verbose_name, getattr(project_settings, name))
        for name in SETTINGS_FIELDS
    ]
    return render(
        request, "projects/settings.html", {"fields": fields, "grades": [g for g, _ in GRADES]}, status=status
    )
