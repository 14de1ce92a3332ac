"""After finalising, a change to a project or exam grade behind a locked final grade needs a reason; the gradebook
flags locked grades whose results changed, and one action re-locks them with a reason."""

import datetime as dt

import pytest
from django.utils import timezone

from coursesite.models import AuditLog, Course, User
from exams.models import Answer, Sitting
from grading import services
from grading.models import FinalGrade, FinalGradeChange
from grading.selectors import gradebook
from projects.models import Group, OralGrade

from .grading_results import ResultsBuilder, make_students

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(course: Course, results: ResultsBuilder, day: dt.date) -> Group:
    """Group 1 of three students, project B, all assignments passed (1 bonus point each)."""
    members = make_students(course, 3, prefix="g")
    for member in members:
        results.all_passed(member, bonus=1, last_on=day)
    results.project_grade(members, "B", on=day)
    results.save()
    return Group.objects.get(course=course)


def _grade_form(group: Group, grade: str, reason: str = "") -> dict[str, str]:
    data = {"grade": grade, "reason": reason}
    for member in group.members.all():
        data[f"confirmed_{member.user_id}"] = "1"
    return data


def test_before_finalising_the_project_grade_changes_without_a_reason(
    client_for, course: Course, examiner: User, project: Group
) -> None:
    url = f"/c/{course.code}/projects/groups/{project.pk}/grade/"
    response = client_for(examiner).post(url, _grade_form(project, "A"))
    assert response.status_code == 302
    assert OralGrade.objects.get(group=project).grade == "A"


def test_after_finalising_a_project_grade_change_without_a_reason_is_refused_with_a_message(
    client_for, course: Course, examiner: User, project: Group
) -> None:
    services.grades_finalise(course=course, by=examiner)
    client = client_for(examiner)
    url = f"/c/{course.code}/projects/groups/{project.pk}/grade/"

    response = client.post(url, _grade_form(project, "A"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "The final grades of Student G0000, Student G0001, Student G0002 are finalised" in page
    assert "write a reason for changing the project grade of Group 1" in page
    assert OralGrade.objects.get(group=project).grade == "B"
    assert not AuditLog.objects.filter(action="oral_grade.record").exists()

    # Saving the same grade again changes nothing and needs no reason.
    assert client.post(url, _grade_form(project, "B")).status_code == 302

    response = client.post(url, _grade_form(project, "A", reason="The report was marked against the wrong rubric."))
    assert response.status_code == 302
    assert OralGrade.objects.get(group=project).grade == "A"
    audit = AuditLog.objects.filter(action="oral_grade.record").latest("id")
    assert audit.data["old_grade"] == "B" and audit.data["grade"] == "A"
    assert audit.data["reason"] == "The report was marked against the wrong rubric."
    # The locked grade stays B until the examiner re-locks; the gradebook flags it.
    assert set(FinalGrade.objects.values_list("grade", flat=True)) == {"B"}
    html = client.get(f"/c/{course.code}/grades/").content.decode()
    assert "3 locked grades with changed results: review" in html
    assert "results changed" in html
    data = client.get(f"/api/courses/{course.code}/grading/gradebook/").json()
    assert data["final_grade_module"] == "module"
    assert [s["inputs_changed"] for s in data["students"]] == [True, True, True]


def test_after_finalising_an_exam_mark_change_needs_a_reason(
    client_for, course: Course, examiner: User, ta: User, student: User, results: ResultsBuilder, day: dt.date
) -> None:
    results.all_passed(student, last_on=day)
    results.exam_grade(student, "C", on=day)
    results.save()
    sitting = Sitting.objects.get(student=student)
    Answer.objects.create(
        sitting=sitting, file_name="a.pdf", sha256="0" * 64, size=1, pages=1, uploaded_at=timezone.now()
    )
    services.grades_finalise(course=course, by=examiner)
    client = client_for(ta)

    response = client.post(
        f"/c/{course.code}/exams/marking/", {"sitting": sitting.pk, "part1_points": "15", "part2_points": "30"}
    )
    assert response.status_code == 400
    assert "The final grade of Alice Student is finalised: write a reason for changing the exam mark" in (
        response.content.decode()
    )
    response = client.put(
        f"/api/courses/{course.code}/exams/sittings/{sitting.pk}/mark/",
        {"part1_points": "15", "part2_points": "30"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "write a reason" in response.json()["reason"][0]

    response = client.post(
        f"/c/{course.code}/exams/marking/",
        {"sitting": sitting.pk, "part1_points": "15", "part2_points": "30", "reason": "Question 4 was added up wrong."},
    )
    assert response.status_code == 302
    audit = AuditLog.objects.filter(action="exam_mark.record").latest("id")
    assert (audit.data["old_grade"], audit.data["grade"]) == ("C", "B")
    assert gradebook(course=course).rows[0].inputs_changed


def test_the_review_page_re_locks_the_changed_grades_with_one_action_and_a_reason(
    client_for, course: Course, examiner: User, ta: User, project: Group
) -> None:
    services.grades_finalise(course=course, by=examiner)
    client = client_for(examiner)
    client.post(
        f"/c/{course.code}/projects/groups/{project.pk}/grade/", _grade_form(project, "C", reason="Rubric error.")
    )
    review = client.get(f"/c/{course.code}/grades/review/").content.decode()
    assert "PRO1 B, 1 bonus point, LAB1 passed" in review  # as locked
    assert "PRO1 C, 1 bonus point, LAB1 passed" in review  # now
    ids = [str(m.user_id) for m in project.members.all()]

    refused = client.post(f"/c/{course.code}/grades/review/", {"student": ids, "reason": " "})
    assert refused.status_code == 400
    assert "Write why the grades are re-locked" in refused.content.decode()
    assert client_for(ta).post(f"/c/{course.code}/grades/review/", {"student": ids, "reason": "x"}).status_code == 403

    response = client.post(f"/c/{course.code}/grades/review/", {"student": ids, "reason": "Project regraded: C."})
    assert response.status_code == 302
    assert set(FinalGrade.objects.values_list("grade", "module_grade")) == {("C", "C")}
    assert FinalGradeChange.objects.filter(old_grade="B", new_grade="C", reason="Project regraded: C.").count() == 3
    assert AuditLog.objects.filter(action="final_grade.relock").count() == 3
    assert not any(row.inputs_changed for row in gradebook(course=course).rows)
    assert "No finalised grade has changed results." in client.get(f"/c/{course.code}/grades/review/").content.decode()
