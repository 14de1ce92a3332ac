"""The examiner reads an assignment's analytics and runs a similarity check (a real Celery worker) in Chromium,
on a desktop and on a 390 px phone; a student cannot open either page."""

import pytest
from playwright.sync_api import expect

from coursesite.models import Course, Role, User
from insight.models import SimilarityCheck
from tests.insight.builders import build_class
from tests.insight.test_insight_similarity import _submit
from tests.support import make_member, wait_for
from tests.workers.workers_support import purge_grading_queues

from .conftest import sign_in

pytestmark = pytest.mark.browser


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_analytics_and_similarity_on_desktop_and_phone(
    live_server, page, new_page, artifacts, celery_worker, course: Course, examiner: User, student: User, assignment
) -> None:  # type: ignore[no-untyped-def]
    from tests.insight import cohort

    build_class(course, assignment, 12)
    _submit(assignment, make_member(course, "gina", Role.STUDENT), {"a1.py": cohort.copied_one()})
    _submit(assignment, make_member(course, "hugo", Role.STUDENT), {"a1.py": cohort.copied_two()})
    for name in ("carol", "dave"):
        _submit(assignment, make_member(course, name, Role.STUDENT), {"a1.py": cohort.independent(name)})

    sign_in(page, live_server.url, "examiner")
    page.click("header nav >> text=Insight")
    page.get_by_role("link", name="Analytics").click()
    expect(page.locator("main")).to_contain_text("Pass rate per test")  # the analytics page has loaded
    main = page.inner_text("main")
    assert "not submitted" in main and "Pass rate per test" in main and "test_minibatch_gd_benchmark" in main
    assert page.locator("svg.chart").count() == 4
    page.screenshot(path=str(artifacts / "insight-analytics-desktop.png"), full_page=True)

    # the reminder: a confirmation step, then sent
    page.click("text=E-mail everyone who has not submitted")
    page.click("text=Review the recipients")
    assert "s0009" in page.inner_text("main")
    page.click("button[name=confirm]")
    assert "Reminder sent to 2 students" in page.inner_text(".messages")

    purge_grading_queues()
    celery_worker("cpu")
    page.get_by_role("link", name="Code similarity").first.click()
    page.click("text=Check every student's latest code")
    assert "queued" in page.inner_text(".messages")
    ended = (SimilarityCheck.State.FINISHED, SimilarityCheck.State.ERROR)
    wait_for(lambda: SimilarityCheck.objects.filter(state__in=ended).exists(), timeout=120)
    # the page polls while the check runs and shows the result without a reload
    page.wait_for_selector("#result tbody tr >> text=gina", timeout=30_000)
    # the bulk-built students' code files do not exist: they are named, the others are compared
    assert "could not be read: s0000" in page.inner_text("#result")
    rows = page.locator("#result tbody tr")
    first = rows.nth(0).inner_text()
    assert "gina" in first and "hugo" in first
    page.screenshot(path=str(artifacts / "insight-similarity-desktop.png"), full_page=True)
    rows.nth(0).locator("a").first.click()
    assert page.locator("mark").count() > 0
    page.check("input[value=fine]")
    page.fill("textarea[name=note]", "Asked both: they worked together on the handout only")
    page.click("text=Save decision")
    assert "Decision saved" in page.inner_text(".messages")
    page.screenshot(path=str(artifacts / "insight-pair-desktop.png"), full_page=True)

    phone = new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, live_server.url, "examiner")
    for path, name in (
        ("/c/DD2424/insight/assignments/1/", "analytics"),
        ("/c/DD2424/insight/assignments/1/similarity/", "similarity"),
    ):
        phone.goto(f"{live_server.url}{path}")
        assert _fits(phone), name
        phone.screenshot(path=str(artifacts / f"insight-{name}-phone.png"), full_page=True)
    phone.click("#result tbody tr >> nth=0 >> a")
    assert _fits(phone)
    phone.screenshot(path=str(artifacts / "insight-pair-phone.png"), full_page=True)

    pupil = new_page()
    sign_in(pupil, live_server.url, "alice")
    assert "Insight" not in pupil.inner_text("header")
    response = pupil.goto(f"{live_server.url}/c/DD2424/insight/assignments/1/similarity/")
    assert response is not None and response.status == 403
