"""Project pages: the group page, the examiner's queue, group administration, orals, help sessions, settings.

Each page is a GET view; each thing a form does is a POST view of its own (one URL each, as the API has), which
calls one service, says what happened and redirects to the page, or, refused, shows the page again (400) with the
refusal in words. Who may do what is the services' (projects/access.py): a view does not check it again.

The pages' old addresses still take the old forms (a POST with an "action" field, from a page open before an
upgrade): `_forward` hands such a POST to the action's own view.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coursesite.confirm import confirm_page, confirmed
from coursesite.errors import NotFound, Refused, flash
from coursesite.models import Course, Membership, User
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import access, selectors, services
from .models import GRADES, Group, HelpBooking, ProjectSettings

T = TypeVar("T")
Page = Callable[[int], HttpResponse]


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
    """A moment in the page's zone (the course's, activated for every course page)."""
    return f"{timezone.localtime(moment):%a %-d %b %H:%M}"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _act(
    request: AuthedHttpRequest,
    action: Callable[[], T],
    said: Callable[[T], str],
    *,
    done: Callable[[T], HttpResponseBase],
    page: Page,
) -> HttpResponseBase:
    """Run one service: say what happened and go to `done`, or show the page again (400) with the refusal."""
    try:
        result = action()
    except ValidationError as error:
        flash(request, error)
        return page(400)
    messages.success(request, said(result))
    return done(result)


def _to(name: str, *args: object) -> Callable[[Any], HttpResponseBase]:
    return lambda _result: redirect(name, *args)


def _pk(request: AuthedHttpRequest, field: str) -> int:
    """An id posted by an old form (a missing or bad one names nothing: 404)."""
    try:
        return int(request.POST.get(field) or "")
    except ValueError as exc:
        raise NotFound("There is no such thing to act on.") from exc


def _forward(
    request: AuthedHttpRequest, code: str, actions: dict[str, Callable[[AuthedHttpRequest, str], HttpResponseBase]]
) -> HttpResponseBase:
    """An old form's POST to a page's own address: handed to the view of its "action"."""
    view = actions.get(request.POST.get("action", ""))
    if view is None:
        raise Refused("Unknown action.")
    return view(request, code)


def _my_group_id(request: AuthedHttpRequest, code: str) -> int:
    course, _ = course_page(request, code)
    group = selectors.group_of(course=course, user=request.user)
    if group is None:
        raise Refused("Create or join a group first.")
    return group.pk


# The student's project page and the examiner's group list --------------------------------------------------------


@login_required
def home(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, membership = course_page(request, code)
    if request.method == "POST":
        return _forward(request, code, HOME_ACTIONS)
    if membership.is_staff_role:
        return _staff_home_page(request, course)
    return _home_page(request, course)


def _home_page(request: AuthedHttpRequest, course: Course, status: int = 200, typed: Any = None) -> HttpResponse:
    user = request.user
    group = selectors.group_of(course=course, user=user)
    fill = selectors.group_fill(group, course=course)
    flagged = {m.user_id for m in selectors.exam_choosers_in_groups(course=course)} if group else set()
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
        "typed": typed or {},
        "exam_flag": user.pk in flagged,
    }
    return render(request, "projects/home.html", context, status=status)


def _student_page(request: AuthedHttpRequest, code: str) -> tuple[Course, Page]:
    course, _ = course_page(request, code)
    return course, lambda status: _home_page(request, course, status)


@login_required
@require_POST
def group_create(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, page = _student_page(request, code)
    return _act(
        request,
        lambda: services.group_create(course=course, by=request.user, name=request.POST.get("name", "")),
        lambda group: f"{group.name} created; invite the others by their usernames.",
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def invitation_answer(request: AuthedHttpRequest, code: str, invitation_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    invitation = selectors.invitation_in(course=course, pk=invitation_id)
    accept = request.POST.get("accept") == "1"
    return _act(
        request,
        lambda: services.invitation_answer(invitation=invitation, by=request.user, accept=accept),
        lambda answered: (
            f"You joined {answered.group.name}." if accept else f"You declined {answered.group.name}'s invitation."
        ),
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def partner_search(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, page = _student_page(request, code)
    looking = request.POST.get("on") == "1"
    return _act(
        request,
        lambda: services.partner_search_set(
            course=course, by=request.user, looking=looking, note=request.POST.get("note", "")
        ),
        lambda _: "You are listed as looking for partners." if looking else "You are no longer listed as looking.",
        done=_to("projects:home", code),
        page=page,
    )


@transaction.atomic
def _invite_all(group: Group, by: User, usernames: str) -> list[str]:
    """Invite one or more students (separated by spaces or commas): all are invited, or none."""
    names = usernames.replace(",", " ").split()
    if not names:
        raise Refused("Give the username of the student to invite.")
    return [services.group_invite(group=group, by=by, username=name).invitee.username for name in names]


@login_required
@require_POST
def group_invite(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)
    return _act(
        request,
        lambda: _invite_all(group, request.user, request.POST.get("username", "")),
        lambda invited: f"Invitation sent to {_names(invited)}; they are told by e-mail and on their project page.",
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def group_leave(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)
    if not confirmed(request):
        access.require_group_member(user=request.user, group=group)  # only the group's own members are asked
        return confirm_page(
            request,
            question=f"Leave {group.name}?",
            detail="You will need a new invitation to join it again; the others stay in the group.",
            confirm_label="Yes, leave the group",
            back_url=reverse("projects:home", args=[code]),
            back_label="No, stay in the group",
        )
    return _act(
        request,
        lambda: services.group_leave(group=group, by=request.user),
        lambda _: f"You left {group.name}.",
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def proposal_submit(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, _ = course_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)
    post = request.POST
    typed = {"title": post.get("title", ""), "description": post.get("description", "")}  # survives a refused file
    return _act(
        request,
        lambda: services.proposal_submit(
            group=group,
            by=request.user,
            title=typed["title"],
            description=typed["description"],
            pdf=request.FILES.get("pdf"),
        ),
        lambda proposal: (
            f"Proposal \u201c{proposal.title}\u201d (version {proposal.version}) submitted; "
            f"the examiner decides by {proposal.due_on:%A %-d %B}."
        ),
        done=_to("projects:home", code),
        page=lambda status: _home_page(request, course, status, typed),
    )


@login_required
@require_POST
def compute_applied(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)
    return _act(
        request,
        lambda: services.compute_account_applied(
            group=group,
            by=request.user,
            account=request.POST.get("account", ""),
            applied_on=_parse_date(request.POST.get("applied_on")),
        ),
        lambda _: "Compute account application recorded.",
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def compute_granted(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)
    return _act(
        request,
        lambda: services.compute_account_granted(
            group=group, by=request.user, granted_on=_parse_date(request.POST.get("granted_on"))
        ),
        lambda _: "Compute account recorded as granted.",
        done=_to("projects:home", code),
        page=page,
    )


@login_required
@require_POST
def report_upload(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, page = _student_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)

    def upload() -> Any:
        report = request.FILES.get("report")
        if report is None:
            raise Refused("Choose your report's PDF file.")
        return services.report_upload(group=group, by=request.user, upload=report)

    return _act(
        request,
        upload,
        lambda report: (
            f"Final report {report.original_name or 'report.pdf'} uploaded ({report.pages} pages)"
            + (", marked late." if report.late else ".")
        ),
        done=_to("projects:home", code),
        page=page,
    )


def _staff_home_page(request: AuthedHttpRequest, course: Course, status: int = 200) -> HttpResponse:
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
    return render(request, "projects/staff_home.html", context, status=status)


@login_required
@require_POST
def group_form(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, _ = course_page(request, code)
    return _act(
        request,
        lambda: services.group_form(
            course=course, usernames=request.POST.get("usernames", "").replace(",", " ").split(), by=request.user
        ),
        lambda group: f"{group.name} formed: {_names([m.user.username for m in group.members.all()])}.",
        done=_to("projects:home", code),
        page=lambda status: _staff_home_page(request, course, status),
    )


# The examiner's group page ----------------------------------------------------------------------------------------


@login_required
def group_detail(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, membership = course_page(request, code)
    if request.method == "POST":
        return _forward(request, code, _group_actions(group_id))
    access.require_staff(user=request.user, course=course)
    return _group_page(request, course, group_id)


def _group_page(request: AuthedHttpRequest, course: Course, group_id: int, status: int = 200) -> HttpResponse:
    group = selectors.group_in(course=course, pk=group_id, overview=True)
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
    return render(request, "projects/group.html", context, status=status)


def _group_action(
    request: AuthedHttpRequest, code: str, group_id: int, action: Callable[[Group], T], said: Callable[[T], str]
) -> HttpResponseBase:
    """One of the examiner's changes to a group; back to its page (or the list, when the group is gone)."""
    course, _ = course_page(request, code)
    group = selectors.group_in(course=course, pk=group_id)

    def done(_result: T) -> HttpResponseBase:
        if not Group.objects.filter(pk=group_id).exists():
            return redirect("projects:home", code)
        return redirect("projects:group", code, group_id)

    return _act(
        request,
        lambda: action(group),
        said,
        done=done,
        page=lambda status: _group_page(request, course, group_id, status),
    )


def _reason(request: AuthedHttpRequest) -> str:
    return request.POST.get("reason", "")


@login_required
@require_POST
def member_add(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    return _group_action(
        request,
        code,
        group_id,
        lambda group: services.group_member_add(
            group=group, username=request.POST.get("username", ""), by=request.user, reason=_reason(request)
        ),
        lambda member: f"{member.user.username} added to {member.group.name}.",
    )


@login_required
@require_POST
def member_remove(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    removed = selectors.user_by_pk(_pk(request, "user"))

    def remove(group: Group) -> Group:
        services.group_member_remove(group=group, user=removed, by=request.user, reason=_reason(request))
        return group

    return _group_action(
        request, code, group_id, remove, lambda group: f"{removed.username} removed from {group.name}."
    )


@login_required
@require_POST
def group_split(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    moving = request.POST.getlist("usernames")

    def split(group: Group) -> tuple[Group, Group]:
        return group, services.group_split(group=group, usernames=moving, by=request.user, reason=_reason(request))

    return _group_action(
        request,
        code,
        group_id,
        split,
        lambda groups: f"{_names(sorted(moving))} moved from {groups[0].name} into {groups[1].name}.",
    )


@login_required
@require_POST
def group_merge(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    course, _ = course_page(request, code)
    other = selectors.group_in(course=course, pk=_pk(request, "other"))
    return _group_action(
        request,
        code,
        group_id,
        lambda group: services.group_merge(into=group, other=other, by=request.user, reason=_reason(request)),
        lambda group: f"{other.name} merged into {group.name}.",
    )


@login_required
@require_POST
def group_grade(request: AuthedHttpRequest, code: str, group_id: int) -> HttpResponseBase:
    post = request.POST

    def grade(group: Group) -> tuple[Group, Any]:
        confirmations = {
            user_id: (post.get(f"confirmed_{user_id}") == "1", post.get(f"note_{user_id}", ""))
            for user_id in selectors.member_ids(group)
        }
        oral = services.oral_grade_record(
            group=group,
            by=request.user,
            grade=post.get("grade", ""),
            confirmations=confirmations,
            reason=_reason(request),
        )
        return group, oral

    def said(graded: tuple[Group, Any]) -> str:
        group, oral = graded
        unconfirmed = [c.user.username for c in oral.confirmations.select_related("user") if not c.confirmed]
        return f"{group.name} graded {oral.grade}" + (
            f"; not confirmed at the oral: {_names(sorted(unconfirmed))}."
            if unconfirmed
            else "; every member confirmed."
        )

    return _group_action(request, code, group_id, grade, said)


def _group_actions(group_id: int) -> dict[str, Callable[[AuthedHttpRequest, str], HttpResponseBase]]:
    return {
        "add": lambda request, code: member_add(request, code, group_id),
        "remove": lambda request, code: member_remove(request, code, group_id),
        "split": lambda request, code: group_split(request, code, group_id),
        "merge": lambda request, code: group_merge(request, code, group_id),
        "grade": lambda request, code: group_grade(request, code, group_id),
    }


# The examiner's proposal queue ------------------------------------------------------------------------------------


@login_required
def proposal_queue(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, _ = course_page(request, code)
    if request.method == "POST":  # an old form: the proposal in a field
        return proposal_decide(request, code, _pk(request, "proposal"))
    access.require_examiner(user=request.user, course=course)
    return _queue_page(request, course)


def _queue_page(request: AuthedHttpRequest, course: Course, status: int = 200) -> HttpResponse:
    context = {"proposals": selectors.proposal_queue(course=course), "today": timezone.localdate()}
    return render(request, "projects/queue.html", context, status=status)


@login_required
@require_POST
def proposal_decide(request: AuthedHttpRequest, code: str, proposal_id: int) -> HttpResponseBase:
    course, _ = course_page(request, code)
    proposal = selectors.proposal_in(course=course, pk=proposal_id)
    decision = request.POST.get("decision")
    return _act(
        request,
        lambda: services.proposal_decide(
            proposal=proposal,
            by=request.user,
            approve=decision == "approve",
            reject=decision == "reject",
            comment=request.POST.get("comment", ""),
        ),
        lambda decided: f"{decided.group.name}: {decided.get_status_display().lower()}; the group was told by e-mail.",
        done=_to("projects:proposal_queue", code),
        page=lambda status: _queue_page(request, course, status),
    )


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
    membership = access.access_group(user=request.user, group=group)
    if kind == "proposal" and membership.is_staff_role and not membership.is_instructor:
        # A proposal is between the group and the examiner (TAs see the final report, which they help with).
        raise NotFound("No such file.")
    if not name:
        raise NotFound("No file was uploaded.")
    return FileResponse(default_storage.open(name, "rb"), content_type="application/pdf", filename=filename)


# Orals ------------------------------------------------------------------------------------------------------------


@login_required
def orals(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, membership = course_page(request, code)
    if request.method == "POST":
        return _forward(request, code, ORAL_ACTIONS)
    return _orals_page(request, course, membership)


def _orals_page(request: AuthedHttpRequest, course: Course, membership: Membership, status: int = 200) -> HttpResponse:
    context = {
        "slots": selectors.oral_slots(course=course),
        "group": None if membership.is_staff_role else selectors.group_of(course=course, user=request.user),
        "now": timezone.now(),
        "placeable": selectors.placeable_groups(course=course) if membership.is_instructor else [],
    }
    return render(request, "projects/orals.html", context, status=status)


def _oral_act(
    request: AuthedHttpRequest, code: str, action: Callable[[Course], T], said: Callable[[T], str]
) -> HttpResponseBase:
    course, membership = course_page(request, code)
    return _act(
        request,
        lambda: action(course),
        said,
        done=_to("projects:orals", code),
        page=lambda status: _orals_page(request, course, membership, status),
    )


@login_required
@require_POST
def oral_publish(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    post = request.POST

    def publish(course: Course) -> list[Any]:
        try:
            count = int(post.get("count") or 0)
        except ValueError as exc:
            raise Refused("Give the number of slots as a whole number.") from exc
        return services.oral_slots_publish(
            course=course,
            by=request.user,
            day=_parse_date(post.get("day")),
            start=_parse_time(post.get("start")),
            count=count,
            place=post.get("place", ""),
        )

    return _oral_act(request, code, publish, lambda made: f"{len(made)} oral slots published.")


@login_required
@require_POST
def oral_place(request: AuthedHttpRequest, code: str, slot_id: int) -> HttpResponseBase:
    def place(course: Course) -> tuple[Group, Any]:
        slot = selectors.oral_slot_in(course=course, pk=slot_id)
        group = selectors.group_in(course=course, pk=_pk(request, "group"))
        return group, services.oral_place(slot=slot, group=group, by=request.user)

    return _oral_act(
        request,
        code,
        place,
        lambda placed: f"{placed[0].name} placed in the oral slot of {_when(placed[1].starts_at)}.",
    )


@login_required
@require_POST
def oral_book(request: AuthedHttpRequest, code: str, slot_id: int) -> HttpResponseBase:
    def book(course: Course) -> Any:
        slot = selectors.oral_slot_in(course=course, pk=slot_id)
        group = selectors.group_of(course=course, user=request.user)
        if group is None:
            raise Refused("You are not in a project group.")
        return services.oral_book(slot=slot, group=group, by=request.user)

    return _oral_act(request, code, book, lambda slot: f"Your group's oral is booked: {_when(slot.starts_at)}.")


# Help sessions ----------------------------------------------------------------------------------------------------


@login_required
def help_sessions(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, membership = course_page(request, code)
    if request.method == "POST":
        return _forward(request, code, HELP_ACTIONS)
    return _help_page(request, course, membership)


def _help_page(request: AuthedHttpRequest, course: Course, membership: Membership, status: int = 200) -> HttpResponse:
    user = request.user
    staff = membership.is_staff_role
    upcoming = selectors.help_slots_upcoming(course=course)
    context = {
        "slots": [s for s in upcoming if not selectors.active_bookings(s)],
        "bookings": selectors.help_bookings_of(course=course, user=user) if membership.is_student else [],
        "agenda": selectors.ta_agenda(course=course, ta=user, day=timezone.localdate()) if staff else [],
        "upcoming_booked": [
            s for s in upcoming if selectors.active_bookings(s) and (s.ta_id == user.pk or membership.is_instructor)
        ]
        if staff
        else [],
        "published": selectors.help_availabilities_upcoming(
            course=course, ta=None if membership.is_instructor else user
        )
        if staff
        else [],
        "kinds": HelpBooking.Kind.choices,
        "settings": ProjectSettings.for_course(course),
        "today": timezone.localdate(),
    }
    return render(request, "projects/help.html", context, status=status)


def _help_act(
    request: AuthedHttpRequest, code: str, action: Callable[[Course, Membership], T], said: Callable[[T], str]
) -> HttpResponseBase:
    course, membership = course_page(request, code)
    return _act(
        request,
        lambda: action(course, membership),
        said,
        done=_to("projects:help", code),
        page=lambda status: _help_page(request, course, membership, status),
    )


@login_required
@require_POST
def help_publish(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    post = request.POST

    def publish(course: Course, _membership: Membership) -> Any:
        return services.help_availability_publish(
            course=course,
            ta=request.user,
            date=_parse_date(post.get("date")),
            start=_parse_time(post.get("start")),
            end=_parse_time(post.get("end")),
            place=post.get("place", ""),
        )

    def said(availability: Any) -> str:
        n = availability.slots.count()
        return (
            f"Published {availability.date:%a %-d %b} {availability.start:%H:%M}\u2013{availability.end:%H:%M}: "
            f"{n} slot{'s' if n != 1 else ''} students can book."
        )

    return _help_act(request, code, publish, said)


@login_required
@require_POST
def help_book(request: AuthedHttpRequest, code: str, slot_id: int) -> HttpResponseBase:
    def book(course: Course, _membership: Membership) -> HelpBooking:
        slot = selectors.help_slot_in(course=course, pk=slot_id)
        return services.help_book(
            slot=slot, by=request.user, kind=request.POST.get("kind", ""), topic=request.POST.get("topic", "")
        )

    def said(booking: HelpBooking) -> str:
        when = f"{_when(booking.slot.starts_at)} with {booking.slot.ta.display_name}"
        if booking.group is not None:
            return f"Project help booked for {booking.group.name}, {when}; the other members were told."
        return f"Help booked: {when}."

    return _help_act(request, code, book, said)


@login_required
@require_POST
def help_cancel(request: AuthedHttpRequest, code: str, booking_id: int) -> HttpResponseBase:
    course, membership = course_page(request, code)
    booking = selectors.help_booking_in(course=course, pk=booking_id)
    if not confirmed(request):
        return _help_cancel_question(request, course, membership, booking)
    when = _when(booking.slot.starts_at)

    def cancel(_course: Course, membership: Membership) -> str:
        if membership.is_staff_role:
            services.help_cancel_by_staff(booking=booking, by=request.user, reason=_reason(request))
            return f"Booking of {when} cancelled; the students booked were told, with your reason."
        services.help_cancel(booking=booking, by=request.user)
        return f"Your booking of {when} is cancelled" + (
            "; the rest of your group was told." if booking.group_id else "."
        )

    return _help_act(request, code, cancel, lambda said: said)


def _help_cancel_question(
    request: AuthedHttpRequest, course: Course, membership: Membership, booking: HelpBooking
) -> HttpResponse:
    """Cancelling a booking is asked first (without JavaScript: a page that posts the same form again)."""
    others = [a.user.display_name for a in booking.attendees.select_related("user") if a.user_id != request.user.pk]
    if membership.is_staff_role:
        detail = f"{_names(others)} will be told it is cancelled, with your reason; the slot becomes free again."
    elif booking.group_id and others:
        detail = f"This is your group's booking: {_names(others)} will be told it is cancelled."
    else:
        detail = "The slot becomes free for others to book."
    return confirm_page(
        request,
        question=f"Cancel the help session on {_when(booking.slot.starts_at)} ({booking.topic})?",
        detail=detail,
        confirm_label="Yes, cancel the booking",
        back_url=reverse("projects:help", args=[course.code]),
        back_label="No, keep it",
    )


@login_required
@require_POST
def help_attendance(request: AuthedHttpRequest, code: str, booking_id: int) -> HttpResponseBase:
    def note(course: Course, _membership: Membership) -> HelpBooking:
        booking = selectors.help_booking_in(course=course, pk=booking_id)
        attended = {"yes": True, "no": False}.get(request.POST.get("attended", ""))
        return services.help_attendance_note(
            booking=booking, by=request.user, attended=attended, note=request.POST.get("note", "")
        )

    return _help_act(request, code, note, lambda _: "Attendance noted.")


@login_required
@require_POST
def help_withdraw(request: AuthedHttpRequest, code: str, availability_id: int) -> HttpResponseBase:
    course, membership = course_page(request, code)
    availability = selectors.help_availability_in(course=course, pk=availability_id)
    if not confirmed(request):
        access.require_availability_owner(user=request.user, availability=availability)  # only they are asked
        return confirm_page(
            request,
            question=f"Withdraw {availability.date:%a %-d %b} "
            f"{availability.start:%H:%M}\u2013{availability.end:%H:%M}?",
            detail=f"All {availability.slots.count()} slots of this time stop being offered to students.",
            confirm_label="Yes, withdraw these times",
            back_url=reverse("projects:help", args=[code]),
            back_label="No, keep offering them",
        )
    return _help_act(
        request,
        code,
        lambda _course, _membership: services.help_availability_withdraw(availability=availability, by=request.user),
        lambda _: "Withdrawn: those slots are no longer offered.",
    )


# Settings ---------------------------------------------------------------------------------------------------------

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
def settings_page(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, _ = course_page(request, code)
    if request.method == "POST":
        return settings_update(request, code)
    access.require_examiner(user=request.user, course=course)
    return _settings_page(request, course)


def _settings_page(request: AuthedHttpRequest, course: Course, status: int = 200) -> HttpResponse:
    project_settings = ProjectSettings.for_course(course)
    fields = [
        (name, getattr(project_settings._meta.get_field(name), "verbose_name", name), getattr(project_settings, name))
        for name in SETTINGS_FIELDS
    ]
    context = {"fields": fields, "grades": [g for g, _ in GRADES]}
    return render(request, "projects/settings.html", context, status=status)


@login_required
@require_POST
def settings_update(request: AuthedHttpRequest, code: str) -> HttpResponseBase:
    course, _ = course_page(request, code)

    def update() -> ProjectSettings:
        values: dict[str, object] = {}
        for name in SETTINGS_FIELDS:
            raw = request.POST.get(name, "")
            if name == "unconfirmed_result":
                values[name] = raw
            else:
                try:
                    values[name] = int(raw)
                except ValueError as exc:
                    raise Refused(f"{name.replace('_', ' ')} must be a whole number.") from exc
        return services.project_settings_update(course=course, by=request.user, **values)

    return _act(
        request,
        update,
        lambda _: "Project settings saved.",
        done=_to("projects:settings", code),
        page=lambda status: _settings_page(request, course, status),
    )


# The old forms' "action" values, each handed to its own view ------------------------------------------------------

Action = Callable[[AuthedHttpRequest, str], HttpResponseBase]

HOME_ACTIONS: dict[str, Action] = {
    "create": lambda request, code: _home_staff_or(request, code, group_create),
    "answer": lambda request, code: invitation_answer(request, code, _pk(request, "invitation")),
    "looking": partner_search,
    "invite": lambda request, code: group_invite(request, code, _my_group_id(request, code)),
    "leave": lambda request, code: group_leave(request, code, _my_group_id(request, code)),
    "proposal": lambda request, code: proposal_submit(request, code, _my_group_id(request, code)),
    "compute_applied": lambda request, code: compute_applied(request, code, _my_group_id(request, code)),
    "compute_granted": lambda request, code: compute_granted(request, code, _my_group_id(request, code)),
    "report": lambda request, code: report_upload(request, code, _my_group_id(request, code)),
    "": lambda request, code: _home_staff_or(request, code, None),
}


def _home_staff_or(request: AuthedHttpRequest, code: str, student_view: Action | None) -> HttpResponseBase:
    """The examiner's list had one form without an "action" (forming a group); the student's page had "create"."""
    _, membership = course_page(request, code)
    if membership.is_staff_role:
        return group_form(request, code)
    if student_view is None:
        raise Refused("Unknown action.")
    return student_view(request, code)


ORAL_ACTIONS: dict[str, Action] = {
    "publish": oral_publish,
    "place": lambda request, code: oral_place(request, code, _pk(request, "slot")),
    "book": lambda request, code: oral_book(request, code, _pk(request, "slot")),
    "": lambda request, code: oral_book(request, code, _pk(request, "slot")),
}

HELP_ACTIONS: dict[str, Action] = {
    "publish": help_publish,
    "book": lambda request, code: help_book(request, code, _pk(request, "slot")),
    "cancel": lambda request, code: help_cancel(request, code, _pk(request, "booking")),
    "attendance": lambda request, code: help_attendance(request, code, _pk(request, "booking")),
}
