"""Rubric review: the examiner's rule, marks and inline comments through the pages and the API, and who may see them."""

import html

import pytest
from django.core.exceptions import PermissionDenied

from assignments import services as assignment_services
from assignments.models import Review
from coursesite.models import Course, Role
from rubrics import rule, services
from rubrics.models import InlineComment, Mark
from tests.support import make_member

pytestmark = pytest.mark.django_db

API = "/api/courses/DD2424/rubrics"


def _rule(marks, **kw):  # type: ignore[no-untyped-def]
    settings = {"rule": "points", "pass_points": 6, "bonus_from": 6, "bonus_step": 2, "bonus_max": 2} | kw
    return rule.outcome(marks=marks, **settings)


def _marks(passed=True, points=8):  # type: ignore[no-untyped-def]
    return [
        rule.CriterionMark("Gradients", pass_fail=True, max_points=0, passed=passed),
        rule.CriterionMark("Report", pass_fail=False, max_points=10, points=points),
    ]


def test_the_rule_passes_with_bonus_per_step_above_m_capped_and_fails_on_a_failed_criterion_or_too_few_points() -> None:
    assert (_rule(_marks(points=8)).passed, _rule(_marks(points=8)).bonus) == (True, 1)
    assert (_rule(_marks(points=7)).passed, _rule(_marks(points=7)).bonus) == (True, 0)
    assert _rule(_marks(points=10), bonus_max=1).bonus == 1  # capped
    assert _rule(_marks(points=10)).bonus == 2
    failed = _rule(_marks(passed=False, points=10))
    assert (failed.passed, failed.bonus) == (False, 0) and "Gradients" in failed.explanation
    assert (_rule(_marks(points=5)).passed, _rule(_marks(points=5)).bonus) == (False, 0)
    unmarked = _rule([*_marks()[:1], rule.CriterionMark("Report", pass_fail=False, max_points=10)])
    assert unmarked.passed is None and unmarked.unmarked == ("Report",)
    manual = _rule(_marks(), rule="manual")
    assert manual.passed is None and manual.points == 8 and manual.max_points == 10


def test_the_examiner_sets_the_rubric_through_the_api_and_a_ta_may_only_read_it(
    assignment, examiner, ta, student, client_for
) -> None:
    body = {
        "rule": "points",
        "pass_points": 4,
        "bonus_from": 4,
        "bonus_step": 1,
        "criteria": [
            {"title": "Correct gradients", "kind": "pass_fail", "canned": ["Check the bias gradient."]},
            {"title": "Report", "kind": "points", "max_points": 6},
        ],
    }
    response = client_for(examiner).put(f"{API}/assignments/1/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert [c["title"] for c in response.json()["criteria"]] == ["Correct gradients", "Report"]
    assert response.json()["criteria"][0]["canned"] == ["Check the bias gradient."]
    assert client_for(ta).get(f"{API}/assignments/1/").json()["pass_points"] == 4
    assert client_for(ta).put(f"{API}/assignments/1/", body, content_type="application/json").status_code == 403
    assert client_for(student).get(f"{API}/assignments/1/").status_code == 403
    bad = client_for(examiner).put(
        f"{API}/assignments/1/",
        {**body, "criteria": [{"title": "Report", "kind": "points", "max_points": 0}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "at least 1 point" in bad.content.decode()


def test_the_editor_page_adds_criteria_for_the_examiner_and_shows_them_to_a_ta_read_only(
    assignment, examiner, ta, student, client_for
) -> None:
    page = "/c/DD2424/rubrics/assignments/1/"
    examiner_client = client_for(examiner)
    assert examiner_client.post(page, {"action": "criterion", "title": "x", "kind": "points"}).status_code == 400
    examiner_client.post(page, {"action": "rule", "rule": "points", "pass_points": "3", "bonus_step": "1"})
    response = examiner_client.post(
        page,
        {
            "action": "criterion",
            "title": "Plots",
            "kind": "points",
            "max_points": "5",
            "canned": "Label axes\n\nUse a log scale\n",
        },
    )
    assert response.status_code == 302
    criterion = assignment.rubric.criteria.get()
    assert [c.text for c in criterion.canned.all()] == ["Label axes", "Use a log scale"]
    bad = examiner_client.post(page, {"action": "rule", "rule": "points", "pass_points": "many"})
    assert bad.status_code == 400 and "not a whole number" in bad.content.decode()
    assert "Edit the rubric" in examiner_client.get("/c/DD2424/assignments/1/").content.decode()
    ta_page = client_for(ta).get(page).content.decode()
    assert "Plots" in ta_page and "Save the rule" not in ta_page
    assert client_for(ta).post(page, {"action": "rule", "rule": "manual"}).status_code == 403
    assert client_for(student).get(page).status_code == 403


def test_marks_give_pass_and_bonus_by_the_rule_and_the_review_api_cannot_contradict_the_rubric(
    assignment, rubric, ta, student, submit, client_for
) -> None:
    submission = submit(assignment, student)
    assignment_services.submission_claim(submission=submission, by=ta)
    gradients, report = rubric.criteria.all()
    ta_client = client_for(ta)
    incomplete = ta_client.post(
        f"/api/courses/DD2424/assignments/submissions/{submission.pk}/review/",
        {"passed": True, "bonus": 0},
        content_type="application/json",
    )
    assert incomplete.status_code == 400 and "Mark every criterion" in incomplete.content.decode()
    marks = [
        {"criterion": gradients.pk, "passed": True, "comment": "Good."},
        {"criterion": report.pk, "points": 11},
    ]
    over = ta_client.put(f"{API}/submissions/{submission.pk}/", marks, content_type="application/json")
    assert over.status_code == 400 and "0 to 10 points" in over.content.decode()
    marks[1]["points"] = 9
    draft = ta_client.put(f"{API}/submissions/{submission.pk}/", marks, content_type="application/json")
    assert draft.json()["outcome"]["passed"] is True and draft.json()["outcome"]["bonus"] == 1
    contradicting = ta_client.post(
        f"/api/courses/DD2424/assignments/submissions/{submission.pk}/review/",
        {"passed": True, "bonus": 2},
        content_type="application/json",
    )
    assert contradicting.status_code == 400 and "The rubric gives Pass with 1 bonus" in contradicting.content.decode()
    recorded = ta_client.post(
        f"{API}/submissions/{submission.pk}/review/",
        {"marks": marks, "feedback": "Well done.", "passed": False, "bonus": 0},
        content_type="application/json",
    )
    assert recorded.status_code == 201, recorded.content
    review = Review.objects.get(submission=submission)
    assert (review.passed, review.bonus, review.feedback) == (True, 1, "Well done.")  # the rule, not the posted values
    after = ta_client.put(f"{API}/submissions/{submission.pk}/", marks, content_type="application/json")
    assert after.status_code == 403 and "released" in after.content.decode()


def test_the_marking_form_computes_the_outcome_adds_reusable_comments_and_saves_and_opens_the_next(
    assignment, rubric, ta, student, other_student, submit, client_for
) -> None:
    first, second = submit(assignment, student), submit(assignment, other_student)
    ta_client = client_for(ta)
    gradients, report = rubric.criteria.all()
    canned = report.canned.first()
    page = ta_client.get(f"/c/DD2424/assignments/review/{first.pk}/").content.decode()
    assert "Gradients checked numerically" in page and "Save and open the next" in page
    assert 'data-shortcut="ctrl+enter"' in page and 'data-shortcut="j"' in page
    form = f"/c/DD2424/rubrics/submissions/{first.pk}/review/"
    response = ta_client.post(form, {"action": "save", f"c{gradients.pk}": "1"})
    assert response.status_code == 302 and not Review.objects.filter(submission=first).exists()
    follow = ta_client.get(response["Location"]).content.decode()
    assert "Mark every criterion: Report: curves and discussion." in html.unescape(follow)
    response = ta_client.post(
        form,
        {
            "action": "save_next",
            f"c{gradients.pk}": "0",
            f"c{report.pk}": "10",
            f"canned{report.pk}": str(canned.pk),
            f"comment{report.pk}": "Nice plots.",
            "feedback": "The gradient check is missing.",
        },
    )
    assert response["Location"] == f"/c/DD2424/assignments/review/{second.pk}/"
    review = Review.objects.get(submission=first)
    assert (review.passed, review.bonus) == (False, 0)
    assert Mark.objects.get(submission=first, criterion=report).comment == "Nice plots.\nLabel the axes."
    second.refresh_from_db()
    assert second.claimed_by == ta


def test_the_queue_claims_the_next_free_submission_and_the_review_page_links_previous_and_next(
    assignment, ta, examiner, student, other_student, submit, client_for
) -> None:
    first, second = submit(assignment, student), submit(assignment, other_student)
    assignment_services.submission_claim(submission=first, by=examiner)
    response = client_for(ta).post("/c/DD2424/assignments/queue/claim-next/", {"assignment": "1"})
    assert response["Location"] == f"/c/DD2424/assignments/review/{second.pk}/"
    second.refresh_from_db()
    assert second.claimed_by == ta
    page = client_for(ta).get(f"/c/DD2424/assignments/review/{second.pk}/").content.decode()
    assert f'href="/c/DD2424/assignments/review/{first.pk}/" rel="prev"' in page and "(2 of 2 waiting)" in page
    queue = client_for(ta).get("/c/DD2424/assignments/queue/").content.decode()
    assert 'data-shortcut="n"' in queue and "Claim the next submission" in queue
    again = client_for(ta).post("/c/DD2424/assignments/queue/claim-next/", {"assignment": "1"})
    assert again["Location"] == f"/c/DD2424/assignments/review/{second.pk}/"  # the one already held


def test_inline_comments_go_on_a_real_line_or_page_and_only_the_claiming_reviewer_adds_them(
    assignment, ta, examiner, student, submit, client_for, course
) -> None:
    submission = submit(assignment, student)
    other_ta = make_member(course, "otto", Role.TA, "Otto Assistant")
    assignment_services.submission_claim(submission=submission, by=ta)
    url = f"{API}/submissions/{submission.pk}/comments/"
    ta_client = client_for(ta)

    def post(client, body):  # type: ignore[no-untyped-def]
        return client.post(url, body, content_type="application/json")

    assert post(ta_client, {"text": "Vectorise this.", "file": "assignment1.py", "line": 5}).status_code == 201
    assert post(ta_client, {"text": "Axis labels?", "page": 1, "x": 0.25, "y": 0.5}).status_code == 201
    for body, words in [
        ({"text": "x", "file": "assignment1.py", "line": 6}, "lines 1 to 5"),
        ({"text": "x", "file": "../etc/passwd", "line": 1}, "no such file"),
        ({"text": "x", "page": 2, "x": 0.1, "y": 0.1}, "pages 1 to 1"),
        ({"text": "x", "page": 1, "x": 1.5, "y": 0.1}, "less than or equal to 1"),
        ({"text": "x"}, "Say where the comment goes"),
        ({"text": "   ", "page": 1}, "Write the comment"),
    ]:
        response = post(ta_client, body)
        assert response.status_code == 400 and words in response.content.decode(), (body, response.content)
    assert post(client_for(other_ta), {"text": "Mine", "page": 1}).status_code == 403
    assert post(client_for(student), {"text": "Give me a pass", "page": 1}).status_code == 403
    no_js = client_for(ta).post(
        f"/c/DD2424/rubrics/submissions/{submission.pk}/comments/",
        {"file": "assignment1.py", "line": "1", "text": "Unused import."},
    )
    assert no_js.status_code == 302 and "#comment-" in no_js["Location"]
    assert InlineComment.objects.filter(submission=submission).count() == 3
    assert [c.where for c in InlineComment.objects.filter(submission=submission, line__isnull=False)] == [
        "assignment1.py, line 1",
        "assignment1.py, line 5",
    ]


def test_nobody_but_staff_reads_marks_or_comments_before_release_and_only_the_owner_after(
    assignment, rubric, ta, student, other_student, outsider, submit, client_for
) -> None:
    submission = submit(assignment, student)
    assignment_services.submission_claim(submission=submission, by=ta)
    services.comment_add(submission=submission, by=ta, text="Secret draft remark", file="assignment1.py", line=2)
    gradients, report = rubric.criteria.all()
    services.marks_save(
        submission=submission,
        by=ta,
        marks=[
            {"criterion": gradients.pk, "passed": True},
            {"criterion": report.pk, "points": 6, "comment": "Draft note"},
        ],
    )
    other_course = Course.objects.create(code="DD1337", name="Programming")
    foreign_ta = make_member(other_course, "tom", Role.TA, "Tom Elsewhere")
    marks_url = f"{API}/submissions/{submission.pk}/"
    student_page = f"/c/DD2424/assignments/1/submissions/{submission.pk}/"

    assert client_for(student).get(marks_url).status_code == 403
    assert client_for(student).get(marks_url + "comments/").status_code == 403
    assert "Draft note" not in client_for(student).get(student_page).content.decode()
    assert "Secret draft remark" not in client_for(student).get(student_page).content.decode()
    for intruder in (other_student, outsider, foreign_ta):
        assert client_for(intruder).get(marks_url).status_code == 404
        assert client_for(intruder).get(marks_url + "comments/").status_code == 404
    assert client_for(ta).get(marks_url).json()["marks"][1]["comment"] == "Draft note"

    services.rubric_review_record(submission=submission, by=ta, marks=[], feedback="ok")
    released = client_for(student).get(marks_url)
    assert released.status_code == 200 and released.json()["outcome"]["passed"] is True
    assert released.json()["comments"][0]["text"] == "Secret draft remark"
    page = client_for(student).get(student_page).content.decode()
    assert "Draft note" in page and "Secret draft remark" in page and "6 / 10" in page
    assert page.index('id="rubric-marked"') < page.index('aria-label="Autograder"')  # right under the review
    for intruder in (other_student, outsider, foreign_ta):
        assert client_for(intruder).get(marks_url).status_code == 404
        assert client_for(intruder).get(student_page).status_code in (403, 404)
    assert client_for(foreign_ta).post(marks_url + "comments/", {"text": "x", "page": 1}).status_code == 404
    with pytest.raises(PermissionDenied, match="released"):
        services.comment_add(submission=submission, by=ta, text="Late", page=1)


def test_student_code_file_names_and_comments_are_escaped_on_every_page(
    assignment, ta, student, submit, client_for
) -> None:
    name = "<img src=x onerror=alert(1)>.py"
    submission = submit(assignment, student, name=name, code=b"s = '</script><script>alert(2)</script>'\n")
    assignment_services.submission_claim(submission=submission, by=ta)
    services.comment_add(
        submission=submission, by=ta, text="</script><script>alert(3)</script><b>bold</b>", file=name, line=1
    )
    services.comment_add(submission=submission, by=ta, text="<svg onload=alert(4)>", page=1, x=0.5, y=0.5)
    review_page = client_for(ta).get(f"/c/DD2424/assignments/review/{submission.pk}/?file={name}").content.decode()
    assignment_services.review_record(submission=submission, by=ta, passed=True)
    student_page = client_for(student).get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    for page in (review_page, student_page):
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page
        assert "<b>bold</b>" not in page
        assert "&lt;/script&gt;&lt;script&gt;alert(3)" in page  # the comment, shown as text
        assert "\\u003C/script\\u003E\\u003Cscript\\u003Ealert(3)" in page  # and in the page's data, escaped
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in student_page
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=InlineComment.objects.first(), by=ta)  # released: kept as sent


def test_pdfjs_is_served_by_the_app_from_the_locked_npm_package(assignment, ta, student, submit, client_for) -> None:
    import json
    from pathlib import Path

    from django.contrib.staticfiles import finders

    lock = json.loads((Path(__file__).parents[2] / "rubrics/pdfjs/package-lock.json").read_text())
    version = lock["packages"]["node_modules/pdfjs-dist"]["version"]
    library = finders.find("rubrics/pdfjs/pdf.min.mjs")
    assert library and f'"{version}"' in Path(library).read_text()  # the locked version, as the library reports it
    assert finders.find("rubrics/pdfjs/pdf.worker.min.mjs")
    submission = submit(assignment, student)
    page = client_for(ta).get(f"/c/DD2424/assignments/review/{submission.pk}/").content.decode()
    assert 'data-lib="/static/rubrics/pdfjs/pdf.min.mjs"' in page and "https://" not in page


def test_the_explanation_says_how_the_bonus_is_counted_in_words() -> None:
    assert "bonus 1: one bonus point per 2 points above 6, at most 2." in _rule(_marks(points=8)).explanation
    per_point = _rule(_marks(), bonus_from=0, bonus_step=1)
    assert "bonus 2: one bonus point per point above 0, at most 2." in per_point.explanation


def test_the_submission_the_student_chose_is_marked_and_commented_not_their_newer_one(
    assignment, ta, student, submit, client_for
) -> None:
    chosen = submit(assignment, student)
    newer = submit(assignment, student)
    assignment_services.submission_choose(submission=chosen, by=student)
    assignment_services.submission_claim(submission=chosen, by=ta)

    def comment(submission):  # type: ignore[no-untyped-def]
        body = {"text": "Vectorise this.", "file": "assignment1.py", "line": 1}
        url = f"{API}/submissions/{submission.pk}/comments/"
        return client_for(ta).post(url, body, content_type="application/json")

    assert comment(chosen).status_code == 201  # the one that counts, though not the latest
    refused = comment(newer)
    assert refused.status_code == 403 and "not the submission that counts" in refused.content.decode()
