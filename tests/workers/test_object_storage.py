"""Workers on other hosts: with COURSESITE_S3_BUCKET set, uploads live in object storage (django-storages' S3
backend) and a worker that shares no disk with the web side (its own empty MEDIA_ROOT, suite cache and scratch)
grades a submission end to end. The S3 server is a real one in a process of its own (moto's standalone server on
127.0.0.1); the objects stay private and every download goes through the app's permission checks."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from tests.support import free_port, wait_for
from workers.models import GradingJob

from .workers_support import kill_tree

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "coursesite-test"
KEYS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def s3_server(monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """moto's S3-compatible server on a free port (a separate process), with an empty private bucket."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.2)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def object_storage(s3_server, settings):  # type: ignore[no-untyped-def]
    """The web side of this test stores through S3 exactly as settings.py configures it from the environment."""
    env = {"COURSESITE_S3_BUCKET": BUCKET, "AWS_S3_ENDPOINT_URL": s3_server, **KEYS}
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings.STORAGES = {**settings.STORAGES, "default": json.loads(out.strip().splitlines()[-1])}
    return env


@pytest.fixture
def worker_host() -> Iterator[Path]:
    """Another host's disk: not under pytest's tmp_path (0700), since the judge's uid reaches the suite cache."""
    host = Path(tempfile.mkdtemp(prefix="worker-host-"))
    os.chmod(host, 0o711)  # noqa: S103 (traverse only)
    for folder in ("media", "tmp"):
        (host / folder).mkdir()
    yield host
    shutil.rmtree(host, ignore_errors=True)


def keys_in_bucket(endpoint: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_a_worker_with_no_shared_disk_grades_through_object_storage_and_downloads_still_work(
    object_storage,
    s3_server,
    celery_worker,
    quick_suite,
    assignment,
    student,
    other_student,
    examiner,
    submit,
    client_for,
    media,
    worker_host,
) -> None:
    host = worker_host
    from .workers_support import purge_grading_queues

    purge_grading_queues()
    submission = submit(assignment, student)
    stored = keys_in_bucket(s3_server)
    assert submission.code.name in stored and submission.report.name in stored and quick_suite.archive.name in stored
    assert files_under(media) == []  # nothing on the web side's disk

    # The worker's host (worker_host): its own empty media folder, suite cache and temporary folder.
    worker = celery_worker(
        "cpu",
        **object_storage,
        MEDIA_ROOT=str(host / "media"),
        COURSESITE_SUITE_CACHE=str(host / "suite-cache"),
        TMPDIR=str(host / "tmp"),
    )
    try:
        wait_for(lambda: GradingJob.objects.get(submission=submission).is_final, timeout=120)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_tree(worker.pid)
    job = GradingJob.objects.get(submission=submission)
    assert (job.state, job.outcome, job.score) == ("finished", "passed", 6.0), job.staff_notes
    assert files_under(host / "media") == [] and files_under(media) == []
    assert (host / "suite-cache" / quick_suite.sha256).is_dir()  # fetched from S3 into the worker's own cache
    figure_names = [figure["name"] for figure in job.figures]
    assert figure_names and all(name in keys_in_bucket(s3_server) for name in figure_names)

    # Downloads go through the app, from S3: the student's own files and the visible figure; staff's downloads.
    mine = client_for(student)
    code = mine.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/code.zip")
    assert code.status_code == 200 and b"".join(code.streaming_content).startswith(b"PK")
    report = mine.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/report.pdf")
    assert report.status_code == 200 and b"".join(report.streaming_content).startswith(b"%PDF")
    figure = mine.get(f"/c/DD2424/workers/jobs/{job.pk}/figures/0/")
    assert figure.status_code == 200 and b"".join(figure.streaming_content).startswith(b"\x89PNG")
    staff = client_for(examiner).get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/code.zip")
    assert staff.status_code == 200 and b"".join(staff.streaming_content).startswith(b"PK")
    page = mine.get(f"/c/DD2424/assignments/1/submissions/{submission.pk}/").content.decode()
    assert s3_server not in page and "X-Amz" not in page  # no link to the bucket, signed or not

    # Another student gets nothing, and no object grants anyone but its owner.
    other = client_for(other_student)
    for path in (
        f"/c/DD2424/assignments/1/submissions/{submission.pk}/code.zip",
        f"/c/DD2424/workers/jobs/{job.pk}/figures/0/",
    ):
        assert other.get(path).status_code in (403, 404)
    s3 = boto3.client("s3", endpoint_url=s3_server)
    for key in keys_in_bucket(s3_server):
        grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"], (key, grants)
        assert all(grant["Grantee"].get("Type") == "CanonicalUser" for grant in grants)
