"""Roster import: all-or-nothing, errors name row and column, idempotent on re-import; the roles it knows, role
changes that need a confirmation, Excel's semicolons and encodings, personal identity numbers."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coursesite.models import AuditLog, Membership, Role, User
from coursesite.personal_id import PersonalIdError, normalise
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


def test_a_changed_row_updates_the_person_it_created(course, examiner) -> None:
    roster_import(course=course, data=GOOD, by=examiner)
    changed = GOOD.replace(b"tove@example.edu,TA", b"tove@uni.example,TA").replace(b"Anna Andersson", b"Anna Berg")
    result = roster_import(course=course, data=changed, by=examiner)

    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert User.objects.get(username="tove").email == "tove@uni.example"
    assert User.objects.get(username="anna").full_name == "Anna Berg"


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


def test_it_refuses_a_file_that_is_not_text(course, examiner) -> None:
    result = roster_import(course=course, data=b"username,full_name,email,role\n\xff\xfe\x00junk", by=examiner)

    assert not result.ok and str(result.errors[0]) == (
        "row 1, column -: this is not a text file; save the roster as CSV (UTF-8)"
    )


def test_the_roster_page_shows_errors_with_a_400_and_keeps_the_old_roster(
    course, examiner, student, client_for
) -> None:
    client = client_for(examiner)
    upload = SimpleUploadedFile("roster.csv", b"username,full_name,email,role\nzed,Zed,zed@x.edu,wizard\n")
    response = client.post("/c/DD2424/roster/", {"roster": upload})

    assert response.status_code == 400
    assert "row 2, column role" in response.content.decode()
    assert Membership.objects.filter(course=course).count() == 2


def test_only_the_examiner_may_import(course, ta, client_for) -> None:
    response = client_for(ta).post("/c/DD2424/roster/", {"roster": SimpleUploadedFile("r.csv", GOOD)})

    assert response.status_code == 403
    assert not User.objects.filter(username="anna").exists()


def test_the_api_imports_and_reports_errors(course, examiner, client_for) -> None:
    client = client_for(examiner)
    bad = client.post(
        "/api/courses/DD2424/roster/import/",
        {"roster": SimpleUploadedFile("r.csv", b"username,full_name,email,role\nx,X,bad,student\n")},
    )
    good = client.post("/api/courses/DD2424/roster/import/", {"roster": SimpleUploadedFile("r.csv", GOOD)})

    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 2, "column": "email", "message": "'bad' is not an email address"}]
    assert good.status_code == 200
    assert good.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "reactivated": 0,
        "role_changes": [],
    }


def test_an_optional_personal_id_column_is_kept_and_checked(course, examiner) -> None:
    with_ids = b"username,full_name,email,role,personal_id\nanna,Anna Andersson,anna@example.edu,student,811218-9876\n"
    bad_id = b"username,full_name,email,role,personal_id\nanna,Anna Andersson,anna@example.edu,student,DROP\n"

    refused = roster_import(course=course, data=bad_id, by=examiner)
    imported = roster_import(course=course, data=with_ids, by=examiner)
    without_column = roster_import(course=course, data=GOOD, by=examiner)

    assert [str(e) for e in refused.errors] == [
        "row 2, column personal_id: 'DROP' is not a personal identity number (write it as YYYYMMDD-XXXX, "
        "or YYMMDD-XXXX)"
    ]
    assert imported.created == 1
    assert without_column.updated == 0  # a roster without the column keeps the number
    assert User.objects.get(username="anna").personal_id == "19811218-9876"


def _upload(data: bytes, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_teacher_and_other_words_are_not_roles(course, examiner, client_for) -> None:
    data = (
        b"username,full_name,email,role\n"
        b"anna,Anna Andersson,anna@example.edu,teacher\n"
        b"tove,Tove Lind,tove@example.edu,assistant\n"
        b"olle,Olle Ek,olle@example.edu,Instructor\n"
    )

    response = client_for(examiner).post("/c/DD2424/roster/", {"roster": _upload(data)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "row 2, column role: &#x27;teacher&#x27; is not one of instructor, ta, student" in page
    assert "row 3, column role: &#x27;assistant&#x27; is not one of instructor, ta, student" in page
    assert not User.objects.filter(username__in=["anna", "tove", "olle"]).exists()


def test_a_role_change_on_the_page_waits_for_confirmation_and_then_applies(course, examiner, client_for) -> None:
    client = client_for(examiner)
    client.post("/c/DD2424/roster/", {"roster": _upload(GOOD)})
    promoted = GOOD.replace(b"bjorn@example.edu,Student", b"bjorn@example.edu,ta").replace(b"TA\n", b"student\n")

    asked = client.post("/c/DD2424/roster/", {"roster": _upload(promoted)})

    page = asked.content.decode()
    assert asked.status_code == 200
    assert "Confirm the role changes" in page
    assert "row 3: björn: Student → TA" in page and "row 4: tove: TA → Student" in page
    assert Membership.objects.get(user__username="björn").role == Role.STUDENT  # nothing changed yet
    assert Membership.objects.get(user__username="tove").role == Role.TA

    confirmed = client.post("/c/DD2424/roster/", {"action": "confirm"}, follow=True)

    assert "Roster imported: 0 new, 2 updated, 1 unchanged; 2 role changes." in confirmed.content.decode()
    assert Membership.objects.get(user__username="björn").role == Role.TA
    assert Membership.objects.get(user__username="tove").role == Role.STUDENT
    logged = AuditLog.objects.filter(action="roster.import").order_by("id").last()
    assert {(c["username"], c["old_role"], c["new_role"]) for c in logged.data["role_changes"]} == {
        ("björn", "student", "ta"),
        ("tove", "ta", "student"),
    }


def test_the_api_answers_409_with_the_role_changes_until_confirmed(course, examiner, client_for) -> None:
    client = client_for(examiner)
    roster_import(course=course, data=GOOD, by=examiner)
    promoted = GOOD.replace(b"anna@example.edu,student", b"anna@example.edu,instructor")

    refused = client.post("/api/courses/DD2424/roster/import/", {"roster": _upload(promoted)})

    assert refused.status_code == 409
    assert refused.json()["role_changes"] == [
        {
            "row": 2,
            "username": "anna",
            "old_role": "student",
            "new_role": "instructor",
            "message": "anna: Student → Instructor (leaves the gradebook and the review queue; submissions and "
            "project group are kept)",
        }
    ]
    assert Membership.objects.get(user__username="anna").role == Role.STUDENT

    applied = client.post(
        "/api/courses/DD2424/roster/import/", {"roster": _upload(promoted), "confirm_role_changes": "true"}
    )

    assert applied.status_code == 200 and applied.json()["updated"] == 1
    assert Membership.objects.get(user__username="anna").role == Role.INSTRUCTOR


def test_the_examiner_cannot_change_their_own_role_by_a_roster(course, examiner) -> None:
    data = b"username,full_name,email,role\nexaminer,Ada Examiner,examiner@example.edu,student\n"

    result = roster_import(course=course, data=data, by=examiner, confirm_role_changes=True)

    assert [str(e) for e in result.errors] == ["row 2, column role: you cannot change your own role by a roster"]
    assert Membership.objects.get(user=examiner).role == Role.INSTRUCTOR


def test_an_excel_file_with_semicolons_bom_and_windows_1252_is_read(course, examiner, client_for) -> None:
    utf8_bom = "\ufeffusername;full_name;email;role\r\nbjörn;Björn Öberg;bjorn@example.edu;student\r\n".encode()
    cp1252 = "username;full_name;email;role\r\nåsa;Åsa Öst;asa@example.edu;student\r\n".encode("cp1252")
    client = client_for(examiner)

    first = client.post("/c/DD2424/roster/", {"roster": _upload(utf8_bom)}, follow=True)
    second = client.post("/c/DD2424/roster/", {"roster": _upload(cp1252)}, follow=True)

    assert "Roster imported: 1 new" in first.content.decode() and "Roster imported: 1 new" in second.content.decode()
    assert User.objects.get(username="björn").full_name == "Björn Öberg"
    assert User.objects.get(username="åsa").full_name == "Åsa Öst"


def test_another_separator_is_named_in_the_message(course, examiner, client_for) -> None:
    data = b"username|full_name|email|role\nanna|Anna|anna@example.edu|student\n"

    response = client_for(examiner).post("/c/DD2424/roster/", {"roster": _upload(data)})

    assert response.status_code == 400
    assert (
        "the header must name the columns username, full_name, email, role separated by commas "
        "(semicolons, as Excel writes them, work too)"
    ) in response.content.decode()


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("19811218-9876", "19811218-9876"),
        ("198112189876", "19811218-9876"),
        ("811218-9876", "19811218-9876"),
        ("8112189876", "19811218-9876"),
        ("811218+9876", "18811218-9876"),  # '+': 100 years or older
        ("19701063-2391", "19701063-2391"),  # coordination number: day 3 + 60
        ("701063-2391", "19701063-2391"),
        (" 19811218 9876 ", "19811218-9876"),
    ],
)
def test_personal_ids_are_stored_as_12_digits(written: str, stored: str) -> None:
    assert normalise(written, today=dt.date(2026, 12, 1)) == stored


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("19811218-9875", "the check digit (the last digit) is wrong; is there a typo?"),
        ("19810230-1234", "1981-02-30 is not a date"),
        ("19811350-9876", "1981-13-50 is not a date"),
        ("20991218-9876", "the date of birth 2099-12-18 is in the future"),
        ("19811218+9876", "a '+' belongs only in the 10-digit form YYMMDD+XXXX"),
        ("1981-12-18", "is not a personal identity number"),
    ],
)
def test_a_wrong_personal_id_is_refused_with_the_reason(written: str, reason: str) -> None:
    with pytest.raises(PersonalIdError) as raised:
        normalise(written, today=dt.date(2026, 12, 1))

    assert reason in str(raised.value)


def test_the_roster_page_normalises_and_checks_personal_ids(course, examiner, client_for) -> None:
    client = client_for(examiner)
    bad = b"username,full_name,email,role,personal_id\nanna,Anna,anna@example.edu,student,811218-9875\n"
    good = b"username,full_name,email,role,personal_id\nanna,Anna,anna@example.edu,student,8112189876\n"

    refused = client.post("/c/DD2424/roster/", {"roster": _upload(bad)})
    client.post("/c/DD2424/roster/", {"roster": _upload(good)})

    assert refused.status_code == 400
    assert (
        "row 2, column personal_id: &#x27;811218-9875&#x27;: the check digit (the last digit) is wrong"
        in refused.content.decode()
    )
    assert User.objects.get(username="anna").personal_id == "19811218-9876"
