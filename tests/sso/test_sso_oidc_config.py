"""Single sign-on is off by default; when on, password sign-in does not depend on the identity provider."""

from django.test import Client

from sso import oidc


def test_off_by_default_no_button_and_no_sso_pages(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Sign in with" not in page.content.decode()
    assert client.get("/sso/oidc/login/").status_code == 404
    assert client.get("/sso/oidc/callback/?code=x&state=y").status_code == 404


def test_password_sign_in_works_while_the_provider_is_down(settings, course, student) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_RP_CLIENT_ID = "coursesite"
    settings.OIDC_ISSUER = "http://127.0.0.1:9/"  # nothing listens there
    settings.OIDC_DISPLAY_NAME = "KTH"
    oidc._metadata_cache.clear()
    client = Client()
    assert "Sign in with KTH" in client.get("/accounts/login/").content.decode()

    # A password sign-in with code and state in its URL stays a password sign-in.
    response = client.post("/accounts/login/?code=abc&state=def", {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert client.get("/c/DD2424/").status_code == 200

    # The provider being down is said in words, not a 500.
    start = Client().get("/sso/oidc/login/")
    assert start.status_code == 502
    assert "cannot be reached just now" in start.content.decode()
