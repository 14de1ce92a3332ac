"""OpenID Connect sign-in through the university's identity provider, on mozilla-django-oidc.

Configured from the environment (settings.py, `OIDC_*`); off unless a client id and an issuer (or discovery URL,
or explicit endpoints) are set. The provider's endpoints come from its discovery document, fetched once per
process, unless set one by one. The library does the redirect, state, nonce and PKCE, the code exchange and the
signature check; on top of it this module checks the id token's issuer and audience, that userinfo is about the
same subject, and matches the person to a roster user (`sso.services.identity_sign_in`): never a new account.
"""

import logging
import re
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .services import SignInRefused, identity_sign_in

log = logging.getLogger(__name__)

# What the library asks for, when settings.py leaves it unset.
_DEFAULTS = {
    "OIDC_AUTHENTICATION_CALLBACK_URL": "sso_oidc_callback",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_RP_SCOPES": "openid email profile",
    "OIDC_USE_PKCE": True,
    "OIDC_TIMEOUT": 10,
    "OIDC_USERNAME_CLAIM": "preferred_username",
    "OIDC_EMAIL_CLAIM": "email",
    "OIDC_DISPLAY_NAME": "your university",
}
# Endpoint settings and their names in the provider's discovery document (OpenID Connect Discovery 1.0, 3).
_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_metadata_cache: dict[str, dict[str, Any]] = {}


class ProviderUnavailable(Exception):
    """The identity provider's discovery document could not be read (down, or misconfigured)."""


def _configured(name: str) -> str:
    return str(getattr(settings, name, "") or "")


def oidc_enabled() -> bool:
    return bool(
        _configured("OIDC_RP_CLIENT_ID")
        and (
            _configured("OIDC_ISSUER")
            or _configured("OIDC_DISCOVERY_URL")
            or _configured("OIDC_OP_AUTHORIZATION_ENDPOINT")
        )
    )


def discovery_url() -> str:
    return _configured("OIDC_DISCOVERY_URL") or (
        _configured("OIDC_ISSUER").rstrip("/") + "/.well-known/openid-configuration"
    )


def provider_metadata() -> dict[str, Any]:
    url = discovery_url()
    if url not in _metadata_cache:
        try:
            timeout = oidc_setting("OIDC_TIMEOUT")
            response = requests.get(url, timeout=float(timeout) if isinstance(timeout, int | float) else 10.0)
            response.raise_for_status()
            metadata: dict[str, Any] = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("OpenID provider discovery at %s failed: %s", url, exc)
            raise ProviderUnavailable(str(exc)) from exc
        issuer = _configured("OIDC_ISSUER")
        if issuer and metadata.get("issuer") != issuer:
            # Discovery 4.3: the document must name the issuer it was fetched for.
            raise ProviderUnavailable(f"discovery names issuer {metadata.get('issuer')!r}, not {issuer!r}")
        _metadata_cache[url] = metadata
    return _metadata_cache[url]


def expected_issuer() -> str:
    return _configured("OIDC_ISSUER") or str(provider_metadata().get("issuer", ""))


def oidc_setting(name: str, *default: object) -> object:
    value = getattr(settings, name, None)
    if value not in (None, ""):
        return value
    if name in _ENDPOINTS:
        try:
            return provider_metadata()[_ENDPOINTS[name]]
        except KeyError:
            raise ProviderUnavailable(f"the discovery document has no {_ENDPOINTS[name]}") from None
    if name in _DEFAULTS:
        return _DEFAULTS[name]
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Setting {name} not found")


def _setting_property(name: str) -> property:
    return property(lambda self: oidc_setting(name))


class RosterOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # mozilla-django-oidc ships no types
    """The library's backend, matched to the roster. Reads its settings when used, not when built: password
    sign-in goes through every backend, and must not depend on the identity provider being reachable."""

    OIDC_OP_TOKEN_ENDPOINT = _setting_property("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _setting_property("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _setting_property("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting_property("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _setting_property("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _setting_property("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    def authenticate(self, request, **kwargs):  # type: ignore[no-untyped-def]
        # Only the callback view passes a nonce: a password sign-in with ?code=&state= in its URL is not ours.
        if request is None or "nonce" not in kwargs or not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(self, access_token, id_token, payload):  # type: ignore[no-untyped-def]
        client_id = str(self.OIDC_RP_CLIENT_ID)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != expected_issuer():
            raise SuspiciousOperation("id token from another issuer")
        if client_id not in audiences or (len(audiences) > 1 and payload.get("azp") != client_id):
            raise SuspiciousOperation("id token for another client")
        user_info = self.get_userinfo(access_token, id_token, payload)
        if user_info.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: userinfo about someone else must not be used.
            raise SuspiciousOperation("userinfo subject differs from the id token's")
        claims = {**user_info, **payload}
        username = claims.get(oidc_setting("OIDC_USERNAME_CLAIM"))
        try:
            user = identity_sign_in(
                issuer=str(payload["iss"]),
                subject=str(payload["sub"]),
                username=str(username) if isinstance(username, str | int) else "",
                via="oidc",
            )
        except SignInRefused as refusal:
            self.request.sso_refusal = refusal.message
            return None
        email = claims.get(oidc_setting("OIDC_EMAIL_CLAIM"))
        if not user.email and isinstance(email, str) and claims.get("email_verified", True) is True:
            user.email = email  # the roster's address wins; this only fills a missing one
            user.save(update_fields=["email"])
        return user


def sso_refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "sso/refused.html", {"message": message}, status=status)


UNAVAILABLE = "Your university's sign-in service cannot be reached just now. Please try again in a few minutes."
INVALID = (
    "This sign-in could not be completed: its link was changed, used twice, expired, or started in another "
    "browser. Please go back to the sign-in page and sign in again."
)


class OIDCLoginView(OIDCAuthenticationRequestView):  # type: ignore[misc]  # mozilla-django-oidc ships no types
    """Start: redirect to the provider with state, nonce and a PKCE challenge kept in the session."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: object) -> None:
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404("Single sign-on is not configured on this site.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable:
            return sso_refused(request, 502, UNAVAILABLE)
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        redirect: HttpResponse = super().get(request)
        return redirect


_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


class OIDCCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]  # mozilla-django-oidc ships no types
    """The provider's redirect back: every way it can fail ends on a page that says why (4xx or 502), never a 500."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404("Single sign-on is not configured on this site.")
        try:
            response: HttpResponse = super().get(request)
        except (SuspiciousOperation, jwt.InvalidTokenError) as exc:
            log.warning("OpenID Connect callback refused: %s", exc)
            return sso_refused(request, 400, INVALID)
        except requests.HTTPError as exc:
            log.warning("OpenID provider refused the code exchange: %s", exc)
            return sso_refused(request, 400, INVALID)
        except (requests.RequestException, ProviderUnavailable) as exc:
            log.warning("OpenID provider unreachable: %s", exc)
            return sso_refused(request, 502, UNAVAILABLE)
        return response

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, "sso_refusal", None)
        if refusal:
            return sso_refused(self.request, 403, refusal)
        error = self.request.GET.get("error", "")
        if error:
            code = error if _ERROR_CODE.match(error) else "error"
            return sso_refused(
                self.request, 400, f"Your university's sign-in service did not sign you in ({code}). Please try again."
            )
        return sso_refused(self.request, 400, INVALID)
