#!/usr/bin/env bash
# GPU smoke: a small torch training submission through the gpu path (gpu suite -> gpu queue -> a worker that owns
# GPU $COURSESITE_GPU_INDEX -> judge -> sandbox with the device bound in). Prints the device name and the times.
# On a machine without an NVIDIA GPU it says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
export COURSESITE_GPU_INDEX="${COURSESITE_GPU_INDEX:-0}"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu smoke: no NVIDIA GPU on this machine (nvidia-smi finds none); nothing to run."
  exit 0
fi
device="$(nvidia-smi --query-gpu=name --format=csv,noheader -i "$COURSESITE_GPU_INDEX")"
# The suite below is a GPU one: it runs in the torch runtime (workers/runtimes.py).
runtime="$(.venv/bin/python -c 'from workers import runtimes; print(runtimes.python_for(runtimes.TORCH))')"
if ! "$runtime" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "gpu smoke: GPU $COURSESITE_GPU_INDEX is $device, but the grading runtime's torch has no CUDA:" \
       "install the CUDA build of torch into $runtime's environment." >&2
  exit 1
fi
unset DATABASE_URL CELERY_BROKER_URL
export DEBUG=1 COURSESITE_VAR_DIR
COURSESITE_VAR_DIR="$(mktemp -d)"
mkdir -p "$COURSESITE_VAR_DIR/broker/queue" "$COURSESITE_VAR_DIR/broker/processed" "$COURSESITE_VAR_DIR/suite/tests"
py=.venv/bin/python
cat >"$COURSESITE_VAR_DIR/suite/suite.toml" <<'TOML'
name = "GPU smoke: train a small MLP on the GPU"
assignment = "DD2424/1"
queue = "gpu"
runtime = "torch"
required = ["Train"]

[limits]
per_test_timeout_s = 300
import_timeout_s = 120

[tests.test_trains_on_the_gpu]
points = 1
TOML
cat >"$COURSESITE_VAR_DIR/suite/tests/test_gpu.py" <<'PYTEST'
def test_trains_on_the_gpu(student):
    result = student.Train(200)
    assert result["device"] == "cuda", f"the training ran on {result['device']}, not on the GPU"
    assert result["last_loss"] < result["first_loss"], f"the loss did not decrease: {result}"
PYTEST
cat >"$COURSESITE_VAR_DIR/train.py" <<'PYSTUDENT'
import time

import torch


def Train(steps):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    X = torch.randn(4096, 256, device=device)
    y = (X[:, :10].sum(dim=1) > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 2)).to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    started, losses = time.perf_counter(), []
    for _ in range(int(steps)):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimiser.step()
        losses.append(float(loss))
    return {"device": device.type, "first_loss": losses[0], "last_loss": losses[-1],
            "seconds": time.perf_counter() - started}
PYSTUDENT
$py manage.py migrate --noinput -v0
$py -m celery -A coursesite worker -Q gpu --concurrency 1 --loglevel WARNING >"$COURSESITE_VAR_DIR/worker.log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null; rm -rf "$COURSESITE_VAR_DIR"' EXIT
echo "gpu smoke: GPU $COURSESITE_GPU_INDEX is $device"
$py manage.py shell -v0 <<'PY'
import datetime as dt
import os
import sys
import time
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assignments.models import Assignment
from assignments.services import submission_create
from coursesite.models import Course, Membership, Role, User
from coursesite.uploads import minimal_pdf
from workers.archives import zip_folder
from workers.models import GradingJob
from workers.services import suite_activate, suite_upload

var = Path(os.environ["COURSESITE_VAR_DIR"])
course = Course.objects.create(code="DD2424", name="GPU smoke", term="VT")
now = timezone.now()
assignment = Assignment.objects.create(
    course=course, number=1, title="GPU", released_at=now - dt.timedelta(days=1), deadline_at=now + dt.timedelta(days=1)
)
student = User.objects.create_user("gpu-student")
Membership.objects.create(user=student, course=course, role=Role.STUDENT)
suite_activate(suite=suite_upload(assignment=assignment, upload=ContentFile(zip_folder(var / "suite"), name="suite.zip"), by=None), by=None)
started = time.perf_counter()
submission = submission_create(
    assignment=assignment,
    student=student,
    code=[SimpleUploadedFile("train.py", (var / "train.py").read_bytes())],
    report=SimpleUploadedFile("report.pdf", minimal_pdf("gpu"), content_type="application/pdf"),
)
while time.perf_counter() - started < 540:
    job = GradingJob.objects.filter(submission=submission).first()
    if job is not None and job.is_final:
        break
    time.sleep(0.2)
else:
    sys.exit("gpu smoke: no result within 540 s; see worker.log")
total = time.perf_counter() - started
test = job.results.first()
print(f"gpu smoke: {job.state} {job.outcome} on the {job.queue} queue by {job.worker}")
if test is not None:
    print(f"gpu smoke: test {test.name.split('::')[-1]}: {test.status} in {test.seconds:.2f} s {test.message}")
print(f"gpu smoke: submit-to-result {total:.2f} s")
if (job.state, job.outcome) != ("finished", "passed"):
    sys.exit("gpu smoke failed: " + "; ".join(job.notes))
PY
