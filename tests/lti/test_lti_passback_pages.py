"""The staff page of grade passback and who may use it: only the course's staff see what was sent and send again
(a POST, audited); students and other courses' staff cannot; nothing is recorded without an LMS gradebook."""

import pytest
from django.core.management import call_command

from assignments.models import Assignment, Submission
from assignments.services import regrade_answer, regrade_request, review_record
from coursesite.models import AuditLog, Course, Role, User
from lti.models import Platform, ScoreSend
from lti.passback import AGS
from lti.services import platform_add
from tests.support import make_member

LINEITEMS = "https://canvas.example.edu/api/lti/courses/4711/line_items"


def _platform(course: Course, *, lineitems: str = LINEITEMS, scopes: tuple[str, ...] = ("lineitem", "score")):
    platform = platform_add(
        issuer=f"https://canvas.example.edu/{course.code}",
        client_id="10000000000042",
        deployment_id="17:abc",
        auth_login_url="https://canvas.example.edu/api/lti/authorize_redirect",
        auth_token_url="https://canvas.example.edu/login/oauth2/token",
        keyset_url="https://canvas.example.edu/api/lti/security/jwks",
        course_code=course.code,
    )
    # What a launch's AGS endpoint claim leaves (lti.launch).
    Platform.objects.filter(pk=platform.pk).update(lineitems_url=lineitems, ags_scopes=[AGS + s for s in scopes])
    return platform


def _reviewed(assignment: Assignment, student: User, by: User, *, passed: bool = True):  # type: ignore[no-untyped-def]
    submission = Submission.objects.create(
        assignment=assignment, student=student, code="c.zip", code_sha256="0" * 64, report="r.pdf", report_sha256="0"
    )
    return review_record(submission=submission, by=by, passed=passed)


def _failed(send: ScoreSend, reason: str = "The LMS refused the score (HTTP 400).") -> ScoreSend:
    ScoreSend.objects.filter(pk=send.pk).update(status=ScoreSend.Status.FAILED, reason=reason, attempts=1)
    send.refresh_from_db()
    return send


def test_only_the_course_s_staff_see_the_sends_and_send_one_again(
    course, examiner, ta, student, outsider, assignment, client_for, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _platform(course)
    _reviewed(assignment, student, ta)
    send = _failed(ScoreSend.objects.get(), 'The LMS course is not published (it said: "Course not published").')
    url = f"/c/DD2424/lti/scores/{send.pk}/send-again/"

    for user in (examiner, ta):
        page = client_for(user).get("/c/DD2424/lti/scores/")
        assert page.status_code == 200
        assert "Course not published" in page.content.decode() and "Send again" in page.content.decode()
    assert "/c/DD2424/lti/scores/" in client_for(examiner).get("/c/DD2424/lti/").content.decode()
    assert client_for(student).get("/c/DD2424/lti/scores/").status_code == 403
    assert client_for(student).post(url).status_code == 403
    assert client_for(outsider).get("/c/DD2424/lti/scores/").status_code == 404
    assert client_for(outsider).post(url).status_code == 404
    assert client_for(ta).get(url).status_code == 405  # sending is a POST (with the CSRF token, below)
    csrf = client_for(ta)
    csrf.handler.enforce_csrf_checks = True
    assert csrf.post(url).status_code == 403
    send.refresh_from_db()
    assert send.status == ScoreSend.Status.FAILED
    assert not AuditLog.objects.filter(action="lti_score.resend").exists()

    with django_capture_on_commit_callbacks() as queued:
        response = client_for(ta).post(url, follow=True)
    assert "Assignment 1: One-layer softmax classifier of Alice Student is being sent to the LMS again." in (
        response.content.decode()
    )
    assert len(queued) == 1  # the task, once the transaction commits
    send.refresh_from_db()
    assert (send.status, send.reason) == (ScoreSend.Status.PENDING, "")
    audit = AuditLog.objects.get(action="lti_score.resend")
    assert (audit.actor, audit.data["student"]) == (ta, "alice")
    trail = client_for(examiner).get("/c/DD2424/audit/?action=lti_score.resend").content.decode()
    assert "Tara Assistant sent the score for Assignment 1: One-layer softmax classifier of Alice Student" in trail

    again = client_for(ta).post(url)  # it is on its way: not twice
    assert again.status_code == 400
    assert "Only a send that failed (or has waited for long) can be sent again." in again.content.decode()


def test_staff_of_another_course_cannot_send_this_course_s_scores(course, ta, student, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    _platform(course)
    _reviewed(assignment, student, ta)
    send = _failed(ScoreSend.objects.get())
    other = Course.objects.create(code="DD1337", name="Programming")
    teacher = make_member(other, "olga", Role.INSTRUCTOR, "Olga Other")
    assert client_for(teacher).post(f"/c/DD1337/lti/scores/{send.pk}/send-again/").status_code == 404
    assert client_for(teacher).post(f"/c/DD2424/lti/scores/{send.pk}/send-again/").status_code == 404
    send.refresh_from_db()
    assert send.status == ScoreSend.Status.FAILED


def test_a_score_a_regrade_replaced_is_not_sent_again(course, ta, student, assignment, client_for) -> None:  # type: ignore[no-untyped-def]
    _platform(course)
    review = _reviewed(assignment, student, ta, passed=False)
    first = _failed(ScoreSend.objects.get())
    regrade = regrade_request(review=review, by=student, reason="Test 3 passes on my machine.")
    regrade_answer(regrade=regrade, by=ta, answer="You are right.", passed=True, bonus=2)
    newer = ScoreSend.objects.exclude(pk=first.pk).get()
    assert (newer.score_given, newer.score_maximum, newer.comment) == (3, 3, "Pass, 2 bonus points")

    response = client_for(ta).post(f"/c/DD2424/lti/scores/{first.pk}/send-again/")
    assert response.status_code == 400
    assert "A newer score of this student for this item replaced this one" in response.content.decode()
    assert "Replaced by a newer score." in client_for(ta).get("/c/DD2424/lti/scores/").content.decode()


@pytest.mark.parametrize(
    ("lineitems", "scopes"), [("", ("lineitem", "score")), (LINEITEMS, ("lineitem.readonly", "result.readonly"))]
)
def test_nothing_is_recorded_without_an_lms_gradebook_that_takes_scores(
    course, ta, student, assignment, client_for, lineitems, scopes
) -> None:  # type: ignore[no-untyped-def]
    _platform(course, lineitems=lineitems, scopes=scopes)
    _reviewed(assignment, student, ta)
    assert not ScoreSend.objects.exists()
    page = client_for(ta).get("/c/DD2424/lti/scores/").content.decode()
    assert "Nothing yet." in page


def test_the_canvas_developer_key_asks_for_the_grade_scopes(db) -> None:  # type: ignore[no-untyped-def]
    import io
    import json

    out = io.StringIO()
    call_command("lti_tool_config", stdout=out)
    text = out.getvalue()
    scopes = json.loads(text[text.index("{") :])["scopes"]
    assert {AGS + "lineitem", AGS + "score"} <= set(scopes)


def test_an_lms_that_cannot_be_reached_is_tried_again_then_recorded_as_failed(course, ta, student, assignment) -> None:  # type: ignore[no-untyped-def]
    from lti.passback import LmsUnavailable, score_send_run
    from sso.models import ExternalIdentity
    from tests.support import free_port

    platform = _platform(course)
    Platform.objects.filter(pk=platform.pk).update(auth_token_url=f"http://127.0.0.1:{free_port()}/token")
    _reviewed(assignment, student, ta)
    send = ScoreSend.objects.get()

    # Nobody knows Alice's LMS id yet: said in words, not tried.
    assert score_send_run(send_id=send.pk, final_try=False).reason.startswith(  # type: ignore[union-attr]
        "Alice Student has not opened coursesite from the LMS yet, so their LMS id is not known here."
    )
    ScoreSend.objects.filter(pk=send.pk).update(status=ScoreSend.Status.PENDING, reason="")
    ExternalIdentity.objects.create(user=student, issuer=platform.issuer, subject="a1b2c3d4-alice")

    with pytest.raises(LmsUnavailable):  # the task retries this
        score_send_run(send_id=send.pk, final_try=False)
    send.refresh_from_db()
    assert send.status == ScoreSend.Status.PENDING
    assert send.reason == "The LMS could not be reached (ConnectionError). Trying again (after try 2)."
    done = score_send_run(send_id=send.pk, final_try=True)
    assert done is not None and done.status == ScoreSend.Status.FAILED
    assert done.reason.endswith("Gave up after 3 tries.")


def test_finalised_and_re_locked_final_grades_are_recorded_for_the_lms(course, examiner, client_for) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from grading.models import FinalGrade
    from grading.services import grades_finalise, grades_relock
    from projects.models import Group
    from tests.grading.grading_results import ResultsBuilder, make_students

    _platform(course)
    results = ResultsBuilder(course, examiner)
    members = make_students(course, 3, prefix="g")
    for member in members:
        results.all_passed(member, bonus=1, last_on=timezone.localdate() - dt.timedelta(days=3))
    results.project_grade(members, "B", on=timezone.localdate() - dt.timedelta(days=3))
    results.save()
    grades_finalise(course=course, by=examiner)
    locked = dict(FinalGrade.objects.values_list("student__username", "grade"))
    sends = ScoreSend.objects.filter(item="final")
    assert {(s.student.username, s.comment) for s in sends} == {(u, f"Final grade {g}") for u, g in locked.items()}

    group = Group.objects.get(course=course)
    form = {"grade": "D", "reason": "Rubric error."}
    form.update({f"confirmed_{m.user_id}": "1" for m in group.members.all()})
    assert client_for(examiner).post(f"/c/DD2424/projects/groups/{group.pk}/grade/", form).status_code == 302
    assert grades_relock(course=course, by=examiner, reason="Project regraded: D.") == 3
    relocked = dict(FinalGrade.objects.values_list("student__username", "grade"))
    assert relocked != locked
    newest = {s.student.username: (s.comment, s.score_given) for s in sends.order_by("pk")}
    points = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}
    assert newest == {u: (f"Final grade {g}", points[g]) for u, g in relocked.items()}
    assert ScoreSend.objects.filter(item="final").count() == 6  # three at finalising, three re-locked
