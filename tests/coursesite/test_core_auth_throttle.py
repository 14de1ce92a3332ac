"""Password guessing is throttled (django-axes, for real, on PostgreSQL): per account and address, per account
from anywhere, per address over many accounts; a clear message, a 429 from the API, audited, ends by itself."""

import datetime as dt

import pytest
from django.test import Client

from coursesite.models import AuditLog
from tests.support import make_user

ACCOUNT_MESSAGE = "Too many failed sign-in attempts for this account; try again in"


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    """Small limits and a 15-minute cool-off, set explicitly so the test says what it proves."""
    settings.COURSESITE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 3
    settings.COURSESITE_LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.COURSESITE_LOGIN_FAILURES_PER_ADDRESS = 6
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    return settings


def sign_in(username: str, password: str, address: str = "203.0.113.7", **headers: str):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=address, headers=headers).post(
        "/accounts/login/", {"username": username, "password": password}
    )


def token(username: str, password: str, address: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=address).post("/api/token/", {"username": username, "password": password})


def let_the_cool_off_pass(minutes: int = 16) -> None:
    """The database as it is `minutes` later: every counted failure is that much older."""
    from axes.models import AccessAttempt

    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - dt.timedelta(minutes=minutes)
        )


def forget_failures() -> None:
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_an_account_is_locked_after_failures_even_with_the_right_password(limits, student) -> None:
    for _ in range(2):
        assert sign_in("alice", "guess").status_code == 200  # the form again, "didn't match"
    third = sign_in("alice", "guess")
    assert third.status_code == 429
    assert ACCOUNT_MESSAGE in third.content.decode() and "or reset your password" in third.content.decode()
    assert "15 minutes" in third.content.decode()
    right = sign_in("alice", "pw")
    assert right.status_code == 429 and "_auth_user_id" not in right.client.session
    assert ACCOUNT_MESSAGE in right.content.decode()
    assert int(right["Retry-After"]) > 0
    # An audited lock-out, once (attempts while locked are refused unrecorded and do not prolong it).
    locks = AuditLog.objects.filter(action="signin.lock_out")
    assert [(row.data["username"], row.data["address"], row.target_id) for row in locks] == [
        ("alice", "203.0.113.7", str(student.pk))
    ]


def test_the_lock_out_ends_by_itself(limits, student) -> None:
    for _ in range(3):
        sign_in("alice", "guess")
    assert sign_in("alice", "pw").status_code == 429
    let_the_cool_off_pass(minutes=14)
    assert sign_in("alice", "pw").status_code == 429  # not yet
    let_the_cool_off_pass(minutes=2)
    response = sign_in("alice", "pw")
    assert response.status_code == 302 and response.client.session["_auth_user_id"] == str(student.pk)


def test_an_account_is_locked_from_every_address_after_guesses_from_several(limits, student) -> None:
    for address in ("198.51.100.1", "198.51.100.2"):
        for _ in range(2):
            assert sign_in("alice", "guess", address=address).status_code == 200
    assert sign_in("alice", "guess", address="198.51.100.3").status_code == 429  # 5 for the account
    response = sign_in("alice", "pw", address="192.0.2.99")
    assert response.status_code == 429 and ACCOUNT_MESSAGE in response.content.decode()


def test_one_address_cannot_lock_a_victim_out_from_everywhere(limits, student) -> None:
    for _ in range(10):  # hammering from one machine: only the first 3 count
        sign_in("alice", "guess", address="198.51.100.66")
    assert sign_in("alice", "pw", address="198.51.100.66").status_code == 429
    response = sign_in("alice", "pw", address="192.0.2.10")  # alice at home
    assert response.status_code == 302 and response.client.session["_auth_user_id"] == str(student.pk)


def test_spraying_one_password_over_many_accounts_from_one_address_is_stopped(limits, db) -> None:
    for n in range(8):
        make_user(f"s{n}")
    statuses = [sign_in(f"s{n}", "Spring2026!", address="198.51.100.9").status_code for n in range(7)]
    assert statuses == [200] * 5 + [429, 429]
    locked = sign_in("s7", "pw", address="198.51.100.9")
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts from your network address" in locked.content.decode()
    # The accounts themselves are not locked: from elsewhere s0 signs in.
    assert sign_in("s0", "pw", address="192.0.2.1").status_code == 302


def test_the_api_token_view_is_throttled_with_a_429_and_a_json_message(limits, student) -> None:
    assert token("alice", "guess").status_code == 400
    assert sign_in("alice", "guess").status_code == 200  # the page and the API share the count
    response = token("alice", "guess")
    assert response.status_code == 429
    body = response.json()
    assert body["detail"].startswith(ACCOUNT_MESSAGE) and body["retry_after_s"] > 0
    assert token("alice", "pw").status_code == 429  # the right password does not get through either
    let_the_cool_off_pass()
    assert "token" in token("alice", "pw").json()


def test_a_successful_sign_in_clears_only_its_own_failures(limits, student) -> None:
    for _ in range(2):
        sign_in("alice", "typo")
    assert sign_in("alice", "pw").status_code == 302
    for _ in range(2):
        assert sign_in("alice", "typo").status_code == 200  # the count started again


def test_a_password_reset_ends_the_account_lock_out(limits, student) -> None:
    for _ in range(3):
        sign_in("alice", "guess")
    assert sign_in("alice", "pw").status_code == 429
    student.set_password("a new long password 7")
    student.save()
    assert sign_in("alice", "a new long password 7").status_code == 302


def test_the_address_comes_from_the_proxy_header_only_when_configured(limits, settings, db) -> None:
    for n in range(7):
        make_user(f"p{n}")
    # Not configured: a client's X-Forwarded-For is ignored, its connection's address counts.
    for n in range(6):
        sign_in(f"p{n}", "guess", address="10.0.0.1", **{"X-Forwarded-For": f"192.0.2.{n}"})
    assert sign_in("p6", "pw", address="10.0.0.1", **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429
    forget_failures()
    # Behind one trusted proxy: the entry it appended counts; the client's own entries to the left do not.
    settings.COURSESITE_CLIENT_IP_HEADER = "X-Forwarded-For"
    for n in range(6):
        sign_in(f"p{n}", "guess", address="10.0.0.1", **{"X-Forwarded-For": f"192.0.2.{n}, 198.51.100.5"})
    assert sign_in("p6", "pw", address="10.0.0.1", **{"X-Forwarded-For": "198.51.100.5"}).status_code == 429
    response = sign_in("p6", "pw", address="10.0.0.1", **{"X-Forwarded-For": "198.51.100.6"})
    assert response.status_code == 302


def test_an_ipv6_client_counts_as_its_64_network(limits, db) -> None:
    for n in range(7):
        make_user(f"v{n}")
    for n in range(6):  # one host hopping over the addresses of its /64
        sign_in(f"v{n}", "guess", address=f"2001:db8:1:2::{n + 1:x}")
    response = sign_in("v6", "pw", address="2001:db8:1:2:ffff::1")
    assert response.status_code == 429 and "network address" in response.content.decode()
    assert sign_in("v6", "pw", address="2001:db8:1:3::1").status_code == 302  # the next /64 is someone else
