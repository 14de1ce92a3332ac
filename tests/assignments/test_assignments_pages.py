"""The pages: the review page (PDF inline, highlighted code, file tree), the student's view, editing, the dashboard."""

import datetime as dt
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assignments.models import Assignment, Extension, Submission
from coursesite.models import AuditLog


def test_the_review_page_shows_the_pdf_inline_and_the_highlighted_code_with_a_file_tree(
    client_for, ta, student, assignment, submit, zip_file
) -> None:
    code = zip_file({"a1/main.py": b"def ComputeCost(X):\n    return 1\n", "a1/data/README.md": b"# data\n"})
    submission = submit(assignment, student, code=[code])
    client = client_for(ta)
    page = client.get(f"/c/DD2424/assignments/review/{submission.pk}/").content.decode()
    report_url = f"/c/DD2424/assignments/1/submissions/{submission.pk}/report.pdf"
    assert f'<div class="pdf-viewer" data-pdf="{report_url}"' in page  # PDF.js (rubrics' workspace)
    assert 'class="highlight"' in page and "ComputeCost" in page
    assert "a1/data/" in page and "README.md" in page
    response = client.get(report_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    readme = client.get(f"/c/DD2424/assignments/review/{submission.pk}/?file=a1/data/README.md").content.decode()
    assert "# data" in readme


def test_a_notebook_is_shown_as_its_cells(client_for, ta, student, assignment, submit) -> None:
    notebook = b'{"cells": [{"cell_type": "code", "source": ["import numpy as np\\n", "W = np.zeros(3)"]}]}'
    submission = submit(assignment, student, code=[SimpleUploadedFile("a1.ipynb", notebook)])
    page = client_for(ta).get(f"/c/DD2424/assignments/review/{submission.pk}/").content.decode()
    assert "In[1]" in page and "np" in page and "zeros" in page


def test_only_the_owner_and_staff_see_a_submission_and_its_report(
    client_for, student, other_student, ta, assignment, submit
) -> None:  # type: ignore[no-untyped-def]
    submission = submit(assignment, student)
    base = f"/c/DD2424/assignments/1/submissions/{submission.pk}/"
    assert client_for(student).get(base).status_code == 200
    assert client_for(student).get(base + "report.pdf").status_code == 200
    assert client_for(other_student).get(base).status_code == 404
    assert client_for(other_student).get(base + "report.pdf").status_code == 404
    assert client_for(other_student).get(base + "code.zip").status_code == 404
    assert client_for(student).get(f"/c/DD2424/assignments/review/{submission.pk}/").status_code == 403
    assert client_for(ta).get(base + "code.zip").status_code == 200


def test_a_ta_claims_and_passes_through_the_pages_and_the_student_sees_pass_and_bonus(
    client_for, ta, student, assignment, submit
) -> None:
    submission = submit(assignment, student)
    ta_client = client_for(ta)
    url = f"/c/DD2424/assignments/review/{submission.pk}/"
    assert ta_client.post(url, {"action": "claim"}).status_code == 302
    assert "in review" in client_for(student).get("/c/DD2424/assignments/").content.decode().lower()
    response = ta_client.post(url, {"action": "review", "passed": "1", "bonus": "5", "feedback": "Good"})
    assert response.status_code == 400
    assert "from 0 to 2" in response.content.decode()
    ta_client.post(url, {"action": "review", "passed": "1", "bonus": "2", "feedback": "Good figures."})
    page = client_for(student).get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert "Pass" in page and '<strong class="bonus">2</strong>' in page and "Good figures." in page
    assert re.search(r"Possible until \w{3} \d+ \w{3} \d{4}, \d\d:\d\d (CET|CEST)\.", page)  # the regrade window, zoned
    detail = client_for(student).get("/c/DD2424/assignments/1/").content.decode()
    assert 'data-state="passed"' in detail


def test_the_instructor_creates_and_edits_an_assignment_with_a_handout(client_for, examiner, ta, course) -> None:
    client = client_for(examiner)
    data = {
        "number": 5,
        "title": "Transformers",
        "description": "Attention.",
        "released_at": "2030-05-01T09:00",
        "deadline_at": "2030-05-20T23:59",
        "bonus_max": 2,
        "regrade_window_days": 7,
        "handout": SimpleUploadedFile("a5.pdf", b"%PDF-1.4 handout"),
    }
    assert client.post("/c/DD2424/assignments/new/", data).status_code == 302
    assignment = Assignment.objects.get(course=course, number=5)
    assert assignment.handout_name == "a5.pdf"
    assert assignment.released_at == dt.datetime(2030, 5, 1, 9, tzinfo=course.tz)
    bad = dict(data, deadline_at="2030-04-01T00:00", handout="")
    response = client.post("/c/DD2424/assignments/5/edit/", bad)
    assert response.status_code == 400 and "must come after the release" in response.content.decode()
    response = client.post("/c/DD2424/assignments/5/edit/", dict(data, title="Attention", handout=""))
    assert response.status_code == 302
    assert Assignment.objects.get(pk=assignment.pk).title == "Attention"
    assert AuditLog.objects.filter(action__in=["assignment.create", "assignment.update"]).count() == 2
    assert client_for(ta).get("/c/DD2424/assignments/new/").status_code == 403
    assert b"handout" in b"".join(client.get("/c/DD2424/assignments/5/handout/").streaming_content)


def test_the_instructor_grants_an_extension_on_the_page(client_for, examiner, student, late_assignment) -> None:
    response = client_for(examiner).post(
        "/c/DD2424/assignments/2/extensions/",
        {
            "student": "alice",
            "deadline_at": (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Illness",
        },
    )
    assert response.status_code == 302
    assert Extension.objects.get(student=student).reason == "Illness"
    page = client_for(student).get("/c/DD2424/assignments/2/").content.decode()
    assert "(extended)" in page


def test_the_dashboard_tells_tas_what_waits_and_students_their_state(
    client_for, ta, student, other_student, assignment, submit
) -> None:  # type: ignore[no-untyped-def]
    mine = submit(assignment, student)
    submit(assignment, other_student)
    Submission.objects.filter(pk=mine.pk).update(claimed_by=ta)
    page = client_for(ta).get("/c/DD2424/").content.decode()
    assert "1 submission waiting for review" in page
    assert "1 claimed by you" in page
    student_page = client_for(student).get("/c/DD2424/").content.decode()
    assert "In review (submitted on time)" in student_page


def test_the_review_queue_page_title_is_words_and_its_shortcuts_script_loads_once(
    client_for, ta, student, assignment, submit
) -> None:
    submit(assignment, student)
    page = client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()
    assert "<title>Review queue · DD2424</title>" in page
    assert page.count("assignments/shortcuts.js") == 1
