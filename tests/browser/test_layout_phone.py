"""Every main page of each role reads at 1280 px and on a 390 px phone: no sideways scrolling, every button within
the screen, tables as labelled blocks, and a menu (no JavaScript needed) that shows every section."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page

from assignments.models import Submission
from coursesite.demo import load_demo_course

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
C = "/c/DD2424"
STUDENT_PAGES = ["/", "/assignments/", "/assignments/1/", "/projects/", "/projects/help/", "/projects/orals/"]
STUDENT_PAGES += ["/exams/", "/grades/", "/calendar/"]
TA_PAGES = ["/", "/assignments/", "/assignments/queue/", "/assignments/1/", "/projects/", "/projects/help/"]
TA_PAGES += ["/exams/", "/grades/", "/settings/"]
EXAMINER_PAGES = ["/", "/assignments/1/", "/assignments/progress/", "/projects/", "/projects/proposals/"]
EXAMINER_PAGES += ["/projects/orals/", "/exams/", "/exams/marking/", "/grades/", "/settings/", "/roster/", "/audit/"]
EXAMINER_PAGES += ["/announcements/"]
PERSONAL_PAGES = ["/notifications/"]  # outside the course: every role has it

# What overflows sideways, and which buttons, links and fields lie (partly) off the screen.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const off = [...document.querySelectorAll('main button, main .button, main input, main select, main textarea')]
    .filter(e => e.offsetParent !== null && e.type !== 'hidden')
    .filter(e => { const r = e.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
    .map(e => (e.textContent || e.name || e.type).trim().slice(0, 30));
  const wraps = [...document.querySelectorAll('main .table-wrap')]
    .filter(w => w.offsetParent !== null && !w.querySelector('table.grading-tests'))
    .filter(w => w.scrollWidth > w.clientWidth + 1)
    .length;
  return {scroll: document.documentElement.scrollWidth, width, off, wraps};
}"""


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("COURSESITE_SHOTS")  # set it to look at the pages (e.g. /tmp/shots)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sign_in(
    browser: Browser, url: str, username: str, viewport: dict, javascript: bool = True, password: str = "demo-pass"
) -> Page:
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def demo(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass")
    load_demo_course(start=timezone.localdate() - dt.timedelta(days=40))


def test_every_main_page_of_each_role_fits_a_phone_and_a_laptop(live_server, browser, demo) -> None:
    submission = Submission.objects.filter(student__username="student01").order_by("-submitted_at").first()
    assert submission is not None
    student_pages = [*STUDENT_PAGES, f"/assignments/{submission.assignment.number}/submissions/{submission.pk}/"]
    ta_pages = [*TA_PAGES, f"/assignments/review/{submission.pk}/"]
    student_pages = [C + path for path in student_pages] + PERSONAL_PAGES
    ta_pages = [C + path for path in ta_pages]
    examiner_pages = [C + path for path in EXAMINER_PAGES]
    problems = []
    for username, pages in (("student01", student_pages), ("ta1", ta_pages), ("examiner", examiner_pages)):
        page = _sign_in(browser, live_server.url, username, PHONE)
        for path in pages:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (username, path)
            for viewport in (PHONE, LAPTOP):  # the same page, laid out again at each width
                page.set_viewport_size(viewport)
                measured = page.evaluate(MEASURE)
                if measured["scroll"] > measured["width"] or measured["off"] or measured["wraps"]:
                    problems.append((username, viewport["width"], path, measured))
                _shot(page, f"{username}-{viewport['width']}-{path.strip('/').replace('/', '_')}")
            page.set_viewport_size(PHONE)
        page.context.close()
    print("\n".join(map(str, problems)))
    assert problems == []


def _sign_in_as(browser: Browser, url: str, user, viewport: dict, javascript: bool = True) -> Page:  # type: ignore[no-untyped-def]
    user.set_password("pw")
    user.save()
    return _sign_in(browser, url, user.username, viewport, javascript, password="pw")


def test_on_a_phone_the_menu_shows_every_section_without_javascript(live_server, browser, course, examiner) -> None:
    page = _sign_in_as(browser, live_server.url, examiner, PHONE, javascript=False)
    page.goto(f"{live_server.url}{C}/")
    links = page.locator("#course-nav a")
    labels = links.all_inner_texts()
    assert {"Dashboard", "Assignments", "Project", "Help sessions", "Exam", "Grades", "Course dates"} <= set(labels)
    assert not links.first.is_visible()  # folded away until asked for
    menu = page.get_by_text("Menu")
    assert menu.bounding_box()["x"] + menu.bounding_box()["width"] <= PHONE["width"]
    menu.click()
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert links.nth(index).is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "menu-390-open")
    page.get_by_role("link", name="Course dates").click()
    assert page.url.endswith(f"{C}/settings/")
    page.context.close()

    page = _sign_in_as(browser, live_server.url, examiner, LAPTOP)
    page.goto(f"{live_server.url}{C}/")
    assert not page.get_by_text("Menu").is_visible()
    assert all(link.is_visible() for link in page.locator("#course-nav a").all())  # all in the bar, no menu
    page.context.close()


def test_the_examiner_edits_the_course_dates_on_a_phone(live_server, browser, course, examiner) -> None:
    page = _sign_in_as(browser, live_server.url, examiner, PHONE)
    page.goto(f"{live_server.url}{C}/settings/")
    page.fill("#id_orals_start", "2026-06-06")
    page.fill("#id_orals_end", "2026-05-24")
    page.fill("#id_proposal_deadline", "2026-04-13T23:59")
    save = page.get_by_role("button", name="Save the dates")
    box = save.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    save.click()
    error = page.locator("#id_orals_end-errors")
    assert "The oral period ends before it starts" in error.inner_text()
    assert page.input_value("#id_proposal_deadline") == "2026-04-13T23:59"  # kept
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "dates-390-error")
    page.fill("#id_orals_start", "2026-05-24")
    page.fill("#id_orals_end", "2026-06-06")
    page.get_by_role("button", name="Save the dates").click()
    assert "The course dates are saved" in page.locator(".messages").inner_text()
    page.goto(f"{live_server.url}{C}/calendar/")
    assert "Sun 24 May – Sat 6 Jun 2026" in page.locator("main").inner_text()
    assert "Mon 13 Apr 2026, 23:59 CEST" in page.locator("main").inner_text()
    _shot(page, "calendar-390")
    page.context.close()
