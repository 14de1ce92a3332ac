"""Issue 13: a roster import may not rewrite accounts it does not own (and so hand them over by a password reset).

Through the real roster page and API on the test database; each test fails on the code before the fix, where a
roster overwrote the e-mail, full name and identity number of any existing user.
"""

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coursesite.models import AuditLog, Course, Membership, Role, User
from tests.support import make_member, make_user

HEADER = b"username,full_name,email,role,personal_id\n"


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", data, content_type="text/csv")


def _other_course_student() -> User:
    other = Course.objects.create(code="DD1337", name="Programming")
    user = make_member(other, "olga", Role.STUDENT, "Olga Other")
    user.personal_id = "19811218-9876"
    user.save()
    return user


def test_the_page_refuses_to_rewrite_a_superuser_and_a_reset_then_reaches_nobody(course, examiner, client_for) -> None:
    root = User.objects.create_superuser("root", "root@university.example", "pw", full_name="Site Admin")
    hostile = HEADER + b"newbie,New Student,newbie@example.edu,student,\nroot,Root,attacker@evil.example,student,\n"

    response = client_for(examiner).post("/c/DD2424/roster/", {"roster": _upload(hostile)})

    assert response.status_code == 400
    assert (
        "row 3, column email: would change the email of the existing account &#x27;root&#x27;, which this roster "
        "may not change: it is an administrator account"
    ) in response.content.decode()
    root.refresh_from_db()
    assert (root.email, root.full_name) == ("root@university.example", "Site Admin")
    assert not User.objects.filter(username="newbie").exists()  # all or nothing
    assert not Membership.objects.filter(user=root).exists()
    refusal = AuditLog.objects.get(action="roster_import.refuse", course=course)
    assert refusal.actor == examiner
    assert refusal.data["refused"] == [
        {"row": 3, "username": "root", "column": "email", "reason": "it is an administrator account"}
    ]

    Client().post("/accounts/password_reset/", {"email": "attacker@evil.example"})
    assert mail.outbox == []


def test_the_api_refuses_to_rewrite_a_student_of_another_course(course, examiner, client_for) -> None:
    olga = _other_course_student()
    client = client_for(examiner)

    by_email = client.post(
        "/api/courses/DD2424/roster/import/", {"roster": _upload(HEADER + b"olga,Olga,me@evil.example,student,\n")}
    )
    by_number = client.post(
        "/api/courses/DD2424/roster/import/",
        {"roster": _upload(HEADER + b"olga,Olga Other,olga@example.edu,student,121212-1212\n")},
    )

    assert by_email.status_code == 400 and by_number.status_code == 400
    assert by_email.json()["errors"] == [
        {
            "row": 2,
            "column": "email",
            "message": "would change the email of the existing account 'olga', which this roster may not change: "
            "the account is also in another course",
        }
    ]
    assert by_number.json()["errors"][0]["column"] == "personal_id"
    olga.refresh_from_db()
    assert (olga.email, olga.personal_id) == ("olga@example.edu", "19811218-9876")
    assert AuditLog.objects.filter(action="roster_import.refuse").count() == 2


def test_an_existing_account_can_join_as_a_member_but_its_name_is_not_touched(course, examiner, client_for) -> None:
    """Adding a membership is fine; changing the account is not (staff: not even the name)."""
    staff = make_user("sven", "Sven Staff")
    staff.is_staff = True
    staff.save()
    olga = _other_course_student()
    same_details = HEADER + b"sven,SVEN S,sven@example.edu,ta,\nolga,O. Other,OLGA@example.edu,student,8112189876\n"

    response = client_for(examiner).post("/api/courses/DD2424/roster/import/", {"roster": _upload(same_details)})

    assert response.status_code == 200, response.json()
    assert Membership.objects.get(course=course, user=staff).role == Role.TA
    assert Membership.objects.get(course=course, user=olga).role == Role.STUDENT
    staff.refresh_from_db()
    olga.refresh_from_db()
    assert staff.full_name == "Sven Staff" and olga.full_name == "Olga Other"
    assert olga.email == "olga@example.edu"


def test_the_courses_own_plain_student_is_kept_up_to_date(course, examiner, student) -> None:
    from coursesite.services import roster_import

    result = roster_import(
        course=course, data=HEADER + b"alice,Alice Svensson,alice@new.example,student,811218-9876\n", by=examiner
    )

    assert result.ok and result.updated == 1
    student.refresh_from_db()
    assert (student.full_name, student.email, student.personal_id) == (
        "Alice Svensson",
        "alice@new.example",
        "19811218-9876",
    )


def test_a_ta_of_this_course_not_created_by_its_roster_is_not_rewritten(course, examiner, ta) -> None:
    from coursesite.services import roster_import

    result = roster_import(course=course, data=HEADER + b"tara,Tara,tara@evil.example,ta,\n", by=examiner)

    assert [e.column for e in result.errors] == ["email"]
    assert "the account was not created by this course's roster" in result.errors[0].message
    ta.refresh_from_db()
    assert ta.email == "tara@example.edu"


def test_a_new_username_that_differs_only_by_case_is_refused(course, examiner) -> None:
    from coursesite.services import roster_import

    User.objects.create_superuser("admin", "admin@university.example", "pw")

    result = roster_import(course=course, data=HEADER + b"Admin,Admin,me@evil.example,student,\n", by=examiner)

    assert [str(e) for e in result.errors] == [
        "row 2, column username: an account 'admin' exists; usernames may not differ by case"
    ]
    assert not User.objects.filter(username="Admin").exists()


def test_an_account_this_roster_created_is_no_longer_its_own_once_in_another_course(course, examiner) -> None:
    from coursesite.services import roster_import

    roster_import(course=course, data=HEADER + b"nils,Nils Ny,nils@example.edu,ta,\n", by=examiner)
    nils = User.objects.get(username="nils")
    assert nils.roster_course == course
    Membership.objects.create(
        user=nils, course=Course.objects.create(code="DD1337", name="Programming"), role="student"
    )

    result = roster_import(course=course, data=HEADER + b"nils,Nils Ny,nils@evil.example,ta,\n", by=examiner)

    assert [e.column for e in result.errors] == ["email"]
    assert "the account is also in another course" in result.errors[0].message
    nils.refresh_from_db()
    assert nils.email == "nils@example.edu"
