"""Fixtures (imported by tests/browser/test_sso_oidc.py): a real OpenID provider (panva/oidc-provider on node)
on 127.0.0.1 for the single sign-on tests, with a test client registered for the live server's callback and a
few university accounts."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sso import oidc
from tests.support import free_port, start_ready_server, stop_server

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
NODE = os.environ.get("NODE", shutil.which("node") or "/usr/bin/node")
NPM = os.environ.get("NPM", shutil.which("npm") or "/usr/bin/npm")

CLIENT_ID = "coursesite-test"
CLIENT_SECRET = "test-client-secret-0123456789"  # noqa: S105 (the test provider's own client)
# The university's accounts: `sub` is the provider's stable identifier; `login` what the person types there.
ACCOUNTS = {
    "u1alice00": {
        "login": "alice",
        "password": "alice-university-pw",
        "preferred_username": "alice",
        "email": "alice@kth.example",
        "name": "Alice Student",
    },
    "u1zed0000": {
        "login": "zed",
        "password": "zed-university-pw",
        "preferred_username": "zed",
        "email": "zed@kth.example",
        "name": "Zed Nobody",
    },
    # Eve chose "Alice Student" as her display name: names never match anyone.
    "u1eve0000": {
        "login": "eve",
        "password": "eve-university-pw",
        "preferred_username": "eve",
        "email": "eve@kth.example",
        "name": "Alice Student",
    },
    # A second person whose username claim is "alice" (a reused or mistyped username at the university).
    "u1alice99": {
        "login": "alice2",
        "password": "alice2-university-pw",
        "preferred_username": "alice",
        "email": "alice2@kth.example",
        "name": "Alicia Other",
    },
}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def password(self, login: str) -> str:
        return next(a["password"] for a in ACCOUNTS.values() if a["login"] == login)


@pytest.fixture(scope="session")
def provider_installed() -> Path:
    """`npm ci` of the provider's locked dependencies, once (the test run installs them itself)."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund", "--prefix", str(PROVIDER_DIR)],
            check=True,
            timeout=300,
        )
    return PROVIDER_DIR


@pytest.fixture(scope="session")
def oidc_provider(provider_installed: Path, live_server) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = dict(
        os.environ,
        OIDC_PORT=str(port),
        OIDC_CLIENT=json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{live_server.url}/sso/oidc/callback/"],
            }
        ),
        OIDC_ACCOUNTS=json.dumps(ACCOUNTS),
    )
    process, issuer = start_ready_server(
        [NODE, "provider.js"], cwd=str(provider_installed), env=env, what="the OpenID provider", quiet=True
    )
    yield Provider(issuer=issuer, process=process)
    stop_server(process)


@pytest.fixture
def sso_on(settings, oidc_provider: Provider) -> Provider:  # type: ignore[no-untyped-def]
    """Single sign-on configured as an administrator would, from the issuer alone (discovery)."""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_DISPLAY_NAME = "KTH"
    oidc._metadata_cache.clear()
    return oidc_provider
