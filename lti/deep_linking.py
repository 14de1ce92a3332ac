"""LTI Deep Linking 2.0: the examiner picks what to place in the LMS course (an assignment, the project, the exam);
the tool answers the platform with a signed LtiDeepLinkingResponse of one LTI resource link."""

import datetime as dt
import secrets
from typing import Any

import jwt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment
from coursesite.audit import audit_record
from coursesite.models import Course, User

from .keys import tool_key_current
from .launch import LTI, Launch, LaunchRefused
from .models import Platform

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SESSION_KEY = "lti_deep_link"


def deep_link_settings(*, launch: Launch) -> dict[str, Any]:
    """What the session keeps between the deep-linking launch and the examiner's choice."""
    if not launch.membership.is_instructor:
        raise LaunchRefused(
            "Only the course's examiner can place coursesite's assignments, project or exam in the LMS.", status=403
        )
    dl = launch.claims.get(DL + "deep_linking_settings")
    if not isinstance(dl, dict) or not isinstance(dl.get("deep_link_return_url"), str):
        raise LaunchRefused("The LMS's deep-linking request has no return URL.")
    accept = dl.get("accept_types", [])
    if not isinstance(accept, list) or "ltiResourceLink" not in accept:
        raise LaunchRefused("The LMS does not accept links to tool pages here, which is all coursesite can place.")
    return {
        "platform": launch.platform.pk,
        "return_url": dl["deep_link_return_url"],
        "data": dl.get("data"),
    }


def placeable_items(*, course: Course) -> list[dict[str, Any]]:
    code = course.code
    items: list[dict[str, Any]] = [
        {
            "key": f"assignment-{a.number}",
            "title": f"Assignment {a.number}: {a.title}",
            "path": reverse("assignments:detail", args=[code, a.number]),
            # The gradebook column the LMS makes for the placed link: grade passback finds it by its resourceId
            # (lti.passback), so the assignment never gets a second one.
            "lineItem": {
                "label": f"Assignment {a.number}: {a.title}"[:255],
                "scoreMaximum": 1 + a.bonus_max,
                "resourceId": f"assignment-{a.number}",
                "tag": "coursesite",
            },
        }
        for a in Assignment.objects.filter(course=course).order_by("number")
    ]
    items.append({"key": "project", "title": "Project", "path": reverse("projects:home", args=[code])})
    items.append({"key": "exam", "title": "Exam", "path": reverse("exams:home", args=[code])})
    return items


def deep_link_response(*, session: dict[str, Any], key: str, by: User) -> tuple[str, str, dict[str, Any]]:
    """(return URL, signed response JWT, the item) for the examiner's choice; audited."""
    platform = Platform.objects.select_related("course").get(pk=session["platform"])
    item = next((i for i in placeable_items(course=platform.course) if i["key"] == key), None)
    if item is None:
        raise LaunchRefused("Choose one of the listed items to place in the LMS.")
    now = timezone.now()
    claims = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=5)).timestamp()),
        "nonce": secrets.token_urlsafe(16),
        LTI + "deployment_id": platform.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": [
            {
                "type": "ltiResourceLink",
                "title": item["title"],
                "url": settings.SITE_URL + item["path"],
                **({"lineItem": item["lineItem"]} if "lineItem" in item else {}),
            }
        ],
    }
    if session.get("data") is not None:
        claims[DL + "data"] = session["data"]
    key_row = tool_key_current()
    token = jwt.encode(claims, key_row.private_key_pem, algorithm="RS256", headers={"kid": key_row.kid})
    audit_record(actor=by, action="deep_link.send", course=platform.course, target=platform, item=item["title"])
    return session["return_url"], token, item
