"""Score passback (Assignment and Grade Services) end to end: launches from the real test platform tell coursesite
where the LMS gradebook is, a recorded review and a changed final grade are sent by a real Celery worker with a
token got by the tool's signed assertion, one line item per item is made once, Canvas's refusals are recorded with
their reason, and "send again" works once the LMS accepts."""

from assignments.models import Assignment, Submission
from assignments.services import review_record
from coursesite.models import AuditLog, Course, User
from grading.models import FinalGrade
from grading.services import final_grade_change, grades_finalise
from lti.models import LineItem, ScoreSend
from sso.models import ExternalIdentity
from tests.lti import lti_fixtures
from tests.support import wait_for

# The LTI platform process and its registration for the course (fixtures).
lms = lti_fixtures.lms
lti_on = lti_fixtures.lti_on
ALICE, ZED = "a1b2c3d4-alice", "99999999-zed"  # their LMS ids (the launches' sub)


def _submission(assignment: Assignment, student: User) -> Submission:
    return Submission.objects.create(
        assignment=assignment,
        student=student,
        code=f"code/{student.pk}.zip",
        code_sha256="0" * 64,
        report=f"reports/{student.pk}.pdf",
        report_sha256="0" * 64,
    )


def _sent(count: int) -> bool:
    return ScoreSend.objects.filter(status=ScoreSend.Status.SENT).count() == count


def test_reviews_and_a_final_grade_reach_the_lms_gradebook_in_one_line_item_each(
    lms, lti_on, celery_worker, client_for, course: Course, examiner: User, ta: User, student: User, assignment
) -> None:  # type: ignore[no-untyped-def]
    lms.set_ags(reset=True, unavailable=1)  # the first score meets a server error: the task tries again
    assert lms.launch("alice").status_code == 302
    lti_on.refresh_from_db()
    assert lti_on.lineitems_url == f"{lms.issuer}/api/lti/courses/4711/line_items"
    # Zed never opens coursesite from the LMS: the roster sync brings him, with his LMS id.
    lms.set_members([{"user": "ada"}, {"user": "alice"}, {"user": "zed"}])
    assert client_for(examiner).post("/c/DD2424/lti/", {"platform": lti_on.pk}).status_code == 302
    zed = User.objects.get(username="zed")
    assert ExternalIdentity.objects.get(user=zed).subject == ZED
    celery_worker("cpu")

    review_record(submission=_submission(assignment, student), by=ta, passed=True, bonus=1)
    review_record(submission=_submission(assignment, zed), by=ta, passed=False)
    wait_for(lambda: _sent(2))

    state = lms.ags_state()
    [line] = state["lineitems"]
    assert (line["label"], line["resourceId"], line["scoreMaximum"], line["tag"]) == (
        "Assignment 1: One-layer softmax classifier",
        "assignment-1",
        3,
        "coursesite",
    )
    scores = {s["userId"]: (s["scoreGiven"], s["scoreMaximum"], s["comment"], s["lineitem"]) for s in state["scores"]}
    assert scores == {ALICE: (2, 3, "Pass, 1 bonus point", line["id"]), ZED: (0, 3, "Fail", line["id"])}
    assert [(i.item, i.url) for i in LineItem.objects.all()] == [("assignment:1", line["id"])]
    assert sorted(ScoreSend.objects.values_list("attempts", flat=True)) == [1, 2]  # one retried after the 503

    # Finalising sends nobody without a grade; a locked grade changed to B goes to a column of its own.
    grades_finalise(course=course, by=examiner)
    assert ScoreSend.objects.count() == 2
    locked = FinalGrade.objects.get(student=student)
    final_grade_change(final_grade=locked, grade="B", reason="The oral was re-examined.", by=examiner)
    wait_for(lambda: _sent(3))
    state = lms.ags_state()
    assert [(i["resourceId"], i["scoreMaximum"]) for i in state["lineitems"]] == [("assignment-1", 3), ("final", 5)]
    final = state["scores"][-1]
    assert (final["userId"], final["scoreGiven"], final["comment"]) == (ALICE, 4, "Final grade B")
    assert final["lineitem"] == state["lineitems"][1]["id"]
    assert LineItem.objects.count() == 2


def test_a_refusal_is_listed_with_its_reason_and_sent_again_once_the_lms_accepts(
    lms, lti_on, celery_worker, client_for, ta: User, student: User, assignment: Assignment
) -> None:
    # The assignment's column is in the LMS already (placed through deep linking), and Canvas has Alice in the
    # course, but not as a student.
    placed = {"label": "Assignment 1", "resourceId": "assignment-1", "tag": "coursesite", "scoreMaximum": 3}
    lms.set_ags(reset=True, not_students=[ALICE], lineitems=[placed])
    assert lms.launch("alice").status_code == 302
    celery_worker("cpu")
    review_record(submission=_submission(assignment, student), by=ta, passed=True)

    send = wait_for(lambda: ScoreSend.objects.filter(status=ScoreSend.Status.FAILED).first())
    assert send.reason == (  # type: ignore[attr-defined]
        'The LMS does not have Alice Student as a student in its course (it said: "User not found in course or '
        'is not a student"). Add them to the LMS course as a student, then send again.'
    )
    staff = client_for(ta)
    page = staff.get("/c/DD2424/lti/scores/?status=failed").content.decode()
    assert "The LMS does not have Alice Student as a student in its course" in page
    assert "User not found in course or is not a student" in page
    assert "Send again" in page

    # Canvas's other refusal: the course is not published yet.
    lms.set_ags(not_students=[], unpublished=True)
    assert staff.post(f"/c/DD2424/lti/scores/{send.pk}/send-again/").status_code == 302  # type: ignore[attr-defined]
    wait_for(lambda: ScoreSend.objects.filter(pk=send.pk, status=ScoreSend.Status.FAILED, attempts=2).exists())  # type: ignore[attr-defined]
    send.refresh_from_db()  # type: ignore[attr-defined]
    assert send.reason.startswith("The LMS course is not published, so it takes no grades yet")  # type: ignore[attr-defined]
    assert "Course not published" in staff.get("/c/DD2424/lti/scores/").content.decode()

    lms.set_ags(unpublished=False)
    assert staff.post(f"/c/DD2424/lti/scores/{send.pk}/send-again/").status_code == 302  # type: ignore[attr-defined]
    wait_for(lambda: _sent(1))
    [line] = lms.ags_state()["lineitems"]  # the placed column, found by its resourceId: none made
    scores = [(s["userId"], s["scoreGiven"], s["lineitem"]) for s in lms.ags_state()["scores"]]
    assert scores == [(ALICE, 1, line["id"])]
    assert AuditLog.objects.filter(action="lti_score.resend", actor=ta).count() == 2
