"""The state the site keeps on disk is private to its uid (the SQLite file with sessions, tokens and password hashes,
uploads such as suite zips with hidden data, the filesystem broker's messages), also where an older version left it
world-readable; `python -m workers.sandbox check` reports it. Real manage.py, Celery worker and check processes."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SAVE_AN_UPLOAD = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

connection.ensure_connection()
print(default_storage.path(default_storage.save("grading/suites/suite.zip", ContentFile(b"hidden answers"))))
"""


def site_env(var: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(var.parent),
        "COURSESITE_VAR_DIR": str(var),
        "CELERY_BROKER_URL": "filesystem://",
        "DEBUG": "1",
        "SECRET_KEY": "state-permissions-test",
        "DJANGO_SETTINGS_MODULE": "coursesite.settings",
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def check(var: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "workers.sandbox", "check"], cwd=REPO, env=site_env(var), capture_output=True, text=True
    ).stdout
    return json.loads(out)["state"]


def old_world_readable_state(var: Path) -> None:
    """What a start with the default umask left behind."""
    (var / "broker" / "queue").mkdir(parents=True)
    (var / "media").mkdir()
    (var / "db.sqlite3").touch()
    for path in (var, var / "broker", var / "broker" / "queue", var / "media"):
        path.chmod(0o755)  # noqa: S103 -- the old state under test
    (var / "db.sqlite3").chmod(0o644)  # noqa: S103


def test_manage_py_keeps_the_database_and_uploads_private_and_the_check_says_so(tmp_path: Path) -> None:
    var = tmp_path / "var"
    old_world_readable_state(var)
    before = check(var)
    assert before["private"] is False
    assert any("db.sqlite3" in warning for warning in before["warnings"]), before

    shell = [sys.executable, "manage.py", "shell", "-c", SAVE_AN_UPLOAD]
    uploaded = Path(
        subprocess.run(shell, cwd=REPO, env=site_env(var), capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )

    assert uploaded.read_bytes() == b"hidden answers"
    assert mode(uploaded) & 0o007 == 0 and mode(uploaded.parent) & 0o007 == 0
    assert mode(var / "db.sqlite3") == 0o600
    assert mode(var / "media") == 0o750
    assert mode(var / "broker") == 0o700
    assert mode(var) == 0o711  # traverse-only: the suite cache under it is reached by the judge and sandbox uids
    after = check(var)
    assert after == {"private": True, "modes": after["modes"], "warnings": []}, after


def test_a_celery_worker_keeps_the_broker_folder_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    old_world_readable_state(var)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "coursesite", "worker", "--pool", "solo", "-Q", "nothing-to-do"],
        cwd=REPO,
        env=site_env(var),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while mode(var / "broker") != 0o700 and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert mode(var / "broker") == 0o700
        assert mode(var / "db.sqlite3") == 0o600 and mode(var / "media") == 0o750
        assert all(mode(var / "broker" / name) == 0o700 for name in ("queue", "processed", "control"))
    finally:
        worker.send_signal(signal.SIGQUIT)
        worker.wait(timeout=30)
    assert os.stat(var).st_uid == os.geteuid()
