"""DEBUG is off unless asked for, and a start without DEBUG and without SECRET_KEY refuses with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = "import coursesite.settings as s; print('DEBUG', s.DEBUG, 'SSL', getattr(s, 'SECURE_SSL_REDIRECT', None))"


def settings_in_clean_env(**env: str) -> subprocess.CompletedProcess:
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "DATABASE_URL") if k in os.environ}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env={**keep, **env}, capture_output=True, text=True, timeout=60
    )


def test_debug_defaults_to_off() -> None:
    run = settings_in_clean_env(SECRET_KEY="a-test-secret")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["DEBUG", "False", "SSL", "True"]


def test_a_production_start_without_a_secret_key_refuses_clearly() -> None:
    run = settings_in_clean_env()
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "SECRET_KEY must be set" in run.stderr


def test_the_demo_asks_for_debug() -> None:
    run = settings_in_clean_env(DEBUG="1")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[:2] == ["DEBUG", "True"]
