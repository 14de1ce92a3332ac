"""Project pages: the group page, the examiner's queue, group administration, orals, help sessions, settings.

Each page is a GET view; each thing a form does is a POST view of its own (`@posts`: one URL each, as the API has)
that calls one service and returns what happened, in words: the view says it and redirects to the page, or, when
the service refuses, shows the page again (400) with the refusal (coursesite.errors.flash). Who may do what is the
services' (projects/access.py): a view does not check it again. Times are shown in the active zone, the course's.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from coursesite.confirm import confirm_page, confirmed
from coursesite.errors import NotFound, Refused, flash
from coursesite.models import Course, Membership
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, selectors, services
from .models import GRADES, Group, HelpBooking, ProjectSettings

Ids = dict[str, int]  # the ids in the URL
Shown = tuple[str, Mapping[str, object]]  # a page: its template and context
# A page, shown by its GET view and again (400) after a refused POST: (request, course, membership, ids) -> it.
Page = Callable[[AuthedHttpRequest, Course, Membership, Ids], Shown]
# Where a done action goes: (the course's code, the ids in the URL) -> a redirect.
Done = Callable[[str, Ids], HttpResponseBase]
View = Callable[..., HttpResponseBase]
Said = str | HttpResponse  # what an action returns: what happened, in words, or a page (a question)


def posts(page: Page, done: str | Done) -> Callable[[Callable[..., Said]], View]:
    """Make `act(request, course, membership, **ids)` a POST view: it returns what happened in words (said on the
    next page, reached by `done`: a URL name taking the course's code, or a function) or a page (a question)."""

    def decorate(act: Callable[..., Said]) -> View:
        @login_required
        @require_POST
        @wraps(act)
        def view(request: AuthedHttpRequest, code: str, **ids: int) -> HttpResponseBase:
            course, membership = course_page(request, code)
            try:
                said = act(request, course, membership, **ids)
            except ValidationError as error:
                flash(request, error)
                return render(request, *page(request, course, membership, ids), status=400)
            if isinstance(said, HttpResponse):
                return said
            messages.success(request, said)
            return redirect(done, code) if isinstance(done, str) else done(code, ids)

        return view

    return decorate


def _parse_date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError as exc:
        raise Refused("Give a date like 2026-04-13.") from exc


def _parse_time(value: str | None) -> dt.time:
    try:
        return dt.time.fromisoformat(value or "")
    except ValueError as exc:
        raise Refused("Give a time like 13:00.") from exc


def _when(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%a %-d %b %H:%M}"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _reason(request: AuthedHttpRequest) -> str:
    return request.POST.get("reason", "")


# The student's project page and the examiner's group list --------------------------------------------------------


def _home_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    if membership.is_staff_role:
        return _staff_home(course)
    user = request.user
    group = selectors.group_of(course=course, user=user)
    fill = selectors.group_fill(group, course=course)
    flagged = {m.user_id for m in selectors.exam_choosers_in_groups(course=course)} if group else set()
    refused = "title" in request.POST  # shown after a POST: what was typed survives a refused file
    context = {
        "group": group,
        "size": fill.size,
        "fill": fill,
        "stage": selectors.group_stage(group, fill.size) if group else "",
        "proposal": selectors.latest_proposal(group) if group else None,
        "members": [m.user for m in group.members.all()] if group else [],
        "invitations": selectors.pending_invitations(course=course, user=user),
        "sent_invitations": selectors.sent_invitations(group) if group else [],
        "searches": selectors.partner_searches(course=course),
        "looking": selectors.is_looking(course=course, user=user),
        "reports": selectors.reports_of(group) if group else [],
        "now": timezone.now(),
        "typed": {key: request.POST.get(key, "") for key in ("title", "description")} if refused else {},
        "exam_flag": user.pk in flagged,
    }
    return "projects/home.html", context


def _staff_home(course: Course) -> Shown:
    size = selectors.group_size(course)
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
    return "projects/staff_home.html", context


@posts(_home_page, "projects:home")
def group_create(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    group = services.group_create(course=course, by=request.user, name=request.POST.get("name", ""))
    return f"{group.name} created; invite the others by their usernames."


@posts(_home_page, "projects:home")
def group_form(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    usernames = request.POST.get("usernames", "").replace(",", " ").split()
    group = services.group_form(course=course, usernames=usernames, by=request.user)
    return f"{group.name} formed: {_names([m.user.username for m in group.members.all()])}."


@posts(_home_page, "projects:home")
def invitation_answer(request: AuthedHttpRequest, course: Course, membership: Membership, invitation_id: int) -> str:
    invitation = selectors.invitation_in(course=course, pk=invitation_id)
    accept = request.POST.get("accept") == "1"
    services.invitation_answer(invitation=invitation, by=request.user, accept=accept)
    name = invitation.group.name
    return f"You joined {name}." if accept else f"You declined {name}'s invitation."


@posts(_home_page, "projects:home")
def partner_search(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    looking = request.POST.get("on") == "1"
    services.partner_search_set(course=course, by=request.user, looking=looking, note=request.POST.get("note", ""))
    return "You are listed as looking for partners." if looking else "You are no longer listed as looking."


@posts(_home_page, "projects:home")
@transaction.atomic
def group_invite(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    """Invite one or more students (separated by spaces or commas): all are invited, or none."""
    group = selectors.group_in(course=course, pk=group_id)
    names = request.POST.get("username", "").replace(",", " ").split()
    if not names:
        raise Refused("Give the username of the student to invite.")
    invited = [services.group_invite(group=group, by=request.user, username=name).invitee.username for name in names]
    return f"Invitation sent to {_names(invited)}; they are told by e-mail and on their project page."


@posts(_home_page, "projects:home")
def group_leave(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> Said:
    group = selectors.group_in(course=course, pk=group_id)
    if not confirmed(request):
        access.require_group_member(user=request.user, group=group)  # only the group's own members are asked
        return confirm_page(
            request,
            question=f"Leave {group.name}?",
            detail="You will need a new invitation to join it again; the others stay in the group.",
            confirm_label="Yes, leave the group",
            back_url=reverse("projects:home", args=[course.code]),
            back_label="No, stay in the group",
        )
    services.group_leave(group=group, by=request.user)
    return f"You left {group.name}."


@posts(_home_page, "projects:home")
def proposal_submit(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    post = request.POST
    proposal = services.proposal_submit(
        group=selectors.group_in(course=course, pk=group_id),
        by=request.user,
        title=post.get("title", ""),
        description=post.get("description", ""),
        pdf=request.FILES.get("pdf"),
    )
    return (
        f"Proposal \u201c{proposal.title}\u201d (version {proposal.version}) submitted; "
        f"the examiner decides by {proposal.due_on:%A %-d %B}."
    )


@posts(_home_page, "projects:home")
def compute_applied(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    services.compute_account_applied(
        group=selectors.group_in(course=course, pk=group_id),
        by=request.user,
        account=request.POST.get("account", ""),
        applied_on=_parse_date(request.POST.get("applied_on")),
    )
    return "Compute account application recorded."


@posts(_home_page, "projects:home")
def compute_granted(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    services.compute_account_granted(
        group=selectors.group_in(course=course, pk=group_id),
        by=request.user,
        granted_on=_parse_date(request.POST.get("granted_on")),
    )
    return "Compute account recorded as granted."


@posts(_home_page, "projects:home")
def report_upload(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    upload = request.FILES.get("report")
    if upload is None:
        raise Refused("Choose your report's PDF file.")
    report = services.report_upload(group=group, by=request.user, upload=upload)
    late = ", marked late." if report.late else "."
    return f"Final report {report.original_name or 'report.pdf'} uploaded ({report.pages} pages){late}"


# The examiner's group page ----------------------------------------------------------------------------------------


def _group_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    group = selectors.group_in(course=course, pk=ids["group_id"], overview=True)
    grade = getattr(group, "oral_grade", None)
    confirmations = {c.user_id: c for c in grade.confirmations.all()} if grade else {}
    context = {
        "group": group,
        "members": [(m.user, confirmations.get(m.user_id)) for m in group.members.all()],
        "proposals": group.proposals.all(),
        "reports": group.reports.all(),
        "grade": grade,
        "grades": [g for g, _ in GRADES],
        "other_groups": selectors.other_groups(group),
        "settings": ProjectSettings.for_course(course),
    }
    return "projects/group.html", context


def _back_to_group(code: str, ids: Ids) -> HttpResponseBase:
    """The group's page, or the list when the change left no group."""
    gone = not Group.objects.filter(pk=ids["group_id"]).exists()
    return redirect("projects:home", code) if gone else redirect("projects:group", code, ids["group_id"])


def _pk(request: AuthedHttpRequest, field: str) -> int:
    """An id a form posts (a missing or bad one names nothing: 404)."""
    try:
        return int(request.POST.get(field) or "")
    except ValueError as exc:
        raise NotFound("There is no such thing to act on.") from exc


@posts(_group_page, _back_to_group)
def member_add(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    username = request.POST.get("username", "")
    member = services.group_member_add(group=group, username=username, by=request.user, reason=_reason(request))
    return f"{member.user.username} added to {group.name}."


@posts(_group_page, _back_to_group)
def member_remove(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    removed = selectors.user_by_pk(_pk(request, "user"))
    services.group_member_remove(group=group, user=removed, by=request.user, reason=_reason(request))
    return f"{removed.username} removed from {group.name}."


@posts(_group_page, _back_to_group)
def group_split(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    moving = request.POST.getlist("usernames")
    new_group = services.group_split(group=group, usernames=moving, by=request.user, reason=_reason(request))
    return f"{_names(sorted(moving))} moved from {group.name} into {new_group.name}."


@posts(_group_page, _back_to_group)
def group_merge(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    other = selectors.group_in(course=course, pk=_pk(request, "other"))
    services.group_merge(into=group, other=other, by=request.user, reason=_reason(request))
    return f"{other.name} merged into {group.name}."


@posts(_group_page, _back_to_group)
def group_grade(request: AuthedHttpRequest, course: Course, membership: Membership, group_id: int) -> str:
    group = selectors.group_in(course=course, pk=group_id)
    post = request.POST
    confirmations = {
        user_id: (post.get(f"confirmed_{user_id}") == "1", post.get(f"note_{user_id}", ""))
        for user_id in selectors.member_ids(group)
    }
    oral = services.oral_grade_record(
        group=group, by=request.user, grade=post.get("grade", ""), confirmations=confirmations, reason=_reason(request)
    )
    unconfirmed = sorted(c.user.username for c in oral.confirmations.select_related("user") if not c.confirmed)
    if unconfirmed:
        return f"{group.name} graded {oral.grade}; not confirmed at the oral: {_names(unconfirmed)}."
    return f"{group.name} graded {oral.grade}; every member confirmed."


# The examiner's proposal queue and the files ----------------------------------------------------------------------


def _queue_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    return "projects/queue.html", {"proposals": selectors.proposal_queue(course=course), "today": timezone.localdate()}


@posts(_queue_page, "projects:proposal_queue")
def proposal_decide(request: AuthedHttpRequest, course: Course, membership: Membership, proposal_id: int) -> str:
    decision = request.POST.get("decision")
    proposal = services.proposal_decide(
        proposal=selectors.proposal_in(course=course, pk=proposal_id),
        by=request.user,
        approve=decision == "approve",
        reject=decision == "reject",
        comment=request.POST.get("comment", ""),
    )
    return f"{proposal.group.name}: {proposal.get_status_display().lower()}; the group was told by e-mail."


@login_required
def file_download(request: AuthedHttpRequest, code: str, kind: str, pk: int) -> FileResponse:
    course, _ = course_page(request, code)
    if kind == "proposal":
        proposal = selectors.proposal_in(course=course, pk=pk)
        group, name, filename = proposal.group, proposal.pdf, proposal.pdf_original_name or "proposal.pdf"
    elif kind == "report":
        report = selectors.report_in(course=course, pk=pk)
        group, name, filename = report.group, report.file, report.original_name or "report.pdf"
    else:
        raise NotFound("No such file.")
    access.access_group_file(user=request.user, group=group, kind=kind)
    if not name:
        raise NotFound("No file was uploaded.")
    return FileResponse(default_storage.open(name, "rb"), content_type="application/pdf", filename=filename)


# Orals ------------------------------------------------------------------------------------------------------------


def _orals_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    context = {
        "slots": selectors.oral_slots(course=course),
        "group": None if membership.is_staff_role else selectors.group_of(course=course, user=request.user),
        "now": timezone.now(),
        "placeable": selectors.placeable_groups(course=course) if membership.is_instructor else [],
    }
    return "projects/orals.html", context


@posts(_orals_page, "projects:orals")
def oral_publish(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    post = request.POST
    try:
        count = int(post.get("count") or 0)
    except ValueError as exc:
        raise Refused("Give the number of slots as a whole number.") from exc
    made = services.oral_slots_publish(
        course=course,
        by=request.user,
        day=_parse_date(post.get("day")),
        start=_parse_time(post.get("start")),
        count=count,
        place=post.get("place", ""),
    )
    return f"{len(made)} oral slots published."


@posts(_orals_page, "projects:orals")
def oral_place(request: AuthedHttpRequest, course: Course, membership: Membership, slot_id: int) -> str:
    group = selectors.group_in(course=course, pk=_pk(request, "group"))
    slot = services.oral_place(slot=selectors.oral_slot_in(course=course, pk=slot_id), group=group, by=request.user)
    return f"{group.name} placed in the oral slot of {_when(slot.starts_at)}."


@posts(_orals_page, "projects:orals")
def oral_book(request: AuthedHttpRequest, course: Course, membership: Membership, slot_id: int) -> str:
    slot = selectors.oral_slot_in(course=course, pk=slot_id)
    group = selectors.group_of(course=course, user=request.user)
    if group is None:
        raise Refused("You are not in a project group.")
    slot = services.oral_book(slot=slot, group=group, by=request.user)
    return f"Your group's oral is booked: {_when(slot.starts_at)}."


# Help sessions ----------------------------------------------------------------------------------------------------


def _help_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    user, staff = request.user, membership.is_staff_role
    upcoming = list(selectors.help_slots_upcoming(course=course))
    mine = [s for s in upcoming if selectors.active_bookings(s) and (s.ta_id == user.pk or membership.is_instructor)]
    ta = None if membership.is_instructor else user
    context = {
        "slots": [s for s in upcoming if not selectors.active_bookings(s)],
        "bookings": selectors.help_bookings_of(course=course, user=user) if membership.is_student else [],
        "agenda": selectors.ta_agenda(course=course, ta=user, day=timezone.localdate()) if staff else [],
        "upcoming_booked": mine if staff else [],
        "published": selectors.help_availabilities_upcoming(course=course, ta=ta) if staff else [],
        "kinds": HelpBooking.Kind.choices,
        "settings": ProjectSettings.for_course(course),
        "today": timezone.localdate(),
    }
    return "projects/help.html", context


@posts(_help_page, "projects:help")
def help_publish(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    post = request.POST
    availability = services.help_availability_publish(
        course=course,
        ta=request.user,
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


@posts(_help_page, "projects:help")
def help_book(request: AuthedHttpRequest, course: Course, membership: Membership, slot_id: int) -> str:
    slot = selectors.help_slot_in(course=course, pk=slot_id)
    booking = services.help_book(
        slot=slot, by=request.user, kind=request.POST.get("kind", ""), topic=request.POST.get("topic", "")
    )
    when = f"{_when(slot.starts_at)} with {slot.ta.display_name}"
    if booking.group is not None:
        return f"Project help booked for {booking.group.name}, {when}; the other members were told."
    return f"Help booked: {when}."


@posts(_help_page, "projects:help")
def help_cancel(request: AuthedHttpRequest, course: Course, membership: Membership, booking_id: int) -> Said:
    booking = selectors.help_booking_in(course=course, pk=booking_id)
    when = _when(booking.slot.starts_at)
    if not confirmed(request):  # asked first (without JavaScript: a page that posts the same form again)
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
    if membership.is_staff_role:
        services.help_cancel_by_staff(booking=booking, by=request.user, reason=_reason(request))
        return f"Booking of {when} cancelled; the students booked were told, with your reason."
    services.help_cancel(booking=booking, by=request.user)
    return f"Your booking of {when} is cancelled" + ("; the rest of your group was told." if booking.group_id else ".")


@posts(_help_page, "projects:help")
def help_attendance(request: AuthedHttpRequest, course: Course, membership: Membership, booking_id: int) -> str:
    attended = {"yes": True, "no": False}.get(request.POST.get("attended", ""))
    services.help_attendance_note(
        booking=selectors.help_booking_in(course=course, pk=booking_id),
        by=request.user,
        attended=attended,
        note=request.POST.get("note", ""),
    )
    return "Attendance noted."


@posts(_help_page, "projects:help")
def help_withdraw(request: AuthedHttpRequest, course: Course, membership: Membership, availability_id: int) -> Said:
    availability = selectors.help_availability_in(course=course, pk=availability_id)
    if not confirmed(request):
        access.require_availability_owner(user=request.user, availability=availability)  # only they are asked
        return confirm_page(
            request,
            question=f"Withdraw {availability.date:%a %-d %b} "
            f"{availability.start:%H:%M}\u2013{availability.end:%H:%M}?",
            detail=f"All {availability.slots.count()} slots of this time stop being offered to students.",
            confirm_label="Yes, withdraw these times",
            back_url=reverse("projects:help", args=[course.code]),
            back_label="No, keep offering them",
        )
    services.help_availability_withdraw(availability=availability, by=request.user)
    return "Withdrawn: those slots are no longer offered."


# Settings ---------------------------------------------------------------------------------------------------------

# What the settings form changes: every field of ProjectSettings but its course, in the model's order.
SETTINGS_FIELDS = [f for f in ProjectSettings._meta.concrete_fields if f.name not in ("id", "course")]


def _settings_page(request: AuthedHttpRequest, course: Course, membership: Membership, ids: Ids) -> Shown:
    project_settings = ProjectSettings.for_course(course)
    fields = [(f.name, f.verbose_name, getattr(project_settings, f.name)) for f in SETTINGS_FIELDS]
    return "projects/settings.html", {"fields": fields, "grades": [g for g, _ in GRADES]}


@posts(_settings_page, "projects:settings")
def settings_update(request: AuthedHttpRequest, course: Course, membership: Membership) -> str:
    values: dict[str, object] = {}
    for field in SETTINGS_FIELDS:
        raw = request.POST.get(field.name, "")
        try:
            values[field.name] = raw if field.name == "unconfirmed_result" else int(raw)
        except ValueError as exc:
            raise Refused(f"{field.verbose_name} must be a whole number.") from exc
    services.project_settings_update(course=course, by=request.user, **values)
    return "Project settings saved."


# The pages (GET only) --------------------------------------------------------------------------------------------


def shows(page: Page, may_see: Callable[..., Membership] | None = None) -> View:
    """A page's view: GET only; `may_see(user=, course=)` says who may see it, when not every member may."""

    @login_required
    @require_safe
    def view(request: AuthedHttpRequest, code: str, **ids: int) -> HttpResponse:
        course, membership = course_page(request, code)
        if may_see is not None:
            may_see(user=request.user, course=course)
        return render(request, *page(request, course, membership, ids))

    return view


home = shows(_home_page)
group_detail = shows(_group_page, access.require_staff)
proposal_queue = shows(_queue_page, access.require_examiner)
orals = shows(_orals_page)
help_sessions = shows(_help_page)
settings_page = shows(_settings_page, access.require_examiner)
