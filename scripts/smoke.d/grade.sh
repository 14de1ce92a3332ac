#!/usr/bin/env bash
# Smoke: a student submits the A1 reference solution through the service; the real worker grades it to the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python manage.py shell -v0 <<'PY'
import sys
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.models import Assignment
from assignments.services import submission_create
from coursesite.models import User
from coursesite.uploads import minimal_pdf
from workers.conf import demo_suite_dir
from workers.models import GradingJob

assignment = Assignment.objects.get(course__code="DD2424", number=1)
code = (demo_suite_dir("DD2424", 1) / "solutions" / "reference.py").read_bytes()
submission = submission_create(
    assignment=assignment,
    student=User.objects.get(username="student30"),
    code=[SimpleUploadedFile("assignment1.py", code)],
    report=SimpleUploadedFile("report.pdf", minimal_pdf("smoke"), content_type="application/pdf"),
)
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    job = GradingJob.objects.filter(submission=submission).first()
    if job is not None and job.is_final:
        break
    time.sleep(0.5)
else:
    sys.exit(f"grading smoke: no final result within 300 s (state {job.state if job else 'no job'})")
tests = ", ".join(f"{r.name.split('::')[-1]}={r.status}" for r in job.results.all())
print(f"grading smoke: {job.state} {job.outcome} {job.score:g}/{job.max_score:g} ({tests})")
if (job.state, job.outcome) != ("finished", "passed"):
    sys.exit("grading smoke: the A1 reference solution did not pass: " + "; ".join(job.notes))
PY
