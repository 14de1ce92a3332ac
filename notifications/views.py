"""Pages of notifications: what the site told you, which e-mails you get, and the course's announcements."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render

from coursesite import access as core_access
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page
from projects.models import Group

from . import selectors, services
from .models import OPTIONAL_KINDS, REQUIRED_KINDS, Announcement, EmailOptOut, Kind


@login_required
def notification_list(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        count = services.notifications_mark_read(user=request.user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
        return redirect("notifications:list")
    notes = list(selectors.notifications_of(user=request.user)[:200])
    return render(request, "notifications/list.html", {"notifications": notes})


@login_required
def preferences(request: AuthedHttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        off = [k for k in OPTIONAL_KINDS if request.POST.get(k) != "1"]
        try:
            services.preferences_set(user=request.user, email_off=off)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            kept = [Kind(k).label.lower() for k in OPTIONAL_KINDS if k not in off]
            messages.success(
                request,
                "Saved: you get e-mails about "
                + (", ".join(kept) if kept else "only what the course must tell you")
                + ".",
            )
            return redirect("notifications:preferences")
    kept_off = set(EmailOptOut.objects.filter(user=request.user).values_list("kind", flat=True))
    context = {
        "optional": [(k, Kind(k).label, k not in kept_off) for k in OPTIONAL_KINDS],
        "required": [Kind(k).label for k in Kind if k in REQUIRED_KINDS],
    }
    return render(request, "notifications/preferences.html", context, status=status)


@login_required
def announcements(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, membership = course_page(request, code)
    status = 200
    typed: dict[str, str] = {}
    if request.method == "POST":
        core_access.require_instructor(user=request.user, course=course)
        post = request.POST
        typed = {k: post.get(k, "") for k in ("audience", "module", "group", "subject", "body")}
        raw_group = post.get("group", "")
        group = Group.objects.filter(course=course, pk=raw_group).first() if raw_group.isdigit() else None
        try:
            announcement = services.announcement_create(
                course=course,
                by=request.user,
                audience=post.get("audience", ""),
                module=post.get("module", ""),
                group=group,
                subject=post.get("subject", ""),
                body=post.get("body", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            n = announcement.recipients.count()
            messages.success(
                request,
                f"Announcement \u201c{announcement.subject}\u201d sent to {announcement.audience_label}: "
                f"{n} {'person' if n == 1 else 'people'}, listed on their dashboard and e-mailed.",
            )
            return redirect("notifications:announcements", code)
    context = {
        "announcements": selectors.announcements_for(course=course, membership=membership).annotate(
            reached=Count("recipients")
        ),
        "audiences": Announcement.Audience.choices,
        "modules": Announcement.Module.choices,
        "groups": Group.objects.filter(course=course) if membership.is_instructor else [],
        "typed": typed,
    }
    return render(request, "notifications/announcements.html", context, status=status)
