"""A demo student signs in and sees assignment 1 on the dashboard."""

import datetime as dt

import pytest
from django.utils import timezone

from coursesite.demo import load_demo_course

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_demo_student_signs_in_and_sees_assignment_1(live_server, page, artifacts, monkeypatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass")
    load_demo_course(start=timezone.localdate() - dt.timedelta(days=10))

    sign_in(page, live_server.url, "student07", "demo-pass")

    assert page.url.endswith("/c/DD2424/")
    due = page.locator("section", has_text="Due next")
    assert "Assignment 1" in due.inner_text()
    assert "Assignment 4" not in page.content()  # not released yet
    page.screenshot(path=str(artifacts / "dashboard-student.png"), full_page=True)
