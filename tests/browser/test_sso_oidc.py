"""Single sign-on through a real OpenID provider, in Chromium: the whole redirect flow, the roster match, the
refusals (not on a roster, a display name that is someone else's, a tampered state or nonce)."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from playwright.sync_api import Page, Route

from coursesite.models import AuditLog, User
from sso.models import ExternalIdentity
from tests.sso import oidc_fixtures

# The OpenID provider process and the settings that point at it (fixtures).
provider_installed = oidc_fixtures.provider_installed
oidc_provider = oidc_fixtures.oidc_provider
sso_on = oidc_fixtures.sso_on

pytestmark = pytest.mark.browser


def _start(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.click("text=Sign in with KTH")


def _university_sign_in(page: Page, sso_on, login: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("text=University sign-in")
    page.fill("#login", login)
    page.fill("#password", sso_on.password(login))
    page.click("#submit")
    page.wait_for_load_state()


def test_a_roster_student_signs_in_with_the_university_lands_on_the_dashboard_and_signs_out(
    live_server, page, sso_on, course, student, artifacts
) -> None:
    _start(page, live_server.url)
    assert page.url.startswith(sso_on.issuer)  # at the identity provider, not on our site
    _university_sign_in(page, sso_on, "alice")

    assert page.url == f"{live_server.url}/c/DD2424/"
    assert "Alice Student" in page.content()
    page.screenshot(path=str(artifacts / "sso-dashboard.png"), full_page=True)
    identity = ExternalIdentity.objects.get(user=student)
    assert (identity.issuer, identity.subject) == (sso_on.issuer, "u1alice00")
    assert AuditLog.objects.filter(action="identity.bind", actor=student).count() == 1

    page.click("text=Sign out")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url  # signed out: the course asks for a sign-in again

    # Signing in again is matched by the bound subject; nothing new is bound.
    page.click("text=Sign in with KTH")
    page.wait_for_url(f"{live_server.url}/c/DD2424/")
    assert ExternalIdentity.objects.count() == 1


def test_the_login_page_keeps_next_through_the_provider(live_server, page, sso_on, course, student) -> None:
    page.goto(f"{live_server.url}/c/DD2424/calendar/")
    assert "/accounts/login/" in page.url
    page.click("text=Sign in with KTH")
    _university_sign_in(page, sso_on, "alice")
    assert page.url == f"{live_server.url}/c/DD2424/calendar/"


def test_a_university_user_on_no_roster_is_refused_with_words_and_gets_no_account(
    live_server, page, sso_on, course, student
) -> None:
    users_before = User.objects.count()
    responses = []
    page.on("response", lambda r: responses.append(r) if "/sso/oidc/callback/" in r.url else None)
    _start(page, live_server.url)
    _university_sign_in(page, sso_on, "zed")

    assert responses[-1].status == 403
    assert "Your university account (zed) is not on the roster of any course" in page.content()
    assert User.objects.count() == users_before
    assert not ExternalIdentity.objects.exists()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url


def test_a_display_name_never_matches_a_roster_user(live_server, page, sso_on, course, student) -> None:
    # Eve's display name is "Alice Student", Alice's full name on the roster: she is still not Alice.
    _start(page, live_server.url)
    _university_sign_in(page, sso_on, "eve")
    assert "Your university account (eve) is not on the roster" in page.content()
    assert not ExternalIdentity.objects.exists()


def test_a_second_university_account_with_the_same_username_claim_is_refused(
    live_server, page, new_page, sso_on, course, student
) -> None:
    _start(page, live_server.url)
    _university_sign_in(page, sso_on, "alice")
    assert page.url == f"{live_server.url}/c/DD2424/"

    other = new_page()
    _start(other, live_server.url)
    _university_sign_in(other, sso_on, "alice2")  # sub u1alice99, preferred_username "alice"
    assert "already linked to a different account at your university" in other.content()
    other.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in other.url
    assert list(ExternalIdentity.objects.values_list("subject", flat=True)) == ["u1alice00"]


def _tamper(param: str):  # type: ignore[no-untyped-def]
    """A route handler for our sign-in start: changes `param` in its redirect to the provider (the browser's
    address bar, as a person or an attacker could)."""

    def handle(route: Route) -> None:
        response = route.fetch(max_redirects=0)  # shares the page's cookies: the session keeps the real state
        parts = urlsplit(response.headers["location"])
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        query[param] = query[param][:-4] + "XXXX"
        route.fulfill(status=302, headers={"location": urlunsplit(parts._replace(query=urlencode(query)))})

    return handle


@pytest.mark.parametrize("param", ["state", "nonce"])
def test_a_tampered_state_or_nonce_is_refused_with_a_clear_page(
    live_server, page, sso_on, course, student, param
) -> None:
    responses = []
    page.on("response", lambda r: responses.append(r) if "/sso/oidc/callback/" in r.url else None)
    page.route(f"{live_server.url}/sso/oidc/login/", _tamper(param))
    _start(page, live_server.url)
    _university_sign_in(page, sso_on, "alice")

    assert responses[-1].status == 400
    assert "This sign-in could not be completed" in page.content()
    page.goto(f"{live_server.url}/c/DD2424/")
    assert "/accounts/login/" in page.url
    assert not ExternalIdentity.objects.exists()


def test_a_replayed_callback_is_refused(live_server, page, sso_on, course, student) -> None:
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/sso/oidc/callback/" in r.url else None)
    _start(page, live_server.url)
    _university_sign_in(page, sso_on, "alice")
    assert page.url == f"{live_server.url}/c/DD2424/"
    page.click("text=Sign out")
    page.wait_for_load_state()

    response = page.goto(callbacks[0])  # the same code and state again
    assert response is not None and response.status == 400
    assert "This sign-in could not be completed" in page.content()
