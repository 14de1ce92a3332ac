"""One rule, one answer, page and API alike: a teacher handing in or voting is forbidden (403); a student with no
sitting is told why (400); a student closing the poll is forbidden (403)."""

from tests.exams.conftest import pdf


def test_the_page_and_the_api_answer_the_same_for_the_same_rule(exam, ta, student, client_for) -> None:
    assert client_for(ta).post("/c/DD2424/exams/answer/", {"answer": pdf()}).status_code == 403
    assert client_for(ta).post("/api/courses/DD2424/exams/answer/", {"answer": pdf()}).status_code == 403
    page = client_for(student).post("/c/DD2424/exams/answer/", {"answer": pdf()})
    assert page.status_code == 400 and "no exam session" in page.content.decode()
    api = client_for(student).post("/api/courses/DD2424/exams/answer/", {"answer": pdf()})
    assert api.status_code == 400 and "no exam session" in api.json()["detail"]
    assert client_for(ta).post("/c/DD2424/exams/poll/", {}).status_code == 403
    assert client_for(student).post("/c/DD2424/exams/poll/close/", {}).status_code == 403
    assert client_for(student).post("/api/courses/DD2424/exams/poll/close/").status_code == 403
