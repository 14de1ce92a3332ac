"""The worker's suite cache: under its state folder and owned by it (not a shared /tmp path another local user
could make first), the tests and hidden data readable by the judge's group only, public_data by every uid (the
sandbox's uids read it). Real storage, PostgreSQL and the worker's fetch."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from workers import tasks
from workers.judge.launcher import DEFAULT_JUDGE_UID

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(os.geteuid() != 0, reason="the judge's group needs root")]


def test_the_suite_cache_is_the_workers_and_the_judges_alone(quick_suite, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path / "var"
    root = tasks.fetch_suite(quick_suite)
    cache = tmp_path / "var" / "suite-cache"
    assert root.is_relative_to(cache)
    assert os.stat(cache).st_uid == os.geteuid() and stat.S_IMODE(os.stat(cache).st_mode) == 0o711
    for path in [*(root / "tests").rglob("*"), *(root / "hidden_data").rglob("*"), root / "suite.toml"]:
        st = path.lstat()
        assert st.st_gid == DEFAULT_JUDGE_UID and st.st_mode & 0o004 == 0, path  # the judge's group; no slot uid
        assert st.st_mode & 0o040, path
    for path in (root / "public_data").rglob("*"):
        assert path.lstat().st_mode & 0o004, path


def test_a_suite_cache_made_by_someone_else_is_refused(quick_suite, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path / "var"
    cache = tmp_path / "var" / "suite-cache"
    cache.mkdir(parents=True)
    os.chown(cache, 4242, 4242)  # another local user got there first
    with pytest.raises(RuntimeError, match="not a folder owned by the worker"):
        tasks.fetch_suite(quick_suite)
