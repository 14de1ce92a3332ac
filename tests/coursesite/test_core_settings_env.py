"""Settings from the environment: a value the reader does not understand is refused with the variable, the value
and what is accepted (never read as false); the grading knobs have one precedence (the Django setting, whose
default comes from the environment variable)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from coursesite.env import envbool, envfloat, envint, envlist
from workers import conf

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("word", ["1", "true", "True", "YES", "on", " On "])
def test_envbool_reads_the_words_for_yes(monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    monkeypatch.setenv("COURSESITE_FLAG", word)
    assert envbool("COURSESITE_FLAG", False) is True


@pytest.mark.parametrize("word", ["0", "false", "FALSE", "no", "Off"])
def test_envbool_reads_the_words_for_no(monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    monkeypatch.setenv("COURSESITE_FLAG", word)
    assert envbool("COURSESITE_FLAG", True) is False


def test_envbool_unset_or_empty_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSESITE_FLAG", raising=False)
    assert envbool("COURSESITE_FLAG", True) is True
    monkeypatch.setenv("COURSESITE_FLAG", "  ")
    assert envbool("COURSESITE_FLAG", True) is True
    assert envbool("COURSESITE_FLAG", False) is False


@pytest.mark.parametrize("typo", ["ture", "y", "2", "enabled", "off!"])
def test_envbool_refuses_a_typo_instead_of_reading_it_as_false(monkeypatch: pytest.MonkeyPatch, typo: str) -> None:
    monkeypatch.setenv("EMAIL_USE_TLS", typo)
    with pytest.raises(ImproperlyConfigured) as refused:
        envbool("EMAIL_USE_TLS", False)
    message = str(refused.value)
    assert f"EMAIL_USE_TLS={typo!r}" in message
    assert "1/0, true/false, yes/no or on/off" in message


def test_envint_reads_digits_and_refuses_anything_else_with_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_PORT", " 587 ")
    assert envint("EMAIL_PORT", 25) == 587
    monkeypatch.setenv("EMAIL_PORT", "")
    assert envint("EMAIL_PORT", 25) == 25
    monkeypatch.setenv("EMAIL_PORT", "5 87")
    with pytest.raises(ImproperlyConfigured, match=r"EMAIL_PORT='5 87' is not a whole number"):
        envint("EMAIL_PORT", 25)
    monkeypatch.setenv("EMAIL_PORT", "2.5")
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        envint("EMAIL_PORT", 25)


def test_envfloat_takes_decimals_and_refuses_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSESITE_GRADING_HEARTBEAT_S", "0.5")
    assert envfloat("COURSESITE_GRADING_HEARTBEAT_S", 5) == 0.5
    monkeypatch.setenv("COURSESITE_GRADING_HEARTBEAT_S", "5s")
    with pytest.raises(ImproperlyConfigured, match=r"COURSESITE_GRADING_HEARTBEAT_S='5s' is not a number"):
        envfloat("COURSESITE_GRADING_HEARTBEAT_S", 5)


def test_envlist_drops_empty_items_and_empty_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example, ,b.example,")
    assert envlist("ALLOWED_HOSTS", "localhost") == ["a.example", "b.example"]
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    assert envlist("ALLOWED_HOSTS", "localhost,127.0.0.1") == ["localhost", "127.0.0.1"]


def _settings_run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_typo_in_a_boolean_stops_the_site_with_the_variable_named() -> None:
    run = _settings_run("print('started')", EMAIL_USE_TLS="ture")
    assert run.returncode != 0 and "started" not in run.stdout
    assert "ImproperlyConfigured: EMAIL_USE_TLS='ture' is not a yes or no" in run.stderr


def test_the_grading_knobs_default_from_their_environment_variables() -> None:
    code = (
        "from workers import conf; "
        "print(conf.max_tries(), conf.heartbeat_s(), conf.gpu_index(), conf.suite_cache_dir(), conf.stale_after_s())"
    )
    run = _settings_run(
        code,
        COURSESITE_GRADING_MAX_TRIES="7",
        COURSESITE_GRADING_HEARTBEAT_S="0.5",
        COURSESITE_GPU_INDEX="2",
        COURSESITE_SUITE_CACHE="/srv/suites",
        COURSESITE_GRADING_STALE_AFTER_S="",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["7", "0.5", "2", "/srv/suites", "60.0"]


def test_a_django_setting_wins_over_the_environment_variable(settings, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COURSESITE_GRADING_MAX_TRIES", "9")
    monkeypatch.setenv("COURSESITE_GPU_INDEX", "3")
    monkeypatch.setenv("COURSESITE_SUITE_CACHE", "/elsewhere")
    settings.GRADING_MAX_TRIES = 1
    settings.GRADING_RETRY_DELAY_S = 0
    settings.GRADING_GPU_INDEX = 1
    settings.GRADING_SUITE_CACHE = None
    settings.VAR_DIR = tmp_path
    assert conf.max_tries() == 1
    assert conf.retry_delay_s() == 0.0
    assert conf.gpu_index() == 1
    assert conf.suite_cache_dir() == tmp_path / "suite-cache"  # unset: under the state folder, never the env's
