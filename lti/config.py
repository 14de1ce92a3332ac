"""The tool's own configuration, as an LMS administrator enters it: URLs and Canvas's developer-key JSON."""

from typing import Any

from django.conf import settings
from django.urls import reverse


def tool_urls() -> dict[str, str]:
    base = settings.SITE_URL
    return {
        "login_url": base + reverse("lti_login"),
        "launch_url": base + reverse("lti_launch"),
        "jwks_url": base + reverse("lti_jwks"),
    }


def canvas_developer_key() -> dict[str, Any]:
    """Canvas: Admin > Developer Keys > + LTI Key > Method "Paste JSON" (and Redirect URIs: the launch URL)."""
    urls = tool_urls()
    return {
        "title": "coursesite",
        "description": "Assignments, autograder, projects, exams and grades of the course.",
        "oidc_initiation_url": urls["login_url"],
        "target_link_uri": urls["launch_url"],
        "public_jwk_url": urls["jwks_url"],
        "scopes": [
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            # Assignment and Grade Services: the tool's gradebook columns and the scores in them.
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        ],
        "extensions": [
            {
                "domain": settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0],
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {
                    "text": "coursesite",
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "target_link_uri": urls["launch_url"],
                            "text": "coursesite",
                            "windowTarget": "_blank",
                        },
                        # Deep linking: the examiner picks an assignment, the project or the exam to place.
                        {
                            "placement": "link_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": urls["launch_url"],
                            "text": "coursesite: assignment, project or exam",
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": urls["launch_url"],
                            "text": "coursesite assignment",
                        },
                    ],
                },
            }
        ],
        "custom_fields": {settings.LTI_USERNAME_CUSTOM_FIELD: "$Canvas.user.loginId"},
    }
