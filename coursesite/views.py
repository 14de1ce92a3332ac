"""Pages of the course core: course list, dashboards, calendar, iCal feed, roster import."""

import base64
import dataclasses
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from . import access, calendar, invitations, selectors, services
from .confirm import confirm_page, confirmed
from .forms import CourseDatesForm
from .hooks import registry
from .models import Course, Membership, User
from .requests import AuthedHttpRequest


def course_page(request: AuthedHttpRequest, code: str) -> tuple[Course, Membership]:
    """Resolve the course for a page and remember the membership for the navigation."""
    course, membership = access.access_course(user=request.user, code=code)
    request.course_membership = membership  # type: ignore[attr-defined]  # read by context_processors.course_nav
    return course, membership


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_of(user=request.user))
    if len(memberships) == 1:
        return redirect("dashboard", memberships[0].course.code)
    return render(request, "coursesite/home.html", {"memberships": memberships})


@login_required
def dashboard(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    items = [item for provider in registry.dashboard for item in provider(membership)]
    sections = {
        "todo": sorted((i for i in items if i.section == "todo"), key=lambda i: (i.when is None, i.when)),
        "released": [i for i in items if i.section == "released"],
        "info": [i for i in items if i.section == "info"],
    }
    now = timezone.now()
    upcoming = [
        (event, calendar.event_when(event))
        for event in calendar.course_events(course, membership)
        if (event.ends_at or event.starts_at) >= now  # a period under way is still coming up
    ][:6]
    return render(
        request,
        "coursesite/dashboard.html",
        {"sections": sections, "upcoming": upcoming, "now": now},
    )


@login_required
def course_settings(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """The course-wide dates: every teacher reads them here, the examiner edits them."""
    course, membership = course_page(request, code)
    access.require_staff(user=request.user, course=course)
    status = 200
    # Moments are typed and shown in the course's time zone (CourseTimezoneMiddleware activates it).
    if request.method == "POST":
        access.require_instructor(user=request.user, course=course)
        form = CourseDatesForm(request.POST, instance=Course.objects.get(pk=course.pk))
        if form.is_valid():
            try:
                services.course_dates_update(
                    course=course, by=request.user, **{name: form.cleaned_data[name] for name in form.fields}
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "The course dates are saved; the calendar and feeds show them now.")
                return redirect("course_settings", code)
        status = 400
    else:
        form = CourseDatesForm(instance=course)
    panels = mark_safe(registry.render_panels("course_settings", request, course))  # noqa: S308
    return render(
        request,
        "coursesite/course_settings.html",
        {"form": form, "panels": panels, "tz_name": timezone.localtime(timezone.now()).strftime("%Z")},
        status=status,
    )


@login_required
def calendar_page(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    feed_url = invitations.site_url(reverse("ical_feed", args=[request.user.calendar_token]))
    now = timezone.now()
    events = [
        (event, calendar.event_when(event), (event.ends_at or event.starts_at) < now)
        for event in calendar.course_events(course, membership)
    ]
    return render(
        request,
        "coursesite/calendar.html",
        {"events": events, "feed_url": feed_url},
    )


@login_required
@require_POST
def calendar_token_rotate(request: AuthedHttpRequest) -> HttpResponse:
    back = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("home")
    if not confirmed(request):
        return confirm_page(
            request,
            question="Replace your calendar link?",
            detail="Calendar apps subscribed to the old link stop getting updates; subscribe again with the new one.",
            confirm_label="Yes, replace my link",
            back_url=back,
            back_label="No, keep it",
        )
    services.calendar_token_rotate(user=request.user)
    messages.success(request, "Your calendar link was replaced; subscriptions to the old link stop working.")
    return redirect(back)


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    # The secret token is the credential: calendar apps cannot sign in.
    user = get_object_or_404(User, calendar_token=token, is_active=True)
    response = HttpResponse(calendar.personal_feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="coursesite.ics"'
    return response


_PENDING_ROSTER = "roster_pending"


@login_required
def roster(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """The examiner's roster: import (with a confirmation step for role changes), invitations, withdrawal."""
    course, membership = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    result = None
    if request.method == "POST":
        if request.POST.get("action") == "confirm":
            pending = request.session.get(_PENDING_ROSTER)
            if not pending or pending.get("course") != course.code:
                messages.error(request, "There is no roster waiting for confirmation; import the file again.")
                return redirect("roster", code)
            data = base64.b64decode(pending["data"])
            expected = [services.RoleChange(**change) for change in pending["changes"]]
            result = services.roster_import(
                course=course, data=data, by=request.user, confirm_role_changes=True, expected_role_changes=expected
            )
        else:
            upload = request.FILES.get("roster")
            if upload is None:
                messages.error(request, "Choose the roster CSV file to import.")
                return redirect("roster", code)
            data = upload.read()
            request.session.pop(_PENDING_ROSTER, None)  # a new file replaces one waiting for confirmation
            result = services.roster_import(course=course, data=data, by=request.user)
        if result.ok:
            request.session.pop(_PENDING_ROSTER, None)
            messages.success(request, result.summary())
            return redirect("roster", code)
        if result.needs_confirmation:
            request.session[_PENDING_ROSTER] = {
                "course": course.code,
                "data": base64.b64encode(data).decode(),
                "changes": [dataclasses.asdict(change) for change in result.role_changes],
            }
    status = 400 if result is not None and result.errors else 200
    return render(request, "coursesite/roster.html", _roster_context(course, result), status=status)


def _roster_context(course: Course, result: services.RosterResult | None) -> dict[str, Any]:
    members = list(selectors.course_members(course=course))
    return {
        "members": members,
        "result": result,
        "never_signed_in": sum(1 for m in members if m.user.last_login is None),
        "roles": services.ROSTER_ROLES,
        "valid_days": settings.INVITATION_VALID_DAYS,
    }


@login_required
@require_POST
def roster_invite(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """Send invitations: to everyone in the course who never signed in, or to the chosen people."""
    course, membership = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    members = selectors.course_members(course=course)
    if request.POST.get("who") == "never_signed_in":
        users = [m.user for m in members if m.user.last_login is None]
    else:
        chosen = {value for value in request.POST.getlist("user") if value.isdigit()}
        users = [m.user for m in members if str(m.user_id) in chosen]
    if not users:
        messages.error(request, "Nobody to invite: tick the people to invite, or everyone has signed in already.")
        return redirect("roster", code)
    try:
        sent = invitations.invitations_send(course=course, users=users, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("roster", code)
    (messages.success if sent.sent else messages.warning)(request, sent.summary())
    return redirect("roster", code)


@login_required
@require_POST
def roster_status(request: AuthedHttpRequest, code: str, member_id: int) -> HttpResponse:
    """Mark a student withdrawn, or active again."""
    course, membership = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    member = get_object_or_404(Membership, pk=member_id, course=course)
    try:
        if request.POST.get("status") == "withdrawn":
            services.membership_withdraw(membership=member, by=request.user)
            messages.success(request, f"{member.user.username} is marked withdrawn; their records are kept.")
        else:
            services.membership_reactivate(membership=member, by=request.user)
            messages.success(request, f"{member.user.username} is active again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("roster", code)
