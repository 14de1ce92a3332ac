"""Fixtures of the grading tests: real results of the other apps, written through their models."""

import datetime as dt

import pytest

from coursesite.models import Course, User

from .grading_results import ResultsBuilder


@pytest.fixture
def results(course: Course, examiner: User) -> ResultsBuilder:
    return ResultsBuilder(course, examiner)


@pytest.fixture
def day() -> dt.date:
    return dt.date(2026, 5, 28)
