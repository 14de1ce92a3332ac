"""LTI endpoints the LMS calls (login initiation, launch, JWKS) and the examiner's page with the tool's settings."""

import json
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coursesite import access
from coursesite.models import Course
from coursesite.requests import AuthedHttpRequest
from coursesite.views import course_page

from . import deep_linking, nrps, passback, selectors
from .config import canvas_developer_key, tool_urls
from .keys import tool_jwks
from .launch import (
    LTI,
    STATE_SECONDS,
    Launch,
    LaunchRefused,
    landing_path,
    launch_accept,
    login_state_create,
    platforms_for_login,
)
from .models import Platform, ScoreSend

log = logging.getLogger(__name__)
STATE_COOKIE = "lti-state"


def _refused(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Third-party initiated login (LTI 1.3 Core 5.1.1 / Security Framework 5.1.1): redirect to the platform's
    authorization endpoint with a fresh state and nonce; the state is also kept in a cookie of this browser."""
    params = request.POST if request.method == "POST" else request.GET
    issuer, login_hint, target = params.get("iss", ""), params.get("login_hint", ""), params.get("target_link_uri", "")
    if not issuer or not login_hint or not target:
        return _refused(request, "This is where an LMS starts a launch of coursesite; the launch was incomplete.")
    platforms = platforms_for_login(
        issuer=issuer, client_id=params.get("client_id", ""), deployment_id=params.get("lti_deployment_id", "")
    )
    if not platforms or len({(p.client_id, p.auth_login_url) for p in platforms}) != 1:
        return _refused(
            request,
            "This LMS is not registered with this site (or not with this client id). Ask the site's administrator "
            "to register it with python manage.py lti_platform_add.",
            status=403,
        )
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return _refused(request, "The LMS asked to open a page that is not on this site.")
    platform = platforms[0]
    state = login_state_create(issuer=issuer, client_id=platform.client_id, target_link_uri=target)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": tool_urls()["launch_url"],
        "login_hint": login_hint,
        "state": state.state,
        "nonce": state.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    response = HttpResponseRedirect(f"{platform.auth_login_url}?{urlencode(query)}")
    # The launch is a cross-site POST from the LMS: only a SameSite=None cookie comes back with it.
    response.set_cookie(STATE_COOKIE, state.state, max_age=STATE_SECONDS, secure=True, httponly=True, samesite="None")
    return response


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    if request.POST.get("error"):
        return _refused(request, "The LMS did not launch coursesite: " + request.POST.get("error", "")[:80] + ".")
    try:
        accepted = launch_accept(
            id_token=request.POST.get("id_token", ""),
            state=request.POST.get("state", ""),
            state_cookie=request.COOKIES.get(STATE_COOKIE),
        )
    except LaunchRefused as refusal:
        log.warning("LTI launch refused: %s", refusal.message)
        response = _refused(request, refusal.message, status=refusal.status)
    else:
        response = _signed_in(request, accepted)
    response.delete_cookie(STATE_COOKIE, samesite="None")
    return response


def _signed_in(request: HttpRequest, accepted: Launch) -> HttpResponse:
    deep_link = None
    if accepted.claims.get(LTI + "message_type") == "LtiDeepLinkingRequest":
        try:
            deep_link = deep_linking.deep_link_settings(launch=accepted)
        except LaunchRefused as refusal:
            return _refused(request, refusal.message, status=refusal.status)
    auth_login(request, accepted.user, backend="django.contrib.auth.backends.ModelBackend")
    if deep_link is not None:
        request.session[deep_linking.SESSION_KEY] = deep_link
        return redirect("lti_deep_link")
    return redirect(landing_path(launch=accepted, host=request.get_host()))


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request: AuthedHttpRequest) -> HttpResponse:
    """The examiner picks what to place in the LMS; the answer goes back to the LMS signed (Deep Linking 2.0)."""
    pending = request.session.get(deep_linking.SESSION_KEY)
    platform_id = (pending or {}).get("platform")
    platform = Platform.objects.select_related("course").filter(pk=platform_id).first() if platform_id else None
    if pending is None or platform is None:
        return _refused(request, "No request from the LMS to place content is open. Start it again from the LMS.")
    access.require_instructor(user=request.user, course=platform.course)
    request.course_membership = access.course_membership(user=request.user, course=platform.course)  # type: ignore[attr-defined]
    items = deep_linking.placeable_items(course=platform.course)
    if request.method == "POST":
        try:
            return_url, token, item = deep_linking.deep_link_response(
                session=pending, key=request.POST.get("item", ""), by=request.user
            )
        except LaunchRefused as refusal:
            return render(request, "lti/deep_link.html", {"items": items, "error": refusal.message}, status=400)
        del request.session[deep_linking.SESSION_KEY]
        return render(request, "lti/autopost.html", {"url": return_url, "fields": {"JWT": token}, "item": item})
    return render(request, "lti/deep_link.html", {"items": items, "course": platform.course})


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(tool_jwks())


@login_required
@require_http_methods(["GET", "POST"])
def tool_config(request: AuthedHttpRequest, code: str) -> HttpResponse:
    course, _membership = course_page(request, code)
    access.require_instructor(user=request.user, course=course)
    platforms = Platform.objects.filter(course=course)
    sync = None
    sync_error = ""
    if request.method == "POST":
        platform_id = request.POST.get("platform", "")
        valid = platform_id.isascii() and platform_id.isdigit()
        platform = platforms.filter(pk=int(platform_id)).first() if valid else None
        if platform is None:
            sync_error = "Choose one of this course's LMS platforms."
        else:
            try:
                sync = nrps.roster_sync_from_lms(platform=platform, by=request.user)
            except nrps.LmsServiceError as exc:
                sync_error = str(exc)
            else:
                if sync.result.ok:
                    r = sync.result
                    messages.success(
                        request,
                        f"Roster synced from the LMS: {r.created} new, {r.updated} updated, {r.unchanged} unchanged"
                        + (f", {sync.skipped_inactive} inactive skipped." if sync.skipped_inactive else "."),
                    )
                    return redirect("lti_tool_config", code)
    return render(
        request,
        "lti/config.html",
        {
            "urls": tool_urls(),
            "canvas_json": json.dumps(canvas_developer_key(), indent=2),
            "platforms": platforms,
            "sync_errors": sync.error_lines() if sync is not None else [],
            "sync_error": sync_error,
        },
        status=400 if sync_error or (sync is not None and not sync.result.ok) else 200,
    )


def _scores_page(request: AuthedHttpRequest, course: Course, error: str = "", status: int = 200) -> HttpResponse:
    shown = request.GET.get("status", "")
    shown = shown if shown in ScoreSend.Status.values else ""
    page = Paginator(selectors.score_sends(course=course, status=shown), 50).get_page(request.GET.get("page"))
    for send in page:
        send.may_send_again = not send.replaced and passback.may_send_again(send)  # type: ignore[attr-defined]
    context = {
        "course": course,
        "page": page,
        "shown": shown,
        "statuses": ScoreSend.Status.choices,
        "counts": selectors.score_send_counts(course=course),
        "passback_on": Platform.objects.filter(course=course).exclude(lineitems_url="").exists(),
        "error": error,
    }
    return render(request, "lti/scores.html", context, status=status)


@login_required
@require_GET
def scores(request: AuthedHttpRequest, code: str) -> HttpResponse:
    """The course's staff see what went to the LMS gradebook, what failed and why."""
    course, _membership = course_page(request, code)
    access.require_staff(user=request.user, course=course)
    return _scores_page(request, course)


@login_required
@require_POST
def score_send_again(request: AuthedHttpRequest, code: str, pk: int) -> HttpResponse:
    course, _membership = course_page(request, code)
    access.require_staff(user=request.user, course=course)
    send = get_object_or_404(
        ScoreSend.objects.select_related("platform__course", "student"), pk=pk, platform__course=course
    )
    try:
        passback.score_send_again(send=send, by=request.user)
    except ValidationError as exc:
        return _scores_page(request, course, error=" ".join(exc.messages), status=400)
    name = send.student.full_name or send.student.username
    messages.success(request, f"{send.label} of {name} is being sent to the LMS again.")
    return redirect("lti_scores", code)
