"""Fixtures (imported by the LTI browser tests): a real LTI 1.3 platform (tests/lti/lms_platform.py, its own
process and keys) on 127.0.0.1, registered for the demo course through the same service as `lti_platform_add`."""

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.core.cache import cache

from lti.models import Platform
from lti.services import platform_add
from tests.support import free_port, start_ready_server, stop_server

CLIENT_ID = "10000000000042"
DEPLOYMENT_ID = "17:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
USERS = {
    "ada": {
        "sub": "0a0a0a0a-ada",
        "email": "examiner@example.edu",
        "name": "Ada Examiner",
        "roles": [INSTRUCTOR],
        "custom": {"username": "examiner"},
    },
    "alice": {
        "sub": "a1b2c3d4-alice",
        "email": "alice@example.edu",
        "name": "Alice Student",
        "roles": [LEARNER],
        "custom": {"username": "alice"},
    },
    "bob-ta": {
        "sub": "e5f6a7b8-bob",
        "email": "bob@example.edu",
        "name": "Bob Student",
        "roles": [INSTRUCTOR, TA],
        "custom": {"username": "bob"},
    },
    "zed": {
        "sub": "99999999-zed",
        "email": "zed@example.edu",
        "name": "Zed Nobody",
        "roles": [LEARNER],
        "custom": {"username": "zed"},
    },
    # Canvas sends the variable itself when it cannot fill it in: never a username.
    "nologin": {
        "sub": "88888888-x",
        "email": "x@example.edu",
        "name": "Alice Student",
        "roles": [LEARNER],
        "custom": {"username": "$Canvas.user.loginId"},
    },
}


def _autopost_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of a page that posts itself (the platform's and the tool's hand-offs)."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page)[1])  # type: ignore[index]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return action, {html.unescape(k): html.unescape(v) for k, v in fields}


@dataclass
class Lms:
    issuer: str
    process: subprocess.Popen

    def set_members(self, members: list[dict]) -> None:
        """Who is in the LMS course, as its Names and Role Provisioning service answers."""
        import urllib.request

        url = f"{self.issuer}/members"
        request = urllib.request.Request(url, data=json.dumps(members).encode(), method="PUT")  # noqa: S310
        with urllib.request.urlopen(request):  # noqa: S310 (the test platform)
            pass

    def set_ags(self, **rules: object) -> None:
        """How the platform's gradebook answers (see lms_platform.py); reset=True empties it first."""
        import urllib.request

        request = urllib.request.Request(f"{self.issuer}/ags", data=json.dumps(rules).encode(), method="PUT")  # noqa: S310
        with urllib.request.urlopen(request):  # noqa: S310 (the test platform)
            pass

    def ags_state(self) -> dict:
        """The line items and scores the platform's gradebook holds."""
        import urllib.request

        with urllib.request.urlopen(f"{self.issuer}/ags-state") as response:  # noqa: S310 (the test platform)
            return json.load(response)

    def launch(self, user: str) -> requests.Response:
        """A launch without a browser (the same requests Chromium makes): the tool's answer to the id token."""
        session = requests.Session()
        form = session.get(self.course_url(user), timeout=10)
        login = session.post(*_autopost_form(form.text), allow_redirects=False, timeout=10)
        # The state cookie is Secure; a browser sends it to http://127.0.0.1, requests does not: pass it on.
        state = login.cookies.get("lti-state", "")
        auth = session.get(login.headers["Location"], timeout=10)
        url, fields = _autopost_form(auth.text)
        return session.post(url, data=fields, cookies={"lti-state": state}, allow_redirects=False, timeout=10)

    def course_url(self, user: str, **query: str) -> str:
        from urllib.parse import urlencode

        return f"{self.issuer}/course?{urlencode({'user': user, **query})}"


@pytest.fixture(scope="session")
def lms(live_server) -> Iterator[Lms]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = dict(
        os.environ,
        LTI_PORT=str(port),
        LTI_CLIENT_ID=CLIENT_ID,
        LTI_DEPLOYMENT_ID=DEPLOYMENT_ID,
        LTI_TOOL_LOGIN_URL=f"{live_server.url}/lti/login/",
        LTI_TOOL_LAUNCH_URL=f"{live_server.url}/lti/launch/",
        LTI_TOOL_JWKS_URL=f"{live_server.url}/lti/jwks/",
        LTI_USERS=json.dumps(USERS),
    )
    process, issuer = start_ready_server(
        [sys.executable, str(Path(__file__).with_name("lms_platform.py"))], env=env, what="the LTI platform"
    )
    yield Lms(issuer=issuer, process=process)
    stop_server(process)


@pytest.fixture
def lti_on(settings, live_server, lms: Lms, course) -> Platform:  # type: ignore[no-untyped-def]
    """The platform registered for DD2424, as `lti_platform_add` does; the tool's URLs on the live server."""
    settings.SITE_URL = live_server.url
    cache.clear()
    return platform_add(
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        auth_login_url=f"{lms.issuer}/auth",
        auth_token_url=f"{lms.issuer}/token",
        keyset_url=f"{lms.issuer}/jwks",
        course_code=course.code,
    )
