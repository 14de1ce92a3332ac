"""Names and Role Provisioning Services 2.0: the examiner syncs the course's roster from the LMS. The members are
written as the roster CSV and go through the same import (all rows or none, the same messages).

The service is called with an OAuth2 access token from the platform's token URL, got with the tool's signed
client assertion (IMS Security Framework 4.1, RFC 7523)."""

import csv
import io
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from django.conf import settings
from django.db import transaction

from coursesite.audit import audit_record
from coursesite.models import Role, User
from coursesite.services import RosterResult, roster_import
from sso.models import ExternalIdentity

from .keys import tool_key_current
from .launch import LTI
from .models import Platform

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200
_ROLES = [
    ("membership/Instructor#TeachingAssistant", Role.TA),
    ("membership#TeachingAssistant", Role.TA),
    ("membership#Instructor", Role.INSTRUCTOR),
    ("membership#Learner", Role.STUDENT),
]


class LmsServiceError(Exception):
    """The LMS's services refused or failed, in words for the examiner; `transient`: worth trying again later
    (the LMS could not be reached, or answered with a server error)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def access_token(*, platform: Platform, scope: str, allows: str = "the Names and Role Provisioning scope") -> str:
    """An OAuth2 access token for `scope` (space-separated), by client credentials with the tool's signed
    assertion. Never logged nor shown."""
    now = int(time.time())
    key = tool_key_current()
    assertion = jwt.encode(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        },
        key.private_key_pem,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    try:
        response = requests.post(
            platform.auth_token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": scope,
            },
            timeout=15,
        )
    except requests.RequestException as exc:
        raise LmsServiceError(
            f"The LMS could not be reached ({exc.__class__.__name__}). Try again later.", transient=True
        ) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise LmsServiceError(f"The LMS's sign-in for services failed (HTTP {response.status_code}).", transient=True)
    if response.status_code != 200:
        raise LmsServiceError(
            f"The LMS refused coursesite's access (HTTP {response.status_code}): check that the developer key "
            f"is on and allows {allows}."
        )
    token = response.json().get("access_token") if "json" in response.headers.get("content-type", "") else None
    if not isinstance(token, str):
        raise LmsServiceError("The LMS answered without an access token.")
    return token


def _role_of(roles: object) -> str:
    for suffix, role in _ROLES:
        if isinstance(roles, list) and any(isinstance(r, str) and r.endswith(suffix) for r in roles):
            return role.value
    return ""  # the import names the row: a role it does not know


def _username_of(member: dict[str, Any]) -> str:
    """The launch's custom parameter, from the member's message section (NRPS 2.0, 3.7; Canvas: with rlid)."""
    for message in member.get("message") or []:
        custom = message.get(LTI + "custom") if isinstance(message, dict) else None
        value = custom.get(settings.LTI_USERNAME_CUSTOM_FIELD) if isinstance(custom, dict) else None
        if isinstance(value, str) and not value.startswith("$"):
            return value
    return ""


def memberships(*, platform: Platform) -> list[dict[str, Any]]:
    if not platform.memberships_url:
        raise LmsServiceError(
            "The LMS has not told coursesite where this course's members are yet: open coursesite once from the "
            "LMS course, then sync again."
        )
    headers = {
        "Authorization": "Bearer " + access_token(platform=platform, scope=NRPS_SCOPE),
        "Accept": MEMBERSHIP_TYPE,
    }
    params = {"rlid": platform.resource_link_id} if platform.resource_link_id else {}
    url: str | None = platform.memberships_url
    members: list[dict[str, Any]] = []
    for _page in range(MAX_PAGES):
        if url is None:
            break
        try:
            response = requests.get(url, headers=headers, params=params, timeout=30)
        except requests.RequestException as exc:
            raise LmsServiceError(f"The LMS could not be reached ({exc.__class__.__name__}).") from exc
        if response.status_code != 200:
            raise LmsServiceError(f"The LMS refused to list the course's members (HTTP {response.status_code}).")
        try:
            page = response.json()
        except ValueError:
            raise LmsServiceError("The LMS's member list could not be read.") from None
        members.extend(m for m in page.get("members", []) if isinstance(m, dict))
        url, params = response.links.get("next", {}).get("url"), {}
    return members


@dataclass
class LmsRosterResult:
    result: RosterResult
    skipped_inactive: int = 0
    rows: list[str] = field(default_factory=list)  # row number - 2 -> the member's name, for the messages

    def error_lines(self) -> list[str]:
        lines = []
        for error in self.result.errors:
            index = error.row - 2
            who = self.rows[index] if 0 <= index < len(self.rows) else f"row {error.row}"
            lines.append(f"LMS member {who}, {error.column}: {error.message}")
        return lines


def roster_sync_from_lms(*, platform: Platform, by: User) -> LmsRosterResult:
    """The LMS course's active members, imported as the roster (all or none). Audited by the import."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "full_name", "email", "role"])
    names: list[str] = []
    lms_ids: list[tuple[str, str]] = []  # (username, the member's LMS user id)
    skipped = 0
    for member in memberships(platform=platform):
        if member.get("status", "Active") != "Active":
            skipped += 1
            continue
        name = str(member.get("name") or member.get("user_id") or "?")
        names.append(name)
        lms_ids.append((_username_of(member), str(member.get("user_id") or "")))
        writer.writerow([lms_ids[-1][0], name, str(member.get("email") or ""), _role_of(member.get("roles"))])
    result = roster_import(course=platform.course, data=out.getvalue().encode(), by=by)
    if result.ok:
        _bind_lms_ids(platform=platform, lms_ids=lms_ids, by=by)
    return LmsRosterResult(result=result, skipped_inactive=skipped, rows=names)


def _bind_lms_ids(*, platform: Platform, lms_ids: list[tuple[str, str]], by: User) -> None:
    """Each member's LMS user id (their launches' `sub`) against their roster user, as their first launch would
    (by the same username parameter), so grades reach those who never opened coursesite from the LMS. An id or a
    user already bound at this LMS is left as it is."""
    for username, subject in lms_ids:
        if not username or not subject:
            continue
        users = list(User.objects.filter(username__iexact=username, memberships__course=platform.course)[:2])
        if len(users) != 1:
            continue
        bound = ExternalIdentity.objects.filter(issuer=platform.issuer)
        with transaction.atomic():
            if bound.filter(subject=subject).exists() or bound.filter(user=users[0]).exists():
                continue
            identity = ExternalIdentity.objects.create(user=users[0], issuer=platform.issuer, subject=subject)
            audit_record(
                actor=by, action="identity.bind", course=platform.course, target=identity, via="lti-roster-sync"
            )
