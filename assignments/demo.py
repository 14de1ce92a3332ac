"""The demo course's four assignments (dates of shared/COURSE.md), with some submissions and reviews."""

import datetime as dt
import io
import zipfile

from django.core.files.base import ContentFile
from django.utils import timezone

from coursesite.demo import DemoContext
from coursesite.uploads import minimal_pdf, store_by_hash

from .models import Assignment, Review, Submission

# (number, title, released days after lecture 1, deadline days after lecture 1, bonus maximum)
DEMO_ASSIGNMENTS = [
    (1, "One-layer softmax classifier, mini-batch gradient descent", 4, 24, 2),
    (2, "Two-layer network, cyclical learning rates, lambda search", 8, 31, 3),
    (3, "k-layer network with batch normalisation", 22, 43, 3),
    (4, "Vanilla RNN: character-level text synthesis with AdaGrad", 29, 53, 3),
]

A1_SOLUTION = '''"""Assignment 1: a one-layer softmax classifier trained with mini-batch gradient descent."""

import pickle

import numpy as np


def LoadBatch(filename):
    """X (d x n) in [0, 1], Y (K x n) one-hot, y (n,) labels, from a CIFAR-10 python batch."""
    with open(filename, "rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    X = batch[b"data"].T.astype(np.float64) / 255.0
    y = np.asarray(batch[b"labels"])
    Y = np.zeros((10, X.shape[1]))
    Y[y, np.arange(X.shape[1])] = 1
    return X, Y, y


def EvaluateClassifier(X, W, b):
    s = W @ X + b
    s = s - s.max(axis=0, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=0, keepdims=True)


def ComputeCost(X, Y, W, b, lam):
    P = EvaluateClassifier(X, W, b)
    loss = -np.sum(Y * np.log(P)) / X.shape[1]
    return loss + lam * np.sum(W * W)


def ComputeAccuracy(X, y, W, b):
    return float(np.mean(np.argmax(EvaluateClassifier(X, W, b), axis=0) == y))


def ComputeGradients(X, Y, P, W, lam):
    n = X.shape[1]
    G = -(Y - P)
    grad_W = G @ X.T / n + 2 * lam * W
    grad_b = G.sum(axis=1, keepdims=True) / n
    return grad_W, grad_b


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    n_batch, eta, n_epochs = GDparams
    n = X.shape[1]
    for _ in range(n_epochs):
        for start in range(0, n, n_batch):
            Xb, Yb = X[:, start : start + n_batch], Y[:, start : start + n_batch]
            grad_W, grad_b = ComputeGradients(Xb, Yb, EvaluateClassifier(Xb, W, b), W, lam)
            W = W - eta * grad_W
            b = b - eta * grad_b
    return W, b
'''

STUB = '''"""Assignment {number}: work in progress."""

import numpy as np


def main():
    rng = np.random.default_rng(400)
    print("assignment {number}", rng.standard_normal(3))


if __name__ == "__main__":
    main()
'''

FEEDBACK_PASS = [
    "Clean, well-structured code and a clear report. The gradient check is convincing.",
    "Good work. The learning-curve figures would read better with labelled axes.",
    "Passed. Nice extra experiments for the bonus: the ensemble and the data augmentation both helped.",
]
FEEDBACK_FAIL = (
    "The gradients do not match the numerical ones (relative error about 1e-2): check the regularisation term "
    "in ComputeGradients. The report also lacks the loss curves. Fix these and resubmit."
)


def _code_zip(number: int, author: str) -> bytes:
    text = A1_SOLUTION if number == 1 else STUB.format(number=number)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"assignment{number}.py", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(info, f"# {author}\n{text}")
    return out.getvalue()


def _submit(ctx: DemoContext, assignment: Assignment, student, at: dt.datetime) -> Submission:  # type: ignore[no-untyped-def]
    code = store_by_hash(
        ContentFile(_code_zip(assignment.number, student.username), name="code.zip"),
        folder="submissions/code",
        extension=".zip",
    )
    report = store_by_hash(
        ContentFile(
            minimal_pdf(f"Assignment {assignment.number} report by {student.display_name}"),
            name=f"report-a{assignment.number}.pdf",
        ),
        folder="submissions/reports",
        extension=".pdf",
    )
    Submission.objects.filter(assignment=assignment, student=student, is_latest=True).update(is_latest=False)
    return Submission.objects.create(
        assignment=assignment,
        student=student,
        submitted_at=at,
        is_late=at > assignment.deadline_at,
        code=code.name,
        code_sha256=code.sha256,
        code_size=code.size,
        report=report.name,
        report_sha256=report.sha256,
        report_name=report.original_name,
    )


def _demo_submissions(ctx: DemoContext, assignment: Assignment) -> list[Submission]:
    """Twelve students submit each released assignment: two late when the deadline has passed, some reviewed."""
    now = timezone.now()
    if not assignment.is_released(now):
        return []
    latest_possible = now - dt.timedelta(minutes=30)
    deadline_passed = assignment.deadline_at < latest_possible
    made = []
    for i, student in enumerate(ctx.students[:12]):
        if Submission.objects.filter(assignment=assignment, student=student).exists():
            continue  # idempotent: this student's demo work exists already
        late = deadline_passed and i >= 10
        start = assignment.deadline_at + dt.timedelta(hours=6) if late else assignment.released_at
        at = min(start + dt.timedelta(hours=7 * (i + 1)), latest_possible)
        if not late:
            at = min(at, assignment.deadline_at - dt.timedelta(minutes=1))
        if i == 0:  # a resubmission: the history keeps the first one
            _submit(ctx, assignment, student, at - dt.timedelta(hours=5))
        submission = _submit(ctx, assignment, student, at)
        made.append(submission)
        if i < 6:  # reviewed: five passes with bonus, one fail
            reviewer = ctx.tas[i % len(ctx.tas)]
            passed = i != 5
            Submission.objects.filter(pk=submission.pk).update(claimed_by=reviewer, claimed_at=at)
            Review.objects.create(
                submission=submission,
                reviewer=reviewer,
                passed=passed,
                bonus=min(i % 3, assignment.bonus_max) if passed else 0,
                feedback=FEEDBACK_PASS[i % 3] if passed else FEEDBACK_FAIL,
                reviewed_at=min(at + dt.timedelta(days=1), now),
            )
        elif i == 6:  # in review
            Submission.objects.filter(pk=submission.pk).update(claimed_by=ctx.tas[0], claimed_at=now)
    return made


def extend_demo(ctx: DemoContext) -> None:
    made = []
    for number, title, released, deadline, bonus_max in DEMO_ASSIGNMENTS:
        assignment, _ = Assignment.objects.update_or_create(
            course=ctx.course,
            number=number,
            defaults={
                "title": title,
                "released_at": ctx.at(released, 17),  # released after the lecture
                "deadline_at": ctx.end_of(deadline),
                "bonus_max": bonus_max,
            },
        )
        made += _demo_submissions(ctx, assignment)
    ctx.extra["assignment_submissions"] = made
