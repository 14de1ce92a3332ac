"""Code similarity: a copied pair ranks first, the handout's starter code does not count, notebooks by code cells."""

import io
import json
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from assignments.models import Submission
from coursesite.models import AuditLog, Role
from insight import services
from insight.models import SimilarityCheck, SimilarityPair
from tests.insight import cohort
from tests.support import make_member


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def _submit(assignment, user, files: dict[str, str]) -> Submission:  # type: ignore[no-untyped-def]
    name = default_storage.save(f"code/{user.username}.zip", ContentFile(_zip(files)))
    return Submission.objects.create(
        assignment=assignment, student=user, code=name, code_sha256="0" * 64, report="r.pdf", report_sha256="0" * 64
    )


def _cohort(course, assignment, *, handout: bool = True) -> None:  # type: ignore[no-untyped-def]
    if handout:
        assignment.handout = default_storage.save("handouts/a1.zip", ContentFile(_zip({"a1.py": cohort.STARTER})))
        assignment.handout_name = "a1.zip"
        assignment.save()
    _submit(assignment, make_member(course, "gina", Role.STUDENT), {"assignment1.py": cohort.copied_one()})
    _submit(assignment, make_member(course, "hugo", Role.STUDENT), {"a1/main.py": cohort.copied_two()})
    for name in cohort.INDEPENDENT:
        user = make_member(course, name, Role.STUDENT)
        if name == "erin":  # a notebook: compared by its code cells
            _submit(assignment, user, {"A1.ipynb": cohort.notebook(cohort.independent(name))})
        else:
            _submit(assignment, user, {"a1.py": cohort.independent(name)})


def _run(assignment, examiner) -> SimilarityCheck:  # type: ignore[no-untyped-def]
    check = services.similarity_request(assignment=assignment, by=examiner, threshold=0.5)
    done = services.similarity_run(check_id=check.pk)
    assert done is not None and done.state == SimilarityCheck.State.FINISHED, done and done.error
    return done


def test_the_copied_pair_ranks_first_and_the_starter_code_does_not_count(course, examiner, assignment) -> None:  # type: ignore[no-untyped-def]
    _cohort(course, assignment)
    check = _run(assignment, examiner)
    assert check.documents_count == 6 and check.base_names == ["a1.zip"]
    pairs = list(SimilarityPair.objects.filter(check_run=check).select_related("a", "b"))
    first = pairs[0]
    assert {first.a.label, first.b.label} == {"gina", "hugo"}
    assert first.similarity > 0.8
    others = [p for p in pairs[1:]]
    assert others and max(p.similarity for p in others) < 0.3
    # every shared fragment of the copied pair lies outside the starter code, which both kept verbatim
    starter_at = first.a.text.index("def montage(W):")
    assert not any(start <= starter_at < end for start, end in first.slices_a)
    # without the handout as base code, the starter alone makes the independent students look alike
    assignment.handout = ""
    assignment.save()
    unbased = _run(assignment, examiner)
    independent = [
        p
        for p in SimilarityPair.objects.filter(check_run=unbased).select_related("a", "b")
        if {p.a.label, p.b.label} <= set(cohort.INDEPENDENT)
    ]
    assert max(p.similarity for p in independent) > 0.4


def test_the_command_prints_the_ranked_pairs_as_json(course, examiner, assignment, capsys) -> None:  # type: ignore[no-untyped-def]
    _cohort(course, assignment)
    call_command("similarity", "DD2424/1", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert {rows[0]["a"], rows[0]["b"]} == {"gina", "hugo"}
    assert all(set(row) == {"a", "b", "similarity"} for row in rows)
    values = [row["similarity"] for row in rows]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 1 for v in values)


def test_earlier_terms_archive_is_compared_with_this_terms_students(course, examiner, assignment) -> None:  # type: ignore[no-untyped-def]
    _cohort(course, assignment)
    archive = _zip({"vt2025-ivan/a1.py": cohort.copied_one(), "vt2025-judy/a1.py": cohort.copied_two()})
    from django.core.files.uploadedfile import SimpleUploadedFile

    check = services.similarity_request(
        assignment=assignment,
        by=examiner,
        threshold=0.5,
        archive=SimpleUploadedFile("old.zip", archive, content_type="application/zip"),
    )
    services.similarity_run(check_id=check.pk)
    labels = [{p.a.label, p.b.label} for p in SimilarityPair.objects.filter(check_run=check).select_related("a", "b")]
    assert {"archive:vt2025-ivan", "gina"} in labels[:4]
    assert {"archive:vt2025-ivan", "archive:vt2025-judy"} not in labels  # earlier terms are not compared together


def test_staff_review_a_pair_side_by_side_and_decide_audited_students_see_nothing(
    course, examiner, ta, student, assignment, client_for
) -> None:  # type: ignore[no-untyped-def]
    _cohort(course, assignment)
    check = _run(assignment, examiner)
    pair = SimilarityPair.objects.filter(check_run=check).first()
    client = client_for(ta)
    listing = client.get("/c/DD2424/insight/assignments/1/similarity/").content.decode()
    assert f"/c/DD2424/insight/similarity/pairs/{pair.pk}/" in listing
    page = client.get(f"/c/DD2424/insight/similarity/pairs/{pair.pk}/").content.decode()
    assert "<mark>" in page and "gina" in page and "hugo" in page
    url = f"/c/DD2424/insight/similarity/pairs/{pair.pk}/decide/"
    refused = client.post(url, {"decision": "refer", "note": ""}, follow=True).content.decode()
    assert "Say in the note why" in refused
    client.post(url, {"decision": "refer", "note": "Same structure and comments"})
    pair.refresh_from_db()
    assert pair.decision == "refer" and pair.decided_by == ta
    log = AuditLog.objects.get(action="similarity_pair.decide")
    assert log.data["decision"] == "refer" and log.data["note"] == "Same structure and comments"
    assert client.post(url, {"decision": "guilty"}, follow=True).status_code == 200
    pair.refresh_from_db()
    assert pair.decision == "refer"
    student_client = client_for(student)
    assert student_client.get(f"/c/DD2424/insight/similarity/pairs/{pair.pk}/").status_code == 403
    assert student_client.post(url, {"decision": "fine"}).status_code == 403
    assert student_client.post("/c/DD2424/insight/assignments/1/similarity/run/").status_code == 403
