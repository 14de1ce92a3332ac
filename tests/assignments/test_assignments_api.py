"""The REST API: token submission (the one-curl command), states, queue, claim, review, regrade, extensions."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from accounts.services import token_create
from assignments.models import Submission


def test_a_student_submits_with_a_token_like_the_curl_command(course, student, assignment, py_file, pdf_file) -> None:
    token = Client().post("/api/token/", {"username": "alice", "password": "pw"}).json()["token"]
    client = Client(headers={"Authorization": f"Token {token}"})
    response = client.post(
        "/api/courses/DD2424/assignments/1/submissions/", {"code": py_file("assignment1.py"), "report": pdf_file()}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code_files"] == ["assignment1.py"]
    assert body["is_late"] is False and body["notice"] == "Your submission was received."
    listing = client.get("/api/courses/DD2424/assignments/1/submissions/").json()
    assert [s["id"] for s in listing] == [body["id"]]
    state = client.get("/api/courses/DD2424/assignments/1/").json()["state"]
    assert state["code"] == "submitted"


def test_bad_uploads_get_a_400_with_the_reason(student, assignment, client_for, py_file) -> None:
    response = client_for(student).post(
        "/api/courses/DD2424/assignments/1/submissions/", {"code": py_file(), "report": py_file("report.pdf")}
    )
    assert response.status_code == 400
    assert "not a PDF" in str(response.json())
    assert not Submission.objects.exists()


def test_late_work_through_the_api_says_review_may_not_be_timely(
    student, late_assignment, client_for, py_file, pdf_file
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(student).post(
        "/api/courses/DD2424/assignments/2/submissions/", {"code": py_file(), "report": pdf_file()}
    )
    assert response.status_code == 201
    assert response.json()["is_late"] is True
    assert "may not be timely" in response.json()["notice"]


def test_the_review_cycle_through_the_api(course, examiner, ta, student, assignment, submit) -> None:
    submission = submit(assignment, student)
    ta_api = Client(headers={"Authorization": f"Token {token_create(user=ta)[1]}"})
    student_api = Client(headers={"Authorization": f"Token {token_create(user=student)[1]}"})
    base = f"/api/courses/DD2424/assignments/submissions/{submission.pk}/"
    queue = ta_api.get("/api/courses/DD2424/assignments/queue/?assignment=1").json()
    assert [s["id"] for s in queue] == [submission.pk]
    assert student_api.get("/api/courses/DD2424/assignments/queue/").status_code == 403
    assert ta_api.post(base + "claim/").json()["claimed_by"] == "tara"
    review = ta_api.post(
        base + "review/", {"passed": True, "bonus": 1, "feedback": "Fine"}, content_type="application/json"
    )
    assert review.status_code == 201 and review.json()["final_bonus"] == 1
    assert ta_api.post(base + "review/", {"passed": True}, content_type="application/json").status_code == 400
    regrade = student_api.post(
        base + "regrade/", {"reason": "Bonus for the ensemble?"}, content_type="application/json"
    )
    assert regrade.status_code == 201
    answer = ta_api.post(base + "regrade/answer/", {"answer": "Yes.", "bonus": 2}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["bonus"] == 2
    progress = ta_api.get("/api/courses/DD2424/assignments/progress/").json()
    assert progress[0]["assignments"][0] | {"extension_until": None} == {
        "number": 1,
        "submitted": True,
        "submissions": 1,
        "late": False,
        "reviewed": True,
        "passed": True,
        "bonus": 2,
        "extension_until": None,
    }
    mine = student_api.get("/api/courses/DD2424/assignments/").json()
    assert mine[0]["state"]["code"] == "passed" and mine[0]["state"]["bonus"] == 2


def test_extensions_through_the_api(examiner, ta, student, late_assignment, client_for) -> None:
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    url = "/api/courses/DD2424/assignments/2/extensions/"
    data = {"student": "alice", "deadline_at": deadline, "reason": "Sick"}
    assert client_for(ta).post(url, data, content_type="application/json").status_code == 403
    assert client_for(examiner).post(url, data, content_type="application/json").status_code == 201
    assert client_for(ta).get(url).json()[0]["student"] == "alice"


def test_the_openapi_schema_documents_the_assignment_endpoints(client_for, student) -> None:
    schema = client_for(student).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in [
        "/api/courses/{code}/assignments/",
        "/api/courses/{code}/assignments/{number}/submissions/",
        "/api/courses/{code}/assignments/queue/",
        "/api/courses/{code}/assignments/submissions/{id}/claim/",
        "/api/courses/{code}/assignments/submissions/{id}/review/",
        "/api/courses/{code}/assignments/submissions/{id}/regrade/answer/",
        "/api/courses/{code}/assignments/{number}/extensions/",
        "/api/courses/{code}/assignments/progress/",
    ]:
        assert path in paths, path
    upload = paths["/api/courses/{code}/assignments/{number}/submissions/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
