"""Project pages: the group page, the examiner's queue, group administration, orals, help sessions, settings."""

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coursesite import access as core_access
from coursesite.confirm import confirm_page, confirmed
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


def _run(request: HttpRequest, action: Callable[[], object], success: str | Callable[[object], str]) -> bool:
    """Run a service; report its refusal in words on the page, or what happened. Returns whether it succeeded.

    `success` is the message, or a function of the action's result that words it.
    """
    try:
        result = action()
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def _when(course, moment: dt.datetime) -> str:  # type: ignore[no-untyped-def]
    return f"{timezone.localtime(moment, course.tz):%a %-d %b %H:%M}"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@login_required
def home(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    if membership.is_staff_role:
        return _staff_home(request, course, membership)
    user = request.user
    group = selectors.group_of(course=course, user=user)
    status = 200
    typed = {}
    if request.method == "POST":
        if request.POST.get("action") == "leave" and group is not None and not confirmed(request):
            return confirm_page(
                request,
                question=f"Leave {group.name}?",
                detail="You will need a new invitation to join it again; the others stay in the group.",
                confirm_label="Yes, leave the group",
                back_url=reverse("projects:home", args=[code]),
                back_label="No, stay in the group",
            )
        ok = _run(request, lambda: _student_action(request, course, group), lambda said: str(said))
        if ok:
            return redirect("projects:home", code)
        status = 400
        if request.POST.get("action") == "proposal":  # what was typed survives a refused file
            typed = {"title": request.POST.get("title", ""), "description": request.POST.get("description", "")}
        group = selectors.group_of(course=course, user=user)
    size = ProjectSettings.for_course(course).group_size
    flagged = {m.user_id for m in selectors.exam_choosers_in_groups(course=course)} if group else set()
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
        "typed": typed,
        "exam_flag": user.pk in flagged,
    }
    return render(request, "projects/home.html", context, status=status)


@transaction.atomic
def _invite_all(group: Group, by: User, usernames: str) -> str:
    """Invite one or more students (separated by spaces or commas): all are invited, or none."""
    names = usernames.replace(",", " ").split()
    if not names:
        raise ValidationError("Give the username of the student to invite.")
    invited = [services.group_invite(group=group, by=by, username=name).invitee.username for name in names]
    return f"Invitation sent to {_names(invited)}; they are told by e-mail and on their project page."


def _student_action(request: HttpRequest, course, group: Group | None) -> str:  # type: ignore[no-untyped-def]
    """Do what the student asked; return what happened, in words."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "create":
        created = services.group_create(course=course, by=user, name=post.get("name", ""))
        return f"{created.name} created; invite the others by their usernames."
    if action == "answer":
        invitation = get_object_or_404(Invitation, pk=post.get("invitation"), invitee=user, group__course=course)
        accept = post.get("accept") == "1"
        services.invitation_answer(invitation=invitation, by=user, accept=accept)
        return (
            f"You joined {invitation.group.name}." if accept else f"You declined {invitation.group.name}'s invitation."
        )
    if action == "looking":
        looking = post.get("on") == "1"
        services.partner_search_set(course=course, by=user, looking=looking, note=post.get("note", ""))
        return "You are listed as looking for partners." if looking else "You are no longer listed as looking."
    if group is None:
        raise ValidationError("Create or join a group first.")
    if action == "invite":
        return _invite_all(group, user, post.get("username", ""))
    if action == "leave":
        services.group_leave(group=group, by=user)
        return f"You left {group.name}."
    if action == "proposal":
        proposal = services.proposal_submit(
            group=group,
            by=user,
            title=post.get("title", ""),
            description=post.get("description", ""),
            pdf=request.FILES.get("pdf"),
        )
        return (
            f"Proposal \u201c{proposal.title}\u201d (version {proposal.version}) submitted; "
            f"the examiner decides by {proposal.due_on:%A %-d %B}."
        )
    if action == "compute_applied":
        services.compute_account_applied(
            group=group, by=user, account=post.get("account", ""), applied_on=_parse_date(post.get("applied_on"))
        )
        return "Compute account application recorded."
    if action == "compute_granted":
        services.compute_account_granted(group=group, by=user, granted_on=_parse_date(post.get("granted_on")))
        return "Compute account recorded as granted."
    if action == "report":
        upload = request.FILES.get("report")
        if upload is None:
            raise ValidationError("Choose your report's PDF file.")
        report = services.report_upload(group=group, by=user, upload=upload)
        return f"Final report {report.original_name or 'report.pdf'} uploaded ({report.pages} pages)" + (
            ", marked late." if report.late else "."
        )
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
            lambda g: f"{g.name} formed: {_names([m.user.username for m in g.members.all()])}.",
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
        "exam_choosers": selectors.exam_choosers_in_groups(course=course),
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
        if _run(request, lambda: _instructor_action(request, course, group), lambda said: str(said)):
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


def _instructor_action(request: HttpRequest, course, group: Group) -> str:  # type: ignore[no-untyped-def]
    """Do what the examiner asked on the group page; return what happened, in words."""
    post, user = request.POST, request.user
    action, reason = post.get("action", ""), post.get("reason", "")
    if action == "add":
        member = services.group_member_add(group=group, username=post.get("username", ""), by=user, reason=reason)
        return f"{member.user.username} added to {group.name}."
    if action == "remove":
        removed = get_object_or_404(User, pk=post.get("user"))
        services.group_member_remove(group=group, user=removed, by=user, reason=reason)
        return f"{removed.username} removed from {group.name}."
    if action == "split":
        new_group = services.group_split(group=group, usernames=post.getlist("usernames"), by=user, reason=reason)
        return f"{_names(sorted(post.getlist('usernames')))} moved from {group.name} into {new_group.name}."
    if action == "merge":
        other = get_object_or_404(Group, pk=post.get("other"), course=course)
        services.group_merge(into=group, other=other, by=user, reason=reason)
        return f"{other.name} merged into {group.name}."
    if action == "grade":
        confirmations = {
            m.user_id: (post.get(f"confirmed_{m.user_id}") == "1", post.get(f"note_{m.user_id}", ""))
            for m in group.members.all()
        }
        oral = services.oral_grade_record(
            group=group, by=user, grade=post.get("grade", ""), confirmations=confirmations, reason=reason
        )
        unconfirmed = [c.user.username for c in oral.confirmations.select_related("user") if not c.confirmed]
        return f"{group.name} graded {oral.grade}" + (
            f"; not confirmed at the oral: {_names(sorted(unconfirmed))}."
            if unconfirmed
            else "; every member confirmed."
        )
    raise ValidationError("Unknown action.")


@login_required
def proposal_queue(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    core_access.require_instructor(user=request.user, course=course)
    status = 200
    if request.method == "POST":
        proposal = get_object_or_404(Proposal, pk=request.POST.get("proposal"), group__course=course)
        decision = request.POST.get("decision")
        if _run(
            request,
            lambda: services.proposal_decide(
                proposal=proposal,
                by=request.user,
                approve=decision == "approve",
                reject=decision == "reject",
                comment=request.POST.get("comment", ""),
            ),
            lambda p: f"{proposal.group.name}: {p.get_status_display().lower()}; the group was told by e-mail.",
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
    membership = access.require_group_visible(user=request.user, group=obj.group)
    if kind == "proposal" and membership.is_staff_role and not membership.is_instructor:
        # A proposal is between the group and the examiner (TAs see the final report, which they help with).
        raise Http404("No such file.")
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

            ok = _run(request, act, lambda made: f"{len(made)} oral slots published.")  # type: ignore[arg-type]
        elif post.get("action") == "place":
            core_access.require_instructor(user=request.user, course=course)
            slot = get_object_or_404(OralSlot, pk=post.get("slot"), course=course)
            placed = get_object_or_404(Group, pk=post.get("group") or 0, course=course)
            ok = _run(
                request,
                lambda: services.oral_place(slot=slot, group=placed, by=request.user),
                lambda s: f"{placed.name} placed in the oral slot of {_when(course, s.starts_at)}.",  # type: ignore[attr-defined]
            )
        else:
            slot = get_object_or_404(OralSlot, pk=post.get("slot"), course=course)

            def act() -> object:
                if group is None:
                    raise ValidationError("You are not in a project group.")
                return services.oral_book(slot=slot, group=group, by=request.user)

            ok = _run(
                request,
                act,
                lambda s: f"Your group's oral is booked: {_when(course, s.starts_at)}.",  # type: ignore[attr-defined]
            )
        if ok:
            return redirect("projects:orals", code)
        status = 400
    return render(
        request,
        "projects/orals.html",
        {
            "slots": selectors.oral_slots(course=course),
            "group": group,
            "now": timezone.now(),
            "placeable": Group.objects.filter(course=course, approved_at__isnull=False)
            if membership.is_instructor
            else [],
        },
        status=status,
    )


@login_required
def help_sessions(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    status = 200
    if request.method == "POST":
        asked = _help_confirmation(request, course, membership)
        if asked is not None:
            return asked
        if _run(request, lambda: _help_action(request, course, membership), lambda said: str(said)):
            return redirect("projects:help", code)
        status = 400
    return _help_page(request, course, membership, status=status)


def _help_confirmation(request: HttpRequest, course, membership) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    """Cancelling a booking is asked first (without JavaScript: a page that posts the same form again)."""
    if request.POST.get("action") != "cancel" or confirmed(request):
        return None
    booking = HelpBooking.objects.filter(pk=request.POST.get("booking") or 0, slot__course=course).first()
    if booking is None:
        return None
    when = _when(course, booking.slot.starts_at)
    others = [a.user.display_name for a in booking.attendees.select_related("user") if a.user_id != request.user.pk]
    if membership.is_staff_role:
        detail = f"{_names(others)} will be told it is cancelled, with your reason; the slot becomes free again."
    elif booking.group_id and others:
        detail = f"This is your group's booking: {_names(others)} will be told it is cancelled."
    else:
        detail = "The slot becomes free for others to book."
    return confirm_page(
        request,
        question=f"Cancel the help session on {when} ({booking.topic})?",
        detail=detail,
        confirm_label="Yes, cancel the booking",
        back_url=reverse("projects:help", args=[course.code]),
        back_label="No, keep it",
    )


@login_required
@require_POST
def help_withdraw(request: HttpRequest, code: str, availability_id: int) -> HttpResponse:
    course, membership = course_page(request, code)
    availability = get_object_or_404(HelpAvailability, pk=availability_id, course=course)
    access.require_availability_owner(user=request.user, availability=availability)

    if not confirmed(request):
        return confirm_page(
            request,
            question=f"Withdraw {availability.date:%a %-d %b} "
            f"{availability.start:%H:%M}\u2013{availability.end:%H:%M}?",
            detail=f"All {availability.slots.count()} slots of this time stop being offered to students.",
            confirm_label="Yes, withdraw these times",
            back_url=reverse("projects:help", args=[code]),
            back_label="No, keep offering them",
        )

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
            s
            for s in selectors.help_slots_upcoming(course=course)
            if s.active_bookings and (s.ta_id == user.pk or membership.is_instructor)
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


def _help_action(request: HttpRequest, course, membership) -> str:  # type: ignore[no-untyped-def]
    """Do what was asked on the help page; return what happened, in words."""
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action == "publish":
        core_access.require_staff(user=user, course=course)
        availability = services.help_availability_publish(
            course=course,
            ta=user,
            date=_parse_date(post.get("date")),
            start=_parse_time(post.get("start")),
            end=_parse_time(post.get("end")),
            place=post.get("place", ""),
        )
        n = availability.slots.count()
        return (
            f"Published {availability.date:%a %-d %b} {availability.start:%H:%M}\u2013{availability.end:%H:%M}: "
            f"{n} slot{'s' if n != 1 else ''} students can book."
        )
    if action == "book":
        slot = get_object_or_404(HelpSlot, pk=post.get("slot"), course=course)
        booking = services.help_book(slot=slot, by=user, kind=post.get("kind", ""), topic=post.get("topic", ""))
        when = f"{_when(course, slot.starts_at)} with {slot.ta.display_name}"
        if booking.group_id:
            return f"Project help booked for {booking.group.name}, {when}; the other members were told."
        return f"Help booked: {when}."
    if action == "cancel":
        booking = get_object_or_404(HelpBooking, pk=post.get("booking"), slot__course=course)
        when = _when(course, booking.slot.starts_at)
        if membership.is_staff_role:
            services.help_cancel_by_staff(booking=booking, by=user, reason=post.get("reason", ""))
            return f"Booking of {when} cancelled; the students booked were told, with your reason."
        services.help_cancel(booking=booking, by=user)
        return f"Your booking of {when} is cancelled" + (
            "; the rest of your group was told." if booking.group_id else "."
        )
    if action == "attendance":
        booking = get_object_or_404(HelpBooking, pk=post.get("booking"), slot__course=course)
        access.require_booking_host(user=user, booking=booking)
        attended = {"yes": True, "no": False}.get(post.get("attended", ""))
        services.help_attendance_note(booking=booking, by=user, attended=attended, note=post.get("note", ""))
        return "Attendance noted."
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
