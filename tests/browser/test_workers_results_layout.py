"""Students' results read at 1280 px and on a 390 px phone: messages wrap, each test is a block on the phone, the
summary comes first; the examiner's autograder page (versions, trials) reads on the phone too."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page

from assignments import services
from coursesite.models import Role
from coursesite.uploads import minimal_pdf
from tests.support import make_member
from tests.workers.workers_support import recorded_job

from .conftest import sign_in

pytestmark = pytest.mark.browser

LONG = (
    "ComputeGradients returned grad_W with the wrong values: relative error 0.4 > 1e-6 at entries "
    + ", ".join(f"[{i}, {i * 7 % 3072}]" for i in range(60))
    + "\nexpected="
    + "0.123456789" * 40  # one unbroken run, wider than any screen
)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_results_wrap_on_a_laptop_and_become_blocks_on_a_phone(
    live_server, page, course, assignment, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    shots = Path("/tmp/shots-suites")
    shots.mkdir(exist_ok=True)
    alice = make_member(course, "alice", Role.STUDENT, "Alice Student")
    submission = services.submission_create(
        assignment=assignment,
        student=alice,
        code=[SimpleUploadedFile("assignment1.py", b"def f():\n    return 1\n")],
        report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
    )
    slow, numerical = "the call did not return within 60 s", "the_numerical_gradient"
    tests = [
        ("test_a1.py::test_load_batch", "passed", "", "", 2, 2, 0.4),
        (f"test_a1.py::test_compute_gradients_against_{numerical}", "failed", "assertion failed", LONG, 0, 4, 3),
        ("test_a1.py::test_minibatch_gd_benchmark", "timeout", "timed out", slow, 0, 4, 60.0),
    ]  # fmt: skip
    recorded_job(submission, tests=tests)
    sign_in(page, live_server.url, "alice")
    url = f"{live_server.url}/c/DD2424/assignments/1/submissions/{submission.pk}/"
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.locator(".grading-job").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"results-{name}.png"), full_page=True)
        _no_sideways_scroll(page)
        message = page.locator("pre.grading-message").first
        assert message.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # wrapped, not cut off at the edge
        summary = page.locator(".grading-summary").bounding_box()
        table = page.locator(".grading-tests").bounding_box()
        assert summary and table and summary["y"] < table["y"]
        display = page.locator(".grading-tests tr").first.evaluate("e => getComputedStyle(e).display")
        assert display == ("block" if name == "phone" else "table-row")
        if name == "phone":  # each test a block the width of the card, its name and message inside
            row = page.locator("tr[data-test*=test_compute_gradients]").bounding_box()
            card = page.locator(".grading-card").bounding_box()
            assert row and card and row["width"] <= card["width"] and row["x"] >= card["x"]
    # A second submission: the list shows each one's autograder score, and the first can be made to count.
    services.submission_create(
        assignment=assignment,
        student=alice,
        code=[SimpleUploadedFile("assignment1.py", b"def f():\n    return 2\n")],
        report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
    )
    page.goto(f"{live_server.url}/c/DD2424/assignments/1/")
    page.screenshot(path=str(shots / "submissions-phone.png"), full_page=True)
    _no_sideways_scroll(page)
    row = page.locator(f"tr[data-submission='{submission.pk}']")
    assert "2 / 10" in row.inner_text()
    button = row.get_by_role("button", name="Make this the one that counts").bounding_box()
    assert button and button["x"] + button["width"] <= 390
    row.get_by_role("button", name="Make this the one that counts").click()
    page.wait_for_load_state()
    assert "now counts" in page.locator(".messages").inner_text()
    assert "counts" in page.locator(f"tr[data-submission='{submission.pk}']").get_attribute("class")


def test_the_examiner_sees_which_version_students_get_and_trials_by_file_on_a_phone(
    live_server, page, course, assignment, examiner
) -> None:
    from workers.models import GradingJob, Suite

    live = Suite.objects.create(assignment=assignment, version=1, archive="s/1.zip", sha256="1" * 64, name="A1")
    draft = Suite.objects.create(
        assignment=assignment, version=2, archive="s/2.zip", sha256="2" * 64, name="A1", is_active=False
    )
    GradingJob.objects.create(suite=draft, trigger="trial", trial_name="wrong_gradients.py", state="finished",
                              outcome="failed", score=3, max_score=10)  # fmt: skip
    sign_in(page, live_server.url, examiner.username)
    shots = Path("/tmp/shots-suites")
    shots.mkdir(exist_ok=True)
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/c/DD2424/workers/assignments/1/")
        page.screenshot(path=str(shots / f"autograder-{name}.png"), full_page=True)
        _no_sideways_scroll(page)
        assert page.locator("#suite-live").inner_text().startswith(f"Students are graded by version {live.version}.")
        assert "Version 2 is a draft" in page.locator("#suite-live").inner_text()
        assert page.locator(".trial-title").inner_text().startswith("Trial of wrong_gradients.py with v2 (draft)")
        assert page.locator("select[name=version] option:checked").inner_text().startswith("v2 (draft")
        button = page.get_by_role("button", name="Make v2 live").bounding_box()
        assert button and button["x"] + button["width"] <= width  # reachable without sideways scrolling
