"""The course audit trail: the examiner's page in plain words (filters, pages, CSV), the read-only API, and rows
that nobody can edit or delete through the admin or the API."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coursesite.audit import audit_record
from coursesite.models import AuditLog, Course, User
from grading import services
from grading.models import FinalGrade
from projects.models import Group
from tests.grading.grading_results import ResultsBuilder, make_students

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(client_for, course: Course, examiner: User, ta: User, student: User) -> Group:
    """Real events through the services and pages: a final grade changed, a project grade changed with reasons."""
    day = dt.date(2026, 5, 28)
    results = ResultsBuilder(course, examiner)
    results.all_passed(student, bonus=7, last_on=day)
    results.exam_grade(student, "C", on=day)
    members = make_students(course, 3, prefix="g")
    for member in members:
        results.all_passed(member, last_on=day)
    results.project_grade(members, "B", on=day)
    results.save()
    group = Group.objects.get(course=course)
    services.grades_finalise(course=course, by=examiner)
    services.final_grade_change(
        final_grade=FinalGrade.objects.get(student=student), grade="A", reason="Question 2 regraded.", by=examiner
    )
    form = {"grade": "A", "reason": "Report marked with the wrong rubric."}
    form.update({f"confirmed_{m.pk}": "1" for m in members})
    assert client_for(examiner).post(f"/c/{course.code}/projects/groups/{group.pk}/grade/", form).status_code == 302
    audit_record(actor=ta, action="widget.frobnicate", course=course, student="alice", size=3, ok=True)
    return group


def test_the_examiner_reads_the_trail_in_plain_words(client_for, course: Course, examiner: User, events) -> None:
    html = client_for(examiner).get(f"/c/{course.code}/audit/").content.decode()
    assert (
        "Ada Examiner changed the project grade of Group 1 from B to A: reason Report marked with the wrong rubric."
        in html
    )
    assert "Ada Examiner changed the final grade of Alice Student from B to A: reason Question 2 regraded." in html
    assert "Ada Examiner finalised the grades, locking 4 students&#x27; final grades." in html
    # An action the table does not know still reads as words.
    assert "Tara Assistant did widget: frobnicate about Alice Student (ok yes, size 3)." in html
    assert "<td>grade: B</td><td>grade: A</td>" in html  # old and new values
    assert 'href="/c/DD2424/audit/"' in html  # in the course navigation


def test_the_trail_filters_by_person_kind_and_date(
    client_for, course: Course, examiner: User, ta: User, events
) -> None:
    client = client_for(examiner)
    html = client.get(f"/c/{course.code}/audit/?actor=tara").content.decode()
    assert "1 event." in html and "frobnicate" in html and "finalised" not in html
    html = client.get(f"/c/{course.code}/audit/?action=final_grade").content.decode()
    assert "2 events." in html and "finalised" in html and "project grade" not in html
    html = client.get(f"/c/{course.code}/audit/?action=oral_grade.record").content.decode()
    assert "1 event." in html and "changed the project grade of Group 1" in html

    old = dt.datetime(2026, 3, 2, 12, tzinfo=course.tz)
    AuditLog.objects.filter(action="final_grade.finalise").update(at=old)
    html = client.get(f"/c/{course.code}/audit/?since=2026-03-01&until=2026-03-02").content.decode()
    assert "1 event." in html and "finalised the grades" in html
    html = client.get(f"/c/{course.code}/audit/?until=2026-03-01").content.decode()
    assert "0 events." in html and "Nothing matches." in html

    refused = client.get(f"/c/{course.code}/audit/?since=yesterday")
    assert refused.status_code == 400
    assert "since: &#x27;yesterday&#x27; is not a date; write it as YYYY-MM-DD." in refused.content.decode()


def test_the_trail_exports_as_csv_with_the_filters(client_for, course: Course, examiner: User, events) -> None:
    response = client_for(examiner).get(f"/c/{course.code}/audit/?action=final_grade.change&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="DD2424-audit-')
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["when", "who", "username", "action", "about", "old", "new", "in plain words", "target"]
    assert len(lines) == 2
    assert lines[1][1:8] == [
        "Ada Examiner",
        "examiner",
        "final_grade.change",
        "Alice Student",
        "grade: B",
        "grade: A",
        "Ada Examiner changed the final grade of Alice Student from B to A: reason Question 2 regraded.",
    ]
    assert lines[1][8].startswith("grading.finalgrade#")


def test_the_trail_is_paginated_with_a_fixed_number_of_queries(client_for, course: Course, examiner: User) -> None:
    students = make_students(course, 60, prefix="s")
    AuditLog.objects.bulk_create(
        AuditLog(actor=examiner, course=course, action="review.record", data={"student": s.username, "passed": True})
        for s in students[:5]
    )
    client = client_for(examiner)
    client.get(f"/c/{course.code}/audit/")  # warm the session and the membership
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/c/{course.code}/audit/").status_code == 200
    AuditLog.objects.bulk_create(
        AuditLog(actor=examiner, course=course, action="review.record", data={"student": s.username, "bonus": 1})
        for s in students[5:]
    )
    with CaptureQueriesContext(connection) as many:
        html = client.get(f"/c/{course.code}/audit/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "60 events, page 1 of 2." in html
    assert html.count("Ada Examiner reviewed a submission of Student S") == 50
    second = client.get(f"/c/{course.code}/audit/?page=2").content.decode()
    assert second.count("Ada Examiner reviewed a submission of Student S") == 10


def test_only_the_examiner_reads_the_trail(client_for, course: Course, ta: User, student: User, events) -> None:
    for person in (ta, student):
        client = client_for(person)
        assert client.get(f"/c/{course.code}/audit/").status_code == 403
        assert client.get(f"/api/courses/{course.code}/audit/").status_code == 403


def test_the_api_reads_the_trail_and_refuses_every_change(
    client_for, course: Course, examiner: User, ta: User, events
) -> None:
    client = client_for(examiner)
    response = client.get(f"/api/courses/{course.code}/audit/?actor=examiner&action=oral_grade")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1 and data["pages"] == 1
    entry = data["results"][0]
    assert entry["actor"] == "examiner" and entry["action"] == "oral_grade.record"
    assert entry["sentence"].startswith("Ada Examiner changed the project grade of Group 1 from B to A: reason")
    assert (entry["old"], entry["new"]) == ("grade: B", "grade: A")
    assert client.get(f"/api/courses/{course.code}/audit/?until=soon").status_code == 400

    row = AuditLog.objects.filter(course=course).first()
    before = (AuditLog.objects.count(), row.action, row.data)
    url = f"/api/courses/{course.code}/audit/"
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url, {"action": "x"}, content_type="application/json").status_code == 405
        assert getattr(client, method)(f"{url}{row.pk}/", content_type="application/json").status_code == 404
        assert getattr(client_for(ta), method)(url, content_type="application/json").status_code in (403, 405)
    row.refresh_from_db()
    assert (AuditLog.objects.count(), row.action, row.data) == before


def test_the_admin_shows_audit_rows_but_cannot_add_change_or_delete_them(client, course: Course, events) -> None:
    admin = User.objects.create_superuser("root", "root@example.edu", "pw")
    client.force_login(admin)
    row = AuditLog.objects.filter(action="final_grade.change").get()
    base = "/admin/coursesite/auditlog/"

    assert client.get(base).status_code == 200
    page = client.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200  # a view-only page
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"{base}{row.pk}/change/", {"action": "tampered", "data": "{}"}).status_code == 403
    assert client.get(f"{base}{row.pk}/delete/").status_code == 403
    assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    changelist = client.post(base, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert changelist.status_code in (200, 302)
    row.refresh_from_db()
    assert row.action == "final_grade.change"
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_text_a_student_wrote_cannot_become_a_spreadsheet_formula_in_the_csv(
    client_for, course: Course, examiner: User
) -> None:
    name = '=HYPERLINK("http://x","y")'  # students name their project groups
    audit_record(actor=examiner, action="oral_grade.record", course=course, group=name, grade="A")
    response = client_for(examiner).get(f"/c/{course.code}/audit/?format=csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[1][4] == "'" + name  # the "about" column, kept as text
    assert lines[1][7] == f"Ada Examiner recorded the project grade A for {name}."
    assert not any(cell.startswith("=") for cell in lines[1])
