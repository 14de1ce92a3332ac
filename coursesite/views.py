"""Pages of the course core: course list, dashboards, calendar, iCal feed, roster import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import access, calendar, selectors, services
from .hooks import registry
from .models import User


def course_page(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    """Resolve the course for a page and remember the membership for the navigation."""
    course, membership = access.access_course(user=request.user, code=code)
    request.course_membership = membership  # type: ignore[attr-defined]
    return course, membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_of(user=request.user))
    if len(memberships) == 1:
        return redirect("dashboard", memberships[0].course.code)
    return render(request, "coursesite/home.html", {"memberships": memberships})


@login_required
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    items = [item for provider in registry.dashboard for item in provider(membership)]
    sections = {
        "todo": sorted((i for i in items if i.section == "todo"), key=lambda i: (i.when is None, i.when)),
        "released": [i for i in items if i.section == "released"],
        "info": [i for i in items if i.section == "info"],
    }
    upcoming = [e for e in calendar.course_events(course, membership) if e.starts_at >= timezone.now()][:6]
    return render(
        request,
        "coursesite/dashboard.html",
        {"sections": sections, "upcoming": upcoming, "now": timezone.now()},
    )


@login_required
def calendar_page(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    feed_url = request.build_absolute_uri(reverse("ical_feed", args=[request.user.calendar_token]))
    return render(
        request,
        "coursesite/calendar.html",
        {"events": calendar.course_events(course, membership), "feed_url": feed_url, "now": timezone.now()},
    )


@login_required
@require_POST
def calendar_token_rotate(request: HttpRequest) -> HttpResponse:
    services.calendar_token_rotate(user=request.user)
    messages.success(request, "Your calendar link was replaced; subscriptions to the old link stop working.")
    return redirect(request.POST.get("next") or "home")


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    # The secret token is the credential: calendar apps cannot sign in.
    user = get_object_or_404(User, calendar_token=token, is_active=True)
    response = HttpResponse(calendar.personal_feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="coursesite.ics"'
    return response


@login_required
def roster(request: HttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    result = None
    if request.method == "POST":
        upload = request.FILES.get("roster")
        if upload is None:
            messages.error(request, "Choose the roster CSV file to import.")
        else:
            result = services.roster_import(course=course, data=upload.read(), by=request.user)
            if result.ok:
                messages.success(
                    request,
                    f"Roster imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged.",
                )
                return redirect("roster", code)
    status = 400 if result is not None and not result.ok else 200
    return render(
        request,
        "coursesite/roster.html",
        {"members": selectors.course_members(course=course), "result": result},
        status=status,
    )
