"""The student records (Ladok) file, row by row: one result per module on its scale, with its own date, by personal
identity number; provisional before finalising; errors for missing numbers; what is new since the last file."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from coursesite.models import AuditLog, Course, User
from coursesite.personal_id import check_digit
from grading import services
from grading.models import FinalGrade, GradingSettings, RecordsExport

from .grading_results import ResultsBuilder, make_students, mixed_cohort

pytestmark = pytest.mark.django_db

HEADER = ["personal_id", "name", "course_code", "module_code", "grade", "grade_scale", "examination_date", "status"]


def pid(yymmdd: str, serial: str) -> str:
    """A valid 10-digit number as a registrar may write it (no century, no dash)."""
    return f"{yymmdd}{serial}{check_digit(yymmdd + serial)}"


def full(yyyymmdd: str, serial: str) -> str:
    return f"{yyyymmdd}-{serial}{check_digit(yyyymmdd[2:] + serial)}"


@pytest.fixture
def graded(course: Course, student: User, other_student: User, results: ResultsBuilder, day: dt.date) -> list[User]:
    """Alice: exam C + 7 bonus (final B); Bob: exam Fx, no personal id; three in a project D; Quinn: nothing."""
    members = mixed_cohort(course, student, other_student, results, day)
    student.personal_id = pid("990101", "123")  # 10 digits: normalised to 12 on export
    student.save()
    for member, born in zip(members, ["20000229", "20010315", "19851130"], strict=True):
        member.personal_id = full(born, "456").replace("-", " ")  # with a space: normalised too
        member.save()
    return members


def _lines(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_records_file_has_one_result_per_module_on_its_scale_and_date_and_is_provisional_before_finalising(
    client_for, course: Course, examiner: User, graded: list[User], day: dt.date
) -> None:
    response = client_for(examiner).get(f"/c/{course.code}/grades/export/ladok/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = dt.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="DD2424-ladok-{today}-PROVISIONAL.csv"'
    d = lambda days: (day + dt.timedelta(days=days)).isoformat()  # noqa: E731
    alice, p0, p1, p2 = "19990101-1230", full("20000229", "456"), full("20010315", "456"), full("19851130", "456")
    assert _lines(response.content.decode()) == [
        HEADER,
        [alice, "Alice Student", "DD2424", "LAB1", "P", "P/F", d(-10), "provisional"],
        [alice, "Alice Student", "DD2424", "TEN1", "B", "A-F", d(0), "provisional"],  # the final grade, bonus on
        [p0, "Student P0000", "DD2424", "LAB1", "P", "P/F", d(0), "provisional"],  # the day the last was passed
        [p0, "Student P0000", "DD2424", "PRO1", "D", "A-F", d(2), "provisional"],  # the oral's day
        [p1, "Student P0001", "DD2424", "LAB1", "P", "P/F", d(-20), "provisional"],
        [p1, "Student P0001", "DD2424", "PRO1", "D", "A-F", d(2), "provisional"],
        [p2, "Student P0002", "DD2424", "LAB1", "P", "P/F", d(-20), "provisional"],
        [p2, "Student P0002", "DD2424", "PRO1", "D", "A-F", d(2), "provisional"],
    ]
    # Bob has no personal identity number: never exported under his username.
    assert "bob" not in response.content.decode()
    made = RecordsExport.objects.get()
    assert made.provisional and made.made_by == examiner and len(made.rows) == 8
    assert AuditLog.objects.get(action="records_export.make").data["provisional"] is True


def test_the_records_page_lists_a_missing_identity_number_as_an_error_to_fix(
    client_for, course: Course, examiner: User, graded: list[User]
) -> None:
    graded[2].personal_id = "851130-4561"  # a wrong check digit
    graded[2].save()

    html = client_for(examiner).get(f"/c/{course.code}/grades/records/").content.decode()

    assert "Not exported: fix these on the" in html
    assert "<strong>Bob Student</strong> (bob): No personal identity number on the roster" in html
    assert "Waiting: LAB1, TEN1" in html
    assert "<strong>Student P0002</strong> (p0002): The personal identity number is not valid" in html
    assert "the check digit (the last digit) is wrong" in html
    assert "Provisional" in html and "The grades are not finalised" in html
    assert "6 results: <strong>6 new</strong>" in html


def test_the_page_and_file_say_which_results_are_new_or_changed_since_the_last_file(
    client_for, course: Course, examiner: User, student: User, graded: list[User], day: dt.date
) -> None:
    client = client_for(examiner)
    services.grades_finalise(course=course, by=examiner)
    first = client.get(f"/c/{course.code}/grades/export/ladok/")
    assert "PROVISIONAL" not in first["Content-Disposition"]
    assert {line[7] for line in _lines(first.content.decode())[1:]} == {"final"}
    html = client.get(f"/c/{course.code}/grades/records/").content.decode()
    assert "<strong>0 new</strong>, <strong>0 changed</strong>, 8 already in an earlier file" in html

    final = FinalGrade.objects.get(student=student)
    services.final_grade_change(final_grade=final, grade="A", reason="Exam question 2 regraded.", by=examiner)
    late = make_students(course, 1, prefix="late")[0]  # added after finalising: not locked
    late.personal_id = full("19970707", "789")
    late.save()
    builder = ResultsBuilder(course, examiner)
    builder.all_passed(late, last_on=day)
    builder.save()

    html = client.get(f"/c/{course.code}/grades/records/").content.decode()
    assert "<strong>1 new</strong>, <strong>1 changed</strong>, 7 already in an earlier file" in html
    assert f"was B on {day.isoformat()}" in html
    only_new = client.get(f"/c/{course.code}/grades/export/ladok/?only=new")
    assert "PROVISIONAL" in only_new["Content-Disposition"]  # the late student is not locked yet
    assert _lines(only_new.content.decode())[1:] == [
        ["19990101-1230", "Alice Student", "DD2424", "TEN1", "A", "A-F", day.isoformat(), "final"],
        [full("19970707", "789"), "Student LATE0000", "DD2424", "LAB1", "P", "P/F", day.isoformat(), "provisional"],
    ]
    html = client.get(f"/c/{course.code}/grades/records/").content.decode()
    assert "<strong>0 new</strong>, <strong>0 changed</strong>, 9 already in an earlier file" in html


def test_a_ta_cannot_make_or_see_the_records_file(client_for, course: Course, ta: User, graded: list[User]) -> None:
    client = client_for(ta)
    assert client.get(f"/c/{course.code}/grades/export/ladok/").status_code == 403
    assert client.get(f"/c/{course.code}/grades/records/").status_code == 403
    assert not RecordsExport.objects.exists()
    assert client.get(f"/c/{course.code}/grades/export/canvas/").status_code == 200  # no identity numbers there


def test_a_passed_lab1_does_not_wait_and_a_pass_whose_bonus_step_is_not_settled_waits(
    client_for, course: Course, examiner: User, student: User, results: ResultsBuilder, day: dt.date
) -> None:
    results.all_passed(student, bonus=7, last_on=day)
    results.save()
    student.personal_id = "19990101-1230"
    student.save()
    lines = _lines(client_for(examiner).get(f"/c/{course.code}/grades/export/ladok/").content.decode())
    assert [line[3:7] for line in lines[1:]] == [["LAB1", "P", "P/F", day.isoformat()]]

    other = make_students(course, 1, prefix="x")[0]
    other.personal_id = "19990101-1230"
    other.save()
    builder = ResultsBuilder(course, examiner)
    builder.review(other, 1, bonus=7, on=day)  # assignments 2-4 missing
    builder.exam_grade(other, "C", on=day)
    builder.save()
    html = client_for(examiner).get(f"/c/{course.code}/grades/records/").content.decode()
    assert "Student X0000, TEN1: Exam C, but no final grade yet" in html


def test_with_no_module_carrying_the_final_grade_each_module_goes_on_its_own_grade(
    client_for, course: Course, examiner: User, graded: list[User], day: dt.date
) -> None:
    client = client_for(examiner)
    response = client.post(
        f"/c/{course.code}/grades/settings/",
        {
            "bonus_threshold": "6",
            "assignments_required": "4",
            "require_assignments_for_final": "on",
            "final_grade_module": "none",
        },
    )
    assert response.status_code == 302
    assert GradingSettings.objects.get(course=course).final_grade_module == "none"
    lines = _lines(client.get(f"/c/{course.code}/grades/export/ladok/").content.decode())
    alice = {line[3]: line[4] for line in lines[1:] if line[0] == "19990101-1230"}
    assert alice == {"LAB1": "P", "TEN1": "C"}  # the exam's own grade: the bonus goes to no module


def test_the_command_makes_the_file_remembers_it_and_names_the_errors(
    course: Course, examiner: User, graded: list[User]
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_grades", course.code, "--format", "ladok", stdout=out, stderr=err)
    assert len(_lines(out.getvalue())) == 9
    assert "Not exported: bob (Bob Student): No personal identity number" in err.getvalue()
    assert "PROVISIONAL" in err.getvalue()
    out = io.StringIO()
    call_command("export_grades", course.code, "--only-new", stdout=out, stderr=io.StringIO())
    assert _lines(out.getvalue()) == [HEADER]
    assert RecordsExport.objects.count() == 2
