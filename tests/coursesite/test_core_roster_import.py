"""Roster import: all-or-nothing, errors name row and column, idempotent on re-import."""

from coursesite.models import AuditLog, Membership, Role, User
from coursesite.services import roster_import

GOOD = (
    "username,full_name,email,role\n"
    "anna,Anna Andersson,anna@example.edu,student\n"
    "björn,Björn Öberg,bjorn@example.edu,Student\n"
    "tove,Tove Lind,tove@example.edu,TA\n"
).encode()


def test_it_imports_every_row_with_roles(course, examiner) -> None:
    result = roster_import(course=course, data=GOOD, by=examiner)

    assert result.ok and result.created == 3
    roles = dict(Membership.objects.filter(course=course).values_list("user__username", "role"))
    assert roles == {"examiner": Role.INSTRUCTOR, "anna": Role.STUDENT, "björn": Role.STUDENT, "tove": Role.TA}
    assert User.objects.get(username="björn").full_name == "Björn Öberg"
    assert AuditLog.objects.filter(action="roster.import", course=course, actor=examiner).count() == 1


def test_reimporting_the_same_file_changes_nothing(course, examiner) -> None:
    roster_import(course=course, data=GOOD, by=examiner)
    again = roster_import(course=course, data=GOOD, by=examiner)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert User.objects.filter(username__in=["anna", "björn", "tove"]).count() == 3


def test_a_changed_row_updates_the_person(course, examiner) -> None:
    roster_import(course=course, data=GOOD, by=examiner)
    changed = GOOD.replace(b"tove@example.edu,TA", b"tove@uni.example,student")
    result = roster_import(course=course, data=changed, by=examiner)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Membership.objects.get(user__username="tove").role == Role.STUDENT


def test_it_rejects_a_malformed_file_naming_row_and_column_and_stores_nothing(course, examiner) -> None:
    bad = (
        b"username,full_name,email,role\n"
        b"anna,Anna Andersson,anna@example.edu,student\n"
        b"bad user,Someone,not-an-email,professor\n"
        b"anna,Anna Again,anna2@example.edu,student\n"
        b",No Name,x@example.edu,student\n"
    )

    result = roster_import(course=course, data=bad, by=examiner)

    assert not result.ok
    described = [str(error) for error in result.errors]
    assert "row 3, column username: 'bad user' may only hold letters, digits and @.+-_" in described
    assert "row 3, column email: 'not-an-email' is not an email address" in described
    assert "row 3, column role: 'professor' is not one of instructor, ta, student" in described
    assert "row 4, column username: 'anna' already appears on row 2" in described
    assert "row 5, column username: is empty" in described
    assert not User.objects.filter(username="anna").exists()
    assert not AuditLog.objects.filter(action="roster.import").exists()


def test_it_names_missing_columns(course, examiner) -> None:
    result = roster_import(course=course, data=b"username,email\nanna,anna@example.edu\n", by=examiner)

    assert [(e.row, e.column) for e in result.errors] == [(1, "full_name"), (1, "role")]


def test_it_refuses_a_file_that_is_not_utf8_text(course, examiner) -> None:
    result = roster_import(course=course, data=b"username,full_name,email,role\n\xff\xfe\x00junk", by=examiner)

    assert not result.ok and "UTF-8" in str(result.errors[0])


def test_the_roster_page_shows_errors_with_a_400_and_keeps_the_old_roster(
    course, examiner, student, client_for
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(examiner)
    upload = SimpleUploadedFile("roster.csv", b"username,full_name,email,role\nzed,Zed,zed@x.edu,wizard\n")
    response = client.post("/c/DD2424/roster/", {"roster": upload})

    assert response.status_code == 400
    assert "row 2, column role" in response.content.decode()
    assert Membership.objects.filter(course=course).count() == 2


def test_only_the_examiner_may_import(course, ta, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(ta).post("/c/DD2424/roster/", {"roster": SimpleUploadedFile("r.csv", GOOD)})

    assert response.status_code == 403
    assert not User.objects.filter(username="anna").exists()


def test_the_api_imports_and_reports_errors(course, examiner, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(examiner)
    bad = client.post(
        "/api/courses/DD2424/roster/import/",
        {"roster": SimpleUploadedFile("r.csv", b"username,full_name,email,role\nx,X,bad,student\n")},
    )
    good = client.post("/api/courses/DD2424/roster/import/", {"roster": SimpleUploadedFile("r.csv", GOOD)})

    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 2, "column": "email", "message": "'bad' is not an email address"}]
    assert good.status_code == 200 and good.json() == {"created": 3, "updated": 0, "unchanged": 0}


def test_an_optional_personal_id_column_is_kept_and_checked(course, examiner) -> None:
    with_ids = (
        b"username,full_name,email,role,personal_id\nanna,Anna Andersson,anna@example.edu,student,19990101-1234\n"
    )
    bad_id = b"username,full_name,email,role,personal_id\nanna,Anna Andersson,anna@example.edu,student,DROP TABLE\n"

    refused = roster_import(course=course, data=bad_id, by=examiner)
    imported = roster_import(course=course, data=with_ids, by=examiner)
    without_column = roster_import(course=course, data=GOOD, by=examiner)

    assert [str(e) for e in refused.errors] == ["row 2, column personal_id: 'DROP TABLE' is not an identity number"]
    assert imported.created == 1
    assert without_column.updated == 0  # a roster without the column keeps the number
    assert User.objects.get(username="anna").personal_id == "19990101-1234"
