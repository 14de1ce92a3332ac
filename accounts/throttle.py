"""Sign-in throttling on django-axes: limits per account and address, per account and per address.

Three scopes count failed sign-ins (the page, the admin's and /api/token/ alike) within a sliding window of
COURSESITE_LOGIN_COOLOFF_MINUTES: one account from one address (small limit: a guesser at one account from one
machine), one account from anywhere (larger: a guesser spread over many machines) and one address for any account
(larger still: spraying one password over many accounts; a campus NAT puts many students behind one address). A
scope at its limit refuses further sign-ins, even with the right password, until the window has passed since
its last counted failure; attempts while refused are not counted, so hammering does not prolong it. Because one
address can add only the small per-pair limit to an account's count, one attacker's machine cannot lock a victim
out from everywhere; a password reset ends the account's lock-out at once.
"""

import datetime as dt
import ipaddress
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from coursesite.audit import audit_record
from coursesite.models import User

if TYPE_CHECKING:
    from axes.models import AccessAttempt

Credentials = dict[str, Any]  # what django.contrib.auth.authenticate() was given (username, password, ...)
ACCOUNT, ADDRESS = "account", "address"
# In the order of settings.AXES_LOCKOUT_PARAMETERS: (account, address), account, address.
SCOPES = (
    (ACCOUNT, "COURSESITE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"),
    (ACCOUNT, "COURSESITE_LOGIN_FAILURES_PER_ACCOUNT"),
    (ADDRESS, "COURSESITE_LOGIN_FAILURES_PER_ADDRESS"),
)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or the trusted proxy header's when one is configured.

    With COURSESITE_CLIENT_IP_HEADER (e.g. X-Forwarded-For) the address is the entry that the outermost of
    COURSESITE_TRUSTED_PROXY_COUNT proxies appended: entries left of it are the client's to forge. An IPv6
    address counts as its /64 network, which one host usually has to itself.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    candidate = remote
    header = settings.COURSESITE_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        hops = [hop.strip() for hop in value.split(",") if hop.strip()]
        if len(hops) >= settings.COURSESITE_TRUSTED_PROXY_COUNT:
            candidate = hops[-settings.COURSESITE_TRUSTED_PROXY_COUNT]
    return _normalised(candidate) or _normalised(remote)


def _normalised(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return str(address)


class SignInThrottle(AxesDatabaseHandler):  # type: ignore[misc]  # axes ships no types
    """axes' database handler with a limit of its own for each scope, audited lock-outs, and a success that
    clears its own account's failures from its own address (never the address's failures for other accounts)."""

    def _scope_attempts(
        self, request: HttpRequest, credentials: Credentials | None
    ) -> Iterator[tuple[str, int, QuerySet["AccessAttempt"]]]:
        for (scope, limit_setting), attempts in zip(SCOPES, self.get_user_attempts(request, credentials), strict=True):
            yield scope, getattr(settings, limit_setting), attempts

    def locked_scopes(
        self, request: HttpRequest, credentials: Credentials | None = None
    ) -> list[tuple[str, dt.datetime]]:
        """(scope, until) for each scope at its limit now."""
        locked: list[tuple[str, dt.datetime]] = []
        for scope, limit, attempts in self._scope_attempts(request, credentials):
            totals = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            if (totals["failures"] or 0) >= limit:
                locked.append((scope, totals["last"] + settings.AXES_COOLOFF_TIME))
        return locked

    def get_failures(self, request: HttpRequest, credentials: Credentials | None = None) -> int:
        # Compared with AXES_FAILURE_LIMIT = 1: a request is locked out when any scope is at its own limit.
        return len(self.locked_scopes(request, credentials))

    def user_login_failed(
        self, sender: object, credentials: Credentials, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not already_locked and getattr(request, "axes_locked_out", False):
            username = get_client_username(request, credentials) or ""
            scopes = self.locked_scopes(request, credentials)
            audit_record(
                actor=None,
                action="signin.lock_out",
                target=User.objects.filter(username=username).first(),
                username=username[:150],
                address=getattr(request, "axes_ip_address", None),
                scopes=sorted({scope for scope, _ in scopes}),
                until=max(until for _, until in scopes).isoformat() if scopes else None,
            )

    def user_logged_in(self, sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        address = getattr(request, "axes_ip_address", None)  # axes.handlers.proxy.AxesProxyHandler.update_request
        if address:
            self.reset_attempts(username=user.get_username(), ip_address=address)


def lockout_message(request: HttpRequest, credentials: Credentials | None = None) -> tuple[str, int]:
    """The words for a locked-out sign-in and the seconds until it may be tried again."""
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    AxesProxyHandler.update_request(request)
    scopes = handler.locked_scopes(request, credentials) if isinstance(handler, SignInThrottle) else []
    now = timezone.now()
    until = max((until for _, until in scopes), default=now + settings.AXES_COOLOFF_TIME)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if any(scope == ACCOUNT for scope, _ in scopes) or not scopes:
        text = f"Too many failed sign-in attempts for this account; try again in {wait}, or reset your password."
    else:
        text = (
            f"Too many failed sign-in attempts from your network address; try again in {wait}. If you share the "
            "address (a campus network), ask the course's administrators."
        )
    return text, seconds


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Credentials | None = None
) -> HttpResponse:
    """axes' AXES_LOCKOUT_CALLABLE: 429 with the reason, JSON for the API, the sign-in page with it otherwise."""
    text, seconds = lockout_message(request, credentials)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": text, "retry_after_s": seconds}, status=429)
    else:
        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = AuthenticationForm(request, initial={"username": username})
        context = {"form": form, "lockout": text, "next": request.POST.get("next", request.GET.get("next", ""))}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
