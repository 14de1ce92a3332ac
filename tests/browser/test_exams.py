"""A student votes on the exam date, the examiner picks it, the questions appear at 10:00, the student hands in,
and after the deadline the upload is refused (the exam clock drives the live server: same process, another thread)."""

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest

from coursesite.models import Course, Role
from coursesite.uploads import minimal_pdf
from exams import clock as exam_clock
from exams import services
from tests.support import make_member

from .conftest import sign_in

pytestmark = pytest.mark.browser
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


@pytest.fixture
def exam_clock_reset() -> Iterator[None]:
    yield
    exam_clock.set_now(None)


def _pdf_file(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf(text)}


def test_vote_pick_release_hand_in_and_refusal_after_the_deadline(
    live_server, page, new_page, artifacts, settings, tmp_path, exam_clock_reset
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    course = Course.objects.create(
        code="DD2424",
        name="Deep Learning in Data Science",
        exam_poll_opens=local(2026, 4, 20, 9),
        exam_poll_closes=local(2026, 5, 2, 23, 59),
        exam_period_start=dt.date(2026, 5, 25),
        exam_period_end=dt.date(2026, 6, 5),
    )
    make_member(course, "examiner", Role.INSTRUCTOR, "Ada Examiner")
    alice = make_member(course, "alice", Role.STUDENT, "Alice Student")
    exam_clock.set_now(local(2026, 4, 10, 12))
    services.module_choose(course=course, student=alice, choice="exam")

    # The student answers the poll.
    exam_clock.set_now(local(2026, 4, 25, 12))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/c/DD2424/exams/")
    page.get_by_label("Yes for Mon 25 May").check()
    page.get_by_label("No for Tue 26 May").check()
    page.get_by_role("button", name="Save my answers").click()
    assert "Your answers to the date poll are saved" in page.inner_text(".messages")

    # The examiner reads the table, picks 25 May and uploads the questions.
    exam_clock.set_now(local(2026, 5, 3, 9))
    examiner = new_page()
    sign_in(examiner, live_server.url, "examiner")
    examiner.goto(f"{live_server.url}/c/DD2424/exams/")
    assert "Alice Student" in examiner.inner_text("#poll-table")
    examiner.select_option("#id_days", ["2026-05-25"])
    examiner.fill("#id_deadline_time", "15:00")
    examiner.get_by_role("button", name="Pick and tell the students").click()
    assert "Exam date picked: Mon 25 May" in examiner.inner_text(".messages")
    examiner.set_input_files("input[name=questions]", _pdf_file("questions.pdf", "Part I and Part II"))
    examiner.get_by_role("button", name="Save session").click()
    assert "Session of Mon 25 May saved" in examiner.inner_text(".messages")

    # A second before 10:00 on the day there is nothing to open; at 10:00 the questions are there.
    exam_clock.set_now(local(2026, 5, 25, 9, 59, 59))
    page.goto(f"{live_server.url}/c/DD2424/exams/")
    assert page.locator("#questions-link").count() == 0
    assert "The questions are published here at Mon 25 May 2026, 10:00" in page.inner_text("main")
    exam_clock.set_now(local(2026, 5, 25, 10))
    page.reload()
    link = page.locator("#questions-link")
    assert link.is_visible()
    questions = page.request.get(live_server.url + link.get_attribute("href"))
    assert questions.status == 200 and questions.body().startswith(b"%PDF-")

    # The student hands in before the deadline.
    exam_clock.set_now(local(2026, 5, 25, 14, 30))
    page.reload()
    page.set_input_files("#answer-file", _pdf_file("my-answers.pdf", "My answers"))
    page.get_by_role("button", name="Hand in").click()
    assert "Your answers are handed in" in page.inner_text(".messages")
    assert "handed in" in page.inner_text("main")

    # The form was open when the deadline came; the upload is refused and says why.
    exam_clock.set_now(local(2026, 5, 25, 14, 59, 50))
    page.reload()
    page.set_input_files("#answer-file", _pdf_file("my-answers-v2.pdf", "Too late"))
    exam_clock.set_now(local(2026, 5, 25, 15))
    page.get_by_role("button", name="Hand in").click()
    alert = page.get_by_role("alert").inner_text()
    assert "The deadline for exam answers was Mon 25 May 2026, 15:00 CEST" in alert
    page.screenshot(path=str(artifacts / "exam-upload-refused-after-deadline.png"), full_page=True)
