"""Registering platforms from the command line, the tool's configuration (command and staff page), its JWKS and
key rotation, and launches the browser did not start here."""

import io
import json

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from coursesite.models import AuditLog
from lti.keys import tool_key_current
from lti.models import Platform, ToolKey

ADD = [
    "--issuer",
    "https://canvas.instructure.com",
    "--client-id",
    "10000000000042",
    "--deployment-id",
    "17:abc",
    "--auth-login-url",
    "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "--auth-token-url",
    "https://sso.canvaslms.com/login/oauth2/token",
    "--keyset-url",
    "https://sso.canvaslms.com/api/lti/security/jwks",
    "--course",
    "DD2424",
]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_list_and_remove_a_platform(course) -> None:  # type: ignore[no-untyped-def]
    assert "Registered platform" in _run("lti_platform_add", *ADD)
    platform = Platform.objects.get()
    assert (platform.client_id, platform.deployment_id, platform.course) == ("10000000000042", "17:abc", course)
    assert AuditLog.objects.filter(action="lti_platform.add").count() == 1

    listed = json.loads(_run("lti_platform_list", "--json"))
    assert listed[0]["course"] == "DD2424" and listed[0]["keyset_url"].endswith("/jwks")
    assert "deployment_id=17:abc" in _run("lti_platform_list")

    with pytest.raises(CommandError, match="already registered"):
        _run("lti_platform_add", *ADD)

    assert "Removed" in _run("lti_platform_remove", str(platform.pk))
    assert not Platform.objects.exists()
    assert "No LTI platforms" in _run("lti_platform_list")
    with pytest.raises(CommandError, match="No such platform"):
        _run("lti_platform_remove", str(platform.pk))


def test_add_says_what_is_wrong(course) -> None:  # type: ignore[no-untyped-def]
    bad = list(ADD)
    bad[bad.index("--keyset-url") + 1] = "not a url"
    bad[bad.index("--course") + 1] = "XX9999"
    with pytest.raises(CommandError) as error:
        _run("lti_platform_add", *bad)
    assert "--keyset-url: 'not a url' is not a URL" in str(error.value)
    assert "--course: there is no course 'XX9999'" in str(error.value)
    assert not Platform.objects.exists()


def test_tool_config_command_and_staff_page(settings, course, examiner, student, client_for) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = "https://course.example.edu"
    out = _run("lti_tool_config")
    assert "OpenID Connect login URL: https://course.example.edu/lti/login/" in out
    assert "Launch URL (target link URI, redirect URI): https://course.example.edu/lti/launch/" in out
    assert "Public JWKS URL: https://course.example.edu/lti/jwks/" in out
    canvas = json.loads(out[out.index("{") :])
    assert canvas["oidc_initiation_url"] == "https://course.example.edu/lti/login/"
    assert canvas["public_jwk_url"] == "https://course.example.edu/lti/jwks/"
    assert canvas["custom_fields"] == {"username": "$Canvas.user.loginId"}
    assert ToolKey.objects.filter(active=True).count() == 1  # the JWKS is never empty

    page = client_for(examiner).get("/c/DD2424/lti/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "https://course.example.edu/lti/launch/" in text and "oidc_initiation_url" in text
    assert client_for(student).get("/c/DD2424/lti/").status_code == 403


def test_jwks_publishes_the_keys_and_rotation_keeps_the_old_one_until_retired(db) -> None:  # type: ignore[no-untyped-def]
    first = tool_key_current()
    kids = [k["kid"] for k in Client().get("/lti/jwks/").json()["keys"]]
    assert kids == [first.kid]

    _run("lti_key_rotate")
    second = tool_key_current()
    assert second.kid != first.kid
    keys = Client().get("/lti/jwks/").json()["keys"]
    assert {k["kid"] for k in keys} == {first.kid, second.kid}
    # What the JWKS publishes verifies what the current key signs.
    token = jwt.encode({"iss": "tool"}, second.private_key_pem, algorithm="RS256", headers={"kid": second.kid})
    public = jwt.PyJWK(next(k for k in keys if k["kid"] == second.kid))
    assert jwt.decode(token, public.key, algorithms=["RS256"]) == {"iss": "tool"}

    _run("lti_key_rotate", "--retire-old")
    assert [k["kid"] for k in Client().get("/lti/jwks/").json()["keys"]] == [tool_key_current().kid]


def test_launches_not_started_here_are_refused_with_words(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post("/lti/launch/", {"id_token": "a.b.c", "state": "made-up"})
    assert response.status_code == 400
    assert "This launch was not started from this site" in response.content.decode()
    assert client.post("/lti/launch/", {}).status_code == 400
    assert client.get("/lti/launch/").status_code == 405
    login = client.get(
        "/lti/login/", {"iss": "https://lms.example", "login_hint": "x", "target_link_uri": "https://x/"}
    )
    assert login.status_code == 403
    assert "This LMS is not registered with this site" in login.content.decode()
    assert "incomplete" in client.get("/lti/login/").content.decode()


def test_a_launch_without_the_browser_s_state_cookie_or_too_late_is_refused(db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from lti.launch import login_state_create

    state = login_state_create(issuer="https://lms.example", client_id="c", target_link_uri="https://x/")
    client = Client()
    # A page embedded in the LMS whose browser blocks the cookie (or a launch forced on someone else's browser).
    response = client.post("/lti/launch/", {"id_token": "a.b.c", "state": state.state})
    assert response.status_code == 400
    assert "Open coursesite in a new tab" in response.content.decode()

    state.created_at = timezone.now() - dt.timedelta(minutes=11)
    state.save()
    client.cookies["lti-state"] = state.state
    response = client.post("/lti/launch/", {"id_token": "a.b.c", "state": state.state})
    assert response.status_code == 400
    assert "took too long and has expired" in response.content.decode()


def test_a_roster_sync_before_any_launch_says_what_to_do(course, examiner, client_for) -> None:  # type: ignore[no-untyped-def]
    call_command("lti_platform_add", *ADD, stdout=io.StringIO())
    platform = Platform.objects.get()
    response = client_for(examiner).post("/c/DD2424/lti/", {"platform": platform.pk})
    assert response.status_code == 400
    assert "open coursesite once from the LMS course, then sync again" in response.content.decode()
    assert client_for(examiner).post("/c/DD2424/lti/", {"platform": "x"}).status_code == 400
