"""The examiner uploads a suite as a zip: validated with the judge's loader after a safe unzip, versioned."""

import pytest
from django.core.exceptions import ValidationError

from coursesite.models import AuditLog
from workers import services
from workers.archives import zip_folder
from workers.models import Suite

from .workers_support import A1_SUITE, QUICK_TOML, quick_suite_folder, zip_of, zip_upload


def stored(media) -> list:  # type: ignore[no-untyped-def]
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_the_demo_a1_suite_uploads_as_a_draft_version_1_with_its_tests_points_and_visibility(
    assignment, examiner, tmp_path
) -> None:
    suite = services.suite_upload(assignment=assignment, upload=zip_upload(zip_folder(A1_SUITE)), by=examiner)
    assert (suite.version, suite.is_active, suite.queue) == (1, False, "cpu")
    assert suite.tests["test_minibatch_gd_benchmark"] == {"points": 3.0, "visibility": "hidden"}
    assert suite.tests["test_gradients_with_regularisation"]["visibility"] == "secret"
    assert suite.max_score == 10.0 and "MiniBatchGD" in suite.required and suite.limits["cpu_s"] == 300
    assert AuditLog.objects.filter(action="suite.upload", target_id=str(suite.pk)).exists()


def test_a_new_version_is_a_draft_until_activated_and_keeps_the_daily_limit(assignment, examiner, tmp_path) -> None:
    data = zip_folder(quick_suite_folder(tmp_path))
    first = services.suite_upload(assignment=assignment, upload=zip_upload(data), by=examiner, runs_per_day=4)
    services.suite_activate(suite=first, by=examiner)
    # A zip made by "compress this folder" has the suite in one top-level folder: accepted as well.
    nested = zip_of(
        {
            f"quick/{p.relative_to(tmp_path / 'quick-suite')}": p.read_bytes()
            for p in (tmp_path / "quick-suite").rglob("*")
            if p.is_file()
        }
    )
    second = services.suite_upload(assignment=assignment, upload=zip_upload(nested), by=examiner)
    first.refresh_from_db()
    assert (first.is_active, second.is_active, second.version) == (True, False, 2)  # the upload is a draft
    services.suite_activate(suite=second, by=examiner)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active, second.runs_per_day) == (False, True, 4)
    services.suite_activate(suite=first, by=examiner)
    assert list(Suite.objects.filter(is_active=True).values_list("version", flat=True)) == [1]


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        (None, "This is not a zip file"),
        ({"../evil/suite.toml": b"x"}, "unsafe path"),
        ({"/etc/suite.toml": b"x"}, "unsafe path"),
        ({"readme.txt": b"hello"}, "no suite.toml"),
        ({"suite.toml": b"name = [", "tests/test_a.py": b"def test_a(): pass\n"}, "not valid TOML"),
        (
            {"suite.toml": QUICK_TOML.replace('queue = "cpu"', 'queue = "tpu"').encode()},
            "'queue' must be one of cpu, gpu",
        ),
        (
            {
                "suite.toml": QUICK_TOML.replace('"DD2424/1"', '"DD2424/2"').encode(),
                "tests/test_quick.py": b"def test_cost_visible(): pass\ndef test_cost_hidden(): pass\n"
                b"def test_cost_secret(): pass\n",
            },
            "This suite is for DD2424/2",
        ),
        (
            {"suite.toml": QUICK_TOML.encode(), "tests/test_quick.py": b"def test_other(): pass\n"},
            "names no test function",
        ),
    ],
)
def test_bad_suites_are_refused_with_clear_words_and_nothing_is_stored(
    assignment, examiner, media, entries, words
) -> None:
    data = b"PK\x03\x04 this is not really a zip" if entries is None else zip_of(entries)
    with pytest.raises(ValidationError) as refused:
        services.suite_upload(assignment=assignment, upload=zip_upload(data), by=examiner)
    assert any(words in message for message in refused.value.messages), refused.value.messages
    assert not Suite.objects.exists() and stored(media) == []


def test_a_symbolic_link_in_the_zip_is_refused(assignment, examiner) -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("public_data/secrets")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/shadow")
        archive.writestr("suite.toml", QUICK_TOML)
    with pytest.raises(ValidationError, match="symbolic link"):
        services.suite_upload(assignment=assignment, upload=zip_upload(out.getvalue()), by=examiner)


def test_the_page_and_the_api_take_uploads_from_the_examiner_only(
    assignment, examiner, ta, student, client_for, tmp_path
) -> None:
    data = zip_folder(quick_suite_folder(tmp_path))
    for person in (ta, student):
        client = client_for(person)
        assert client.post("/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(data)}).status_code == 403
        response = client.post("/api/courses/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(data)})
        assert response.status_code == 403
    client = client_for(examiner)
    page = client.post("/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(b"nope")}, follow=True)
    assert "This is not a zip file" in page.content.decode()
    response = client.post("/api/courses/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(b"nope")})
    assert response.status_code == 400 and "This is not a zip file" in str(response.json())
    response = client.post(
        "/api/courses/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(data), "runs_per_day": 3}
    )
    assert response.status_code == 201
    assert response.json()["version"] == 1 and response.json()["runs_per_day"] == 3
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "No version is live" in page and "Version 1 is a draft" in page
    assert client.post("/api/courses/DD2424/workers/assignments/1/suites/1/activate/").json()["is_active"] is True
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "Students are graded by version 1." in page and "test_cost_secret" in page
    staff_panel = client.get("/c/DD2424/assignments/1/").content.decode()
    assert "Suite v1 (Quick A1 check)" in staff_panel and "Manage the autograder" in staff_panel
    listing = client.get("/api/courses/DD2424/workers/assignments/1/suites/").json()
    assert [s["version"] for s in listing] == [1]


def test_a_test_file_with_a_syntax_error_is_refused_once_with_its_file_and_line(assignment, examiner, media) -> None:
    broken = b"def test_cost_visible(student):\n    assert student.ComputeCost(1.0) == 1.0 +\n"
    data = zip_of({"suite.toml": QUICK_TOML.encode(), "tests/test_quick.py": broken})
    with pytest.raises(ValidationError) as refused:
        services.suite_upload(assignment=assignment, upload=zip_upload(data), by=examiner)
    problems = refused.value.messages
    assert [p for p in problems if "SyntaxError" in p] == [
        "tests/test_quick.py, line 2: SyntaxError: invalid syntax (the file cannot be read, so its tests cannot run)"
    ]
    assert not any("names no test function" in p for p in problems), problems
    assert not Suite.objects.exists() and stored(media) == []


def test_activation_is_the_examiners_own_audited_step_and_offers_rerunning_everyone(
    assignment, examiner, ta, student, client_for, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assignments.services import submission_create
    from coursesite.uploads import minimal_pdf
    from workers.models import GradingJob

    from .workers_support import RIGHT

    client = client_for(examiner)
    for points in ("points = 2", "points = 5"):
        folder = quick_suite_folder(tmp_path / points[-1], toml=QUICK_TOML.replace("points = 2", points))
        client.post("/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(folder))})
    assert not Suite.objects.filter(is_active=True).exists()  # two drafts: nobody is graded yet
    for person in (ta, student):
        assert client_for(person).post("/c/DD2424/workers/assignments/1/suites/1/activate/").status_code == 403
    assert client.get("/c/DD2424/workers/assignments/1/suites/1/activate/").status_code == 405
    response = client.post("/c/DD2424/workers/assignments/1/suites/1/activate/")
    assert response.status_code == 302 and response["Location"].endswith("/workers/assignments/1/#rerun-everyone")
    v1 = Suite.objects.get(is_active=True)
    assert v1.version == 1
    submission = submission_create(
        assignment=assignment,
        student=student,
        code=[SimpleUploadedFile("assignment1.py", RIGHT)],
        report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
    )
    GradingJob.objects.create(submission=submission, suite=v1, state="finished")  # graded by v1
    assert "rerun-offer" not in client.get("/c/DD2424/workers/assignments/1/").content.decode()
    page = client.post("/c/DD2424/workers/assignments/1/suites/2/activate/", follow=True).content.decode()
    assert "Version 2 is live: it grades students&#x27; new submissions." in page
    assert "Rerun everyone to grade it with version 2." in page and "Students are graded by version 2." in page
    audit = AuditLog.objects.filter(action="suite.activate").order_by("pk").last()
    assert audit is not None and audit.actor == examiner
    assert Suite.objects.get(is_active=True).version == 2


def test_a_version_replaced_by_a_newer_live_one_is_called_earlier_not_a_draft(
    assignment, examiner, client_for, tmp_path
) -> None:
    client = client_for(examiner)
    for points in ("points = 2", "points = 5", "points = 3"):
        folder = quick_suite_folder(tmp_path / points[-1], toml=QUICK_TOML.replace("points = 2", points))
        client.post("/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(folder))})
    client.post("/c/DD2424/workers/assignments/1/suites/1/activate/")
    client.post("/c/DD2424/workers/assignments/1/suites/2/activate/")
    page = client.get("/c/DD2424/workers/assignments/1/").content.decode()
    assert "v1 (earlier, not live," in page and "v2 (live," in page and "v3 (draft," in page
    assert '<span class="badge">earlier, not live</span>' in page and '<span class="badge">draft</span>' in page


def test_rerun_everyone_says_it_reruns_the_submission_that_counts(
    assignment, examiner, student, client_for, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assignments.services import submission_create
    from coursesite.uploads import minimal_pdf

    from .workers_support import RIGHT, purge_grading_queues

    client = client_for(examiner)
    client.post(
        "/c/DD2424/workers/assignments/1/suites/", {"suite": zip_upload(zip_folder(quick_suite_folder(tmp_path)))}
    )
    client.post("/c/DD2424/workers/assignments/1/suites/1/activate/")
    submission_create(
        assignment=assignment,
        student=student,
        code=[SimpleUploadedFile("assignment1.py", RIGHT)],
        report=SimpleUploadedFile("report.pdf", minimal_pdf("Report"), content_type="application/pdf"),
    )
    page = client.post("/c/DD2424/workers/assignments/1/rerun/", follow=True).content.decode()
    purge_grading_queues()
    assert "Rerunning 1 submission (each student&#x27;s that counts) at low priority." in page
