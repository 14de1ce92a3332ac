"""Pages of accounts: the signed-in user's API tokens (list, make one, revoke)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from coursesite.requests import AuthedHttpRequest

from . import selectors, services


@login_required
def tokens_page(request: AuthedHttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        # The key is shown in this answer only: never stored in the session or a message cookie.
        _, new_key = services.token_create(user=request.user, name=request.POST.get("name", ""), by=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": selectors.tokens_of(user=request.user),
            "new_key": new_key,
            "max_age_days": settings.COURSESITE_TOKEN_MAX_AGE_DAYS,
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_of(user=request.user, pk=pk)
    if token is None:
        raise Http404("No such token among yours.")
    services.token_revoke(token=token, by=request.user)
    messages.success(request, f"Token {token.prefix}… was revoked; programs using it can no longer sign in with it.")
    return redirect("api_tokens")
