"""The student's process environment: how many BLAS/OpenMP threads it gets."""

from __future__ import annotations

import os

import pytest

from workers.judge.threads import THREADS_VARIABLE, student_threads


def test_the_student_gets_the_hosts_cores_up_to_four_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert student_threads() == max(1, min(os.cpu_count() or 1, 4))


@pytest.mark.parametrize("setting", ["1", "3", "64"])
def test_a_host_running_several_jobs_sets_fewer(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv(THREADS_VARIABLE, setting)
    assert student_threads() == int(setting)


@pytest.mark.parametrize("setting", ["0", "-2", "65", "two", "1.5", ""])
def test_a_setting_out_of_range_is_ignored(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv(THREADS_VARIABLE, setting)
    assert student_threads() == max(1, min(os.cpu_count() or 1, 4))
