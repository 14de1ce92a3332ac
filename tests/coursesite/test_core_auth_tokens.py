"""API tokens: revoked by every kind of password change or reset, listed and revoked by their owner only, stored
as hashes, expiring after COURSESITE_TOKEN_MAX_AGE_DAYS."""

import datetime as dt
import re
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.test import Client

from coursesite.models import AuditLog
from tests.support import make_user


def token_rows():  # type: ignore[no-untyped-def]
    from accounts.models import ApiToken  # imported here: on code without it, the tests fail on their asserts

    return ApiToken.objects


def get_token(username: str = "alice", password: str = "pw", **extra: str) -> str:
    response = Client().post("/api/token/", {"username": username, "password": password, **extra})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def api(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def works(key: str) -> bool:
    status = api(key).get("/api/courses/").status_code
    assert status in (200, 401)
    return status == 200


def test_a_token_works_and_only_its_hash_is_stored(course, student) -> None:
    key = get_token()
    assert works(key)
    row = token_rows().get(user=student)
    assert key not in {row.key_hash, row.prefix} and key.startswith(row.prefix)


def test_the_password_change_page_revokes_the_tokens(course, student) -> None:
    key = get_token()
    page = Client()
    page.force_login(student)
    response = page.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": "a much longer secret 42", "new_password2": "a much longer secret 42"},
    )
    assert response.status_code == 302
    assert not works(key)
    assert "revoked" in api(key).get("/api/courses/").json()["detail"]
    assert AuditLog.objects.filter(action="api_token.revoke_all", target_id=str(student.pk)).exists()


def test_a_password_reset_revokes_the_tokens(course, student) -> None:
    key = get_token()
    Client().post("/accounts/password_reset/", {"email": student.email})
    link = re.search(r"/accounts/reset/[^\s]+/", mail.outbox[0].body).group(0)
    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "another long secret 9", "new_password2": "another long secret 9"}
    )
    assert done.status_code == 302 and done["Location"].endswith("/reset/done/")
    assert not works(key)


def test_the_admin_and_changepassword_and_set_password_revoke_the_tokens(course, student, monkeypatch) -> None:
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    key = get_token()
    site = Client()
    site.force_login(admin)
    response = site.post(
        f"/admin/coursesite/user/{student.pk}/password/",
        {"password1": "admin chosen secret 1", "password2": "admin chosen secret 1", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(key)

    key = get_token(password="admin chosen secret 1")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "command line secret 2")
    call_command("changepassword", "alice", stdout=StringIO())
    assert not works(key)

    key = get_token(password="command line secret 2")
    student.refresh_from_db()
    student.set_password("code secret 3")
    student.save()
    assert not works(key)


def test_saving_the_user_without_a_new_password_keeps_the_tokens(course, student) -> None:
    key = get_token()
    student.refresh_from_db()
    student.full_name = "Alice Renamed"
    student.save()
    student.set_password("pw")  # the same password, hashed anew (as a hasher upgrade at sign-in does)
    student.save()
    assert works(key)


def test_a_hash_upgrade_at_sign_in_keeps_the_tokens_and_an_unusable_password_revokes_them(
    course, student, settings
) -> None:
    key = get_token()
    md5_hash = type(student).objects.get(pk=student.pk).password
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert Client().post("/accounts/login/", {"username": "alice", "password": "pw"}).status_code == 302
    student.refresh_from_db()
    assert student.password != md5_hash and student.password.startswith("pbkdf2_")  # Django re-hashed it
    assert works(key)
    student.set_unusable_password()
    student.save()
    assert not works(key)


def test_tokens_are_listed_without_their_keys_and_revoked_by_their_owner(course, student, other_student) -> None:
    laptop, desktop = get_token(name="laptop"), get_token(name="desktop")
    listed = api(laptop).get("/api/tokens/").json()
    assert [t["name"] for t in listed] == ["desktop", "laptop"]
    assert all(laptop not in str(t) and desktop not in str(t) for t in listed)
    assert {t["prefix"] for t in listed} == {laptop[:8], desktop[:8]}
    assert listed[1]["last_used_at"] is not None and listed[0]["last_used_at"] is None
    assert dt.datetime.fromisoformat(listed[0]["expires_at"]) > dt.datetime.fromisoformat(listed[0]["created_at"])

    bob = get_token("bob")
    desktop_id = listed[0]["id"]
    assert api(bob).delete(f"/api/tokens/{desktop_id}/").status_code == 404  # not bob's: it does not exist for him
    page = Client()
    page.force_login(other_student)
    assert page.post(f"/accounts/tokens/{desktop_id}/revoke/").status_code == 404
    assert works(desktop)

    assert api(laptop).delete(f"/api/tokens/{desktop_id}/").status_code == 204
    assert not works(desktop) and works(laptop)


def test_the_tokens_page_lists_makes_and_revokes(course, student) -> None:
    key = get_token(name="script")
    page = Client()
    page.force_login(student)
    listing = page.get("/accounts/tokens/").content.decode()
    assert "script" in listing and key[:8] in listing and key not in listing
    made = page.post("/accounts/tokens/", {"name": "terminal"}).content.decode()
    new_key = re.search(r"<pre>([^<]+)</pre>", made).group(1)
    assert works(new_key)
    assert new_key not in page.get("/accounts/tokens/").content.decode()  # shown once
    token = token_rows().get(name="script")
    assert page.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert not works(key) and works(new_key)


def test_a_token_expires_after_the_max_age(course, student, settings) -> None:
    key = get_token()
    settings.COURSESITE_TOKEN_MAX_AGE_DAYS = 30
    token_rows().filter(user=student).update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    response = api(key).get("/api/courses/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_wrong_password_gets_no_token(course, student) -> None:
    response = Client().post("/api/token/", {"username": "alice", "password": "nope"})
    assert response.status_code == 400 and "username and password" in response.json()["detail"]
    assert not token_rows().exists()
