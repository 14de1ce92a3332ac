"""The LTI 1.3 launch: the login initiation's state and nonce, the id token's checks (IMS Security Framework 5.1.3),
and the person: matched to the course's roster, with the role from the LTI roles for people already on it."""

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from coursesite.audit import audit_record
from coursesite.models import Membership, Role, User
from sso.services import SignInRefused, identity_sign_in

from .keys import PlatformKeyError, platform_key
from .models import LoginState, Platform

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
STATE_SECONDS = 600
CLOCK_LEEWAY_SECONDS = 60
MESSAGE_TYPES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
_ROLE_FROM_LTI = [  # the first that matches wins: a TA is also an Instructor in the membership vocabulary
    ("membership/Instructor#TeachingAssistant", Role.TA),
    ("membership#TeachingAssistant", Role.TA),
    ("membership#Instructor", Role.INSTRUCTOR),
    ("membership#Learner", Role.STUDENT),
]


class LaunchRefused(Exception):
    """A launch that is not accepted, with the words shown to the person and the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


AGAIN = "Please open coursesite again from your course in the LMS."


def login_state_create(*, issuer: str, client_id: str, target_link_uri: str) -> LoginState:
    return LoginState.objects.create(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        issuer=issuer,
        client_id=client_id,
        target_link_uri=target_link_uri,
    )


def platforms_for_login(*, issuer: str, client_id: str, deployment_id: str) -> list[Platform]:
    platforms = Platform.objects.filter(issuer=issuer)
    if client_id:
        platforms = platforms.filter(client_id=client_id)
    if deployment_id:
        platforms = platforms.filter(deployment_id=deployment_id)
    return list(platforms)


@dataclass
class Launch:
    platform: Platform
    claims: dict[str, Any]
    user: User
    membership: Membership
    target_link_uri: str


def _verify(*, id_token: str, login: LoginState) -> tuple[Platform, dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(id_token)
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise LaunchRefused("The LMS sent a launch that cannot be read. " + AGAIN) from None
    if header.get("alg") != "RS256" or not header.get("kid"):
        raise LaunchRefused("The LMS's launch is not signed the way LTI 1.3 requires (RS256 with a key id).")
    deployment_id = unverified.get(LTI + "deployment_id")
    platform = Platform.objects.filter(
        issuer=login.issuer, client_id=login.client_id, deployment_id=str(deployment_id)
    ).first()
    if platform is None:
        raise LaunchRefused(
            f"This placement of coursesite in the LMS (deployment {str(deployment_id)[:80]!r}) is not registered "
            "with this site. Ask the site's administrator to add it (python manage.py lti_platform_add).",
            status=403,
        )
    try:
        key = platform_key(platform=platform, kid=str(header["kid"]))
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "nonce", "sub"]},
        )
    except PlatformKeyError:
        raise LaunchRefused("The LMS's signing key was not found, so the launch cannot be trusted. " + AGAIN) from None
    except jwt.ExpiredSignatureError:
        raise LaunchRefused("This launch has expired. " + AGAIN) from None
    except jwt.InvalidTokenError:
        raise LaunchRefused("This launch's signature or contents are not valid, so it is refused. " + AGAIN) from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != platform.client_id:
        raise LaunchRefused("This launch was meant for another tool. " + AGAIN)
    if not hmac.compare_digest(str(claims["nonce"]), login.nonce):
        raise LaunchRefused("This launch does not belong to the sign-in this browser started. " + AGAIN)
    if claims.get(LTI + "version") != "1.3.0":
        raise LaunchRefused("The LMS sent a launch of an LTI version other than 1.3.")
    if claims.get(LTI + "message_type") not in MESSAGE_TYPES:
        raise LaunchRefused("The LMS sent a kind of launch that coursesite does not offer.")
    return platform, claims


def _role_from_lti(roles: object) -> str | None:
    if not isinstance(roles, list):
        return None
    for suffix, role in _ROLE_FROM_LTI:
        if any(isinstance(r, str) and r.endswith(suffix) for r in roles):
            return role
    return None


def username_from_claims(claims: dict[str, Any]) -> str:
    """The roster username in the launch: a custom parameter (Canvas: `$Canvas.user.loginId`, the SIS login id)."""
    custom = claims.get(LTI + "custom")
    value = custom.get(settings.LTI_USERNAME_CUSTOM_FIELD) if isinstance(custom, dict) else None
    # Canvas sends the substitution string itself when the variable is not available to the tool.
    return value if isinstance(value, str) and not value.startswith("$") else ""


def launch_accept(*, id_token: str, state: str, state_cookie: str | None) -> Launch:
    """Check the launch and find its person; the login state is used up, so the same launch never works twice."""
    login = LoginState.objects.filter(state=state).first() if state else None
    if login is None:
        raise LaunchRefused("This launch was not started from this site. " + AGAIN)
    if not state_cookie or not hmac.compare_digest(state_cookie, login.state):
        raise LaunchRefused(
            "Your browser did not keep this site's sign-in cookie during the launch (it may block cookies in "
            "embedded pages). Open coursesite in a new tab from the LMS."
        )
    if login.created_at < timezone.now() - dt.timedelta(seconds=STATE_SECONDS):
        raise LaunchRefused("This launch took too long and has expired. " + AGAIN)
    platform, claims = _verify(id_token=id_token, login=login)
    if LoginState.objects.filter(pk=login.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
        raise LaunchRefused("This launch was already used. " + AGAIN)
    try:
        user = identity_sign_in(
            issuer=platform.issuer,
            subject=str(claims["sub"]),
            username=username_from_claims(claims),
            via="lti",
            course=platform.course,
        )
    except SignInRefused as refusal:
        raise LaunchRefused(refusal.message, status=403) from None
    membership = Membership.objects.get(user=user, course=platform.course)
    _remember_services(platform=platform, claims=claims)
    role = _role_from_lti(claims.get(LTI + "roles"))
    if role is not None and role != membership.role:
        with transaction.atomic():
            old = membership.role
            membership.role = role
            membership.save(update_fields=["role"])
            audit_record(
                actor=user,
                action="membership_role.update",
                course=platform.course,
                target=membership,
                old=old,
                new=role,
            )
    return Launch(
        platform=platform,
        claims=claims,
        user=user,
        membership=membership,
        target_link_uri=str(claims.get(LTI + "target_link_uri") or login.target_link_uri),
    )


NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def _remember_services(*, platform: Platform, claims: dict[str, Any]) -> None:
    """The course's membership service URL (and a resource link, for per-member custom parameters) and its
    gradebook's line items URL with the granted scopes, from a launch or a deep-linking request."""
    nrps = claims.get(NRPS_CLAIM)
    url = nrps.get("context_memberships_url") if isinstance(nrps, dict) else None
    link = claims.get(LTI + "resource_link")
    link_id = link.get("id") if isinstance(link, dict) else None
    changed = []
    ags = claims.get(AGS_CLAIM)
    lineitems = ags.get("lineitems") if isinstance(ags, dict) else None
    scopes = ags.get("scope") if isinstance(ags, dict) else None
    if isinstance(lineitems, str) and lineitems.startswith(("https://", "http://")):
        scopes = sorted(s for s in scopes if isinstance(s, str))[:10] if isinstance(scopes, list) else []
        if lineitems != platform.lineitems_url or scopes != platform.ags_scopes:
            platform.lineitems_url, platform.ags_scopes = lineitems[:1000], scopes
            changed += ["lineitems_url", "ags_scopes"]
    if isinstance(url, str) and url.startswith(("https://", "http://")) and url != platform.memberships_url:
        platform.memberships_url = url[:1000]
        changed.append("memberships_url")
    if isinstance(link_id, str) and link_id and link_id != platform.resource_link_id:
        platform.resource_link_id = link_id[:255]
        changed.append("resource_link_id")
    if changed:
        platform.save(update_fields=changed)


def landing_path(*, launch: Launch, host: str) -> str:
    """The course page the launch names (an assignment's page, say) when it is on this site; else the course."""
    course_root = f"/c/{launch.platform.course.code}/"
    parts = urlsplit(launch.target_link_uri)
    if parts.netloc == host and parts.path.startswith(course_root) and ".." not in parts.path:
        return parts.path
    return course_root
