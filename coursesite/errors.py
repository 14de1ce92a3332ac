"""The few exceptions a service raises, and their one mapping to responses, for pages and API alike.

A service (or an app's access helper) raises:
- `NotFound`: the thing does not exist *for this user* (a course you are not in, another student's submission): 404.
- `Forbidden`: the user sees it but may not do this (a student asking for a staff action): 403.
- `Refused`: the request is understood and allowed, but cannot be done as asked; the message says why in words a
  student understands (400, or `status=409` when it conflicts with the current state).

They subclass Django's `Http404`, `PermissionDenied` and `ValidationError`, so code that catches those keeps
working. Pages: `ErrorMiddleware` turns them into a page that says the message (a refused POST goes back to the
page it came from, with the message shown there). API: `api_exception_handler` (DRF's EXCEPTION_HANDLER) turns
them into `{"detail": ...}` with the same status. `flash` is the one "ValidationError to messages" step.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import status as http
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class NotFound(Http404):
    """No such thing for this user: 404."""


class Forbidden(PermissionDenied):
    """Seen, but not this user's to do: 403."""


class Refused(DjangoValidationError):
    """Allowed, but not possible as asked; the message says why: 400, or the status given (409 for a conflict)."""

    def __init__(self, message: Any, *, status: int = http.HTTP_400_BAD_REQUEST, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


def messages_of(error: DjangoValidationError) -> list[str]:
    """The words of a refusal, field errors included, in order."""
    return list(error.messages)


def flash(request: HttpRequest, error: DjangoValidationError) -> None:
    """Show every message of a refusal on the next page (the one "ValidationError to messages" of the site)."""
    for message in messages_of(error):
        messages.error(request, message)


def _back(request: HttpRequest) -> str | None:
    """Where a refused form came from, when that is a page of this site."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def error_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    titles = {400: "That could not be done", 403: "Not yours to do", 404: "Not found", 409: "That could not be done"}
    return render(
        request,
        "coursesite/error.html",
        {"title": titles.get(status, "That could not be done"), "message": message},
        status=status,
    )


def page_response(request: HttpRequest, error: Exception) -> HttpResponse | None:
    """The page for one of our exceptions (None for any other exception)."""
    if isinstance(error, Http404):
        message = str(error.args[0]) if error.args else "There is no such page, or it is not yours to see."
        return error_page(request, message, http.HTTP_404_NOT_FOUND)
    if isinstance(error, PermissionDenied):
        message = str(error.args[0]) if error.args and error.args[0] else "You may not do this."
        return error_page(request, message, http.HTTP_403_FORBIDDEN)
    if isinstance(error, DjangoValidationError):
        status = getattr(error, "status", http.HTTP_400_BAD_REQUEST)
        back = _back(request) if request.method == "POST" else None
        if back is not None:
            flash(request, error)
            return redirect(back)
        return error_page(request, " ".join(messages_of(error)), status)
    return None


class ErrorMiddleware:
    """Pages: NotFound, Forbidden and Refused (and Django's own three) raised by a view become a page with words."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return page_response(request, exception)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """API: the same exceptions as `{"detail": ...}` with the same status; DRF's own handling for the rest."""
    if isinstance(exc, Refused):
        return Response({"detail": " ".join(exc.messages)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = DrfValidationError(detail)
    return drf_exception_handler(exc, context)
