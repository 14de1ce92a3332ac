"""A TA marks the rubric, comments on a code line and on a place of the PDF, saves and opens the next by keyboard;
after the release the student sees the marked rubric and both comments in place."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assignments import services as assignment_services
from assignments.models import Assignment, Review
from coursesite.models import Course, Role
from coursesite.uploads import minimal_pdf
from rubrics import services
from rubrics.models import InlineComment, Kind, Rule
from tests.support import make_member

from .conftest import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-rubric")
CODE = b"import numpy as np\n\n\ndef EvaluateClassifier(X, W, b):\n    return W @ X + b\n"


@pytest.fixture(autouse=True, scope="module")
def pdfjs_installed() -> None:
    """PDF.js from the lock file, as `make test` installs it (idempotent; the run installs it itself when missing)."""
    subprocess.run([str(Path(__file__).parents[2] / "scripts/pdfjs.sh")], check=True, timeout=300)


def _shots(page, name: str, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # the layout settles (no assertion depends on it)
        for folder in (SHOTS, artifacts):
            page.screenshot(path=str(folder / f"rubrics-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{name} at {width}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_ta_marks_and_comments_saves_and_opens_the_next_and_the_student_sees_it_in_place(
    live_server, page, new_page, artifacts, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    course = Course.objects.create(code="DD2424", name="Deep Learning in Data Science")
    examiner = make_member(course, "examiner", Role.INSTRUCTOR, "Ada Examiner")
    alice = make_member(course, "alice", Role.STUDENT, "Alice Student")
    bob = make_member(course, "bob", Role.STUDENT, "Bob Student")
    make_member(course, "tara", Role.TA, "Tara Assistant")
    now = timezone.now()
    assignment = Assignment.objects.create(
        course=course,
        number=1,
        title="One-layer softmax classifier",
        released_at=now - dt.timedelta(days=1),
        deadline_at=now + dt.timedelta(days=7),
        bonus_max=2,
    )
    rubric = services.rubric_save(
        assignment=assignment, by=examiner, rule=Rule.POINTS, pass_points=6, bonus_from=6, bonus_step=2
    )
    gradients = services.criterion_save(
        rubric=rubric, by=examiner, title="Gradients checked numerically", kind=Kind.PASS_FAIL
    )
    report = services.criterion_save(
        rubric=rubric, by=examiner, title="Report: curves", kind=Kind.POINTS, max_points=10, canned=["Label the axes."]
    )
    first, second = (
        assignment_services.submission_create(
            assignment=assignment,
            student=student,
            code=[SimpleUploadedFile("assignment1.py", CODE)],
            report=SimpleUploadedFile("report.pdf", minimal_pdf("Assignment 1 report")),
        )
        for student in (alice, bob)
    )

    ta = new_page()
    sign_in(ta, live_server.url, "tara")
    ta.goto(f"{live_server.url}/c/DD2424/assignments/queue/")
    ta.keyboard.press("n")  # claim the next and open it
    ta.wait_for_url(f"**/assignments/review/{first.pk}/")
    assert ta.locator(".claimed-by").inner_text() == "Tara Assistant"

    ta.click("table.code-lines a[data-line='5']")
    ta.fill("tr.line-form textarea", "Use <b>np.dot</b> & check shapes.")
    ta.click("tr.line-form button[type=submit]")
    ta.locator("tr.inline-comment").wait_for()

    pdf_page = ta.locator(".pdf-page[data-page='1']")
    pdf_page.locator("canvas").wait_for()
    box = pdf_page.bounding_box()
    pdf_page.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.5})
    ta.fill(".pin-form textarea", "The caption is missing.")
    ta.click(".pin-form button[type=submit]")
    ta.locator(".pdf-page .pin").wait_for()

    ta.check(f"input[name=c{gradients.pk}][value='1']")
    ta.fill(f"input[name=c{report.pk}]", "9")
    ta.check(f"input[name=canned{report.pk}]")
    ta.fill("textarea[name=feedback]", "Good work.")
    _shots(ta, "review-ta", artifacts)
    ta.focus("textarea[name=feedback]")
    ta.keyboard.press("Control+Enter")  # save and open the next
    ta.wait_for_url(f"**/assignments/review/{second.pk}/")
    assert "Review saved" in ta.content()
    assert ta.locator(".claimed-by").inner_text() == "Tara Assistant"
    review = Review.objects.get(submission=first)
    assert (review.passed, review.bonus) == (True, 1)
    place = InlineComment.objects.get(submission=first, page=1)
    assert abs(place.x - 0.25) < 0.02 and abs(place.y - 0.5) < 0.02
    ta.keyboard.press("k")  # back to the previous one: reviewed, the form is gone
    ta.wait_for_url(f"**/assignments/review/{first.pk}/")
    assert ta.locator("form.rubric-form").count() == 0

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/c/DD2424/assignments/1/submissions/{first.pk}/")
    rows = page.locator(".rubric-marked tbody tr")
    assert rows.nth(0).locator(".mark").inner_text() == "Pass"
    assert rows.nth(1).locator(".mark").inner_text() == "9 / 10"
    assert "Label the axes." in rows.nth(1).inner_text()
    comment = page.locator("table.code-lines tr.inline-comment")
    assert comment.locator(".comment-box p").inner_text() == "Use <b>np.dot</b> & check shapes."
    assert page.locator("table.code-lines tr.commented td.ln").inner_text() == "5"
    page.locator(".pdf-page[data-page='1'] .pin").wait_for()
    pin = page.locator(".pdf-page .pin")
    assert pin.get_attribute("aria-label") == "Comment 1: The caption is missing."
    assert page.locator("table.code-lines a[data-line]").count() == 0  # the student cannot comment
    _shots(page, "student", artifacts)
