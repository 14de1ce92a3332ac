"""A student submits in the browser and watches the autograder's results arrive without reloading the page."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from assignments.models import Assignment
from coursesite.models import Role
from coursesite.uploads import minimal_pdf
from tests.support import make_member
from tests.workers.workers_support import SLOW, purge_grading_queues, quick_suite_folder
from workers.archives import zip_folder
from workers.services import suite_activate, suite_upload

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_student_sees_the_queue_then_each_test_then_the_score_without_reloading(
    live_server, page, artifacts, course, celery_worker, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    purge_grading_queues()
    examiner = make_member(course, "examiner", Role.INSTRUCTOR)
    make_member(course, "alice", Role.STUDENT, "Alice Student")
    now = timezone.now()
    assignment = Assignment.objects.create(
        course=course,
        number=1,
        title="Softmax",
        released_at=now - dt.timedelta(days=1),
        deadline_at=now + dt.timedelta(days=3),
    )
    zipped = zip_folder(quick_suite_folder(tmp_path))
    draft = suite_upload(assignment=assignment, upload=SimpleUploadedFile("s.zip", zipped), by=examiner, runs_per_day=3)
    suite_activate(suite=draft, by=examiner)

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/c/DD2424/assignments/1/")
    expect(page.locator(".runs-left")).to_contain_text("3 of 3")
    (tmp_path / "assignment1.py").write_bytes(SLOW)  # each call sleeps: the tests arrive one by one
    (tmp_path / "report.pdf").write_bytes(minimal_pdf("Report"))
    page.set_input_files("#id_code", str(tmp_path / "assignment1.py"))
    page.set_input_files("#id_report", str(tmp_path / "report.pdf"))
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/submissions/\d+/$"))
    expect(page.locator(".grading-job")).to_contain_text("queued")
    expect(page.locator(".grading-delayed")).to_contain_text("Grading is delayed")  # no worker is alive yet
    page.screenshot(path=str(artifacts / "workers-live-delayed.png"), full_page=True)
    url = page.url

    celery_worker("cpu", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    expect(page.locator(".grading-job[data-state=running]")).to_be_visible(timeout=60_000)
    expect(page.locator(".grading-running")).to_contain_text(re.compile(r"Test \d of 3 is running \(\d+ s so far\)"))
    announce = page.locator("[role=status][aria-live=polite]")
    expect(announce).to_have_text("")  # nothing announced while waiting
    expect(page.locator("tr[data-test*=test_cost_visible]")).to_be_visible(timeout=60_000)
    expect(page.locator(".grading-score")).to_have_text("Score 6 / 6", timeout=60_000)
    expect(announce).to_have_text("Autograder results are in: score 6 of 6, passed.")  # read out when they arrive
    assert page.url == url  # no reload: the conditional poll swapped the fragment
    assert page.locator("tr[data-test*=test_cost_secret]").count() == 0
    expect(page.locator(".grading-figures img")).to_be_visible()
    page.screenshot(path=str(artifacts / "workers-live-result.png"), full_page=True)


def test_a_student_far_back_in_a_long_queue_reads_the_position_in_tens_and_the_page_polls_calmly(
    live_server, page, new_page, artifacts, course, settings, tmp_path
) -> None:
    """Twenty-three first runs ahead and one slot: "about 30", a start some twenty minutes off, rounded to five, and
    poll.js waits the server's 30 s (X-Poll-After) instead of asking at 1, 2.5 and 4.75 s."""
    from assignments import services as submissions
    from workers import services
    from workers.models import GradingJob

    settings.MEDIA_ROOT = tmp_path / "media"
    purge_grading_queues()
    examiner = make_member(course, "examiner", Role.INSTRUCTOR)
    now = timezone.now()
    assignment = Assignment.objects.create(
        course=course, number=1, title="Softmax", released_at=now - dt.timedelta(days=1),
        deadline_at=now + dt.timedelta(days=3),
    )  # fmt: skip
    draft = suite_upload(
        assignment=assignment, upload=SimpleUploadedFile("s.zip", zip_folder(quick_suite_folder(tmp_path))),
        by=examiner, runs_per_day=3,
    )  # fmt: skip
    suite_activate(suite=draft, by=examiner)

    def submit(username: str) -> GradingJob:
        student = make_member(course, username, Role.STUDENT, f"{username.title()} Student")
        submission = submissions.submission_create(
            assignment=assignment, student=student,
            code=[SimpleUploadedFile("assignment1.py", SLOW, content_type="text/x-python")],
            report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
        )  # fmt: skip
        return GradingJob.objects.get(submission=submission)

    for n in range(23):
        submit(f"early{n:02d}")
    mine = submit("alice")
    services.worker_pulse(hostname="w1@host", queues=["cpu", "cpu-again"], slots=1)

    asked: list[str] = []
    page.on(
        "request", lambda request: asked.append(request.url) if f"/workers/jobs/{mine.pk}/" in request.url else None
    )
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/c/DD2424/assignments/1/submissions/{mine.submission_id}/")
    expect(page.locator(".queue-position")).to_have_text("about 30")
    expect(page.locator(".grading-estimate")).to_contain_text("Grading should start at about")
    assert page.locator(".grading-job").get_attribute("data-poll-after") == "30"
    page.wait_for_timeout(5_000)
    assert asked == []  # without the server's word, poll.js would have asked three times by now
    page.screenshot(path=str(artifacts / "workers-queue-far-laptop.png"), full_page=True)

    phone = new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, live_server.url, "alice")
    phone.goto(f"{live_server.url}/c/DD2424/assignments/1/submissions/{mine.submission_id}/")
    expect(phone.locator(".queue-position")).to_have_text("about 30")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(artifacts / "workers-queue-far-phone.png"), full_page=True)
