"""Fixtures of the rubric tests: an assignment with a rubric, and submissions of a code file and a PDF report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments import services as assignment_services
from coursesite.uploads import minimal_pdf
from rubrics import services
from rubrics.models import Kind, Rule

CODE = b"import numpy as np\n\n\ndef EvaluateClassifier(X, W, b):\n    return W @ X + b\n"


@pytest.fixture
def rubric(assignment, examiner):  # type: ignore[no-untyped-def]
    """Pass: the gradient check passes and 6 of 10 points; one bonus point per 2 points above 6 (at most 2)."""
    rubric = services.rubric_save(
        assignment=assignment, by=examiner, rule=Rule.POINTS, pass_points=6, bonus_from=6, bonus_step=2
    )
    services.criterion_save(
        rubric=rubric,
        by=examiner,
        title="Gradients checked numerically",
        kind=Kind.PASS_FAIL,
        canned=["Compare with the numerical gradient."],
    )
    services.criterion_save(
        rubric=rubric,
        by=examiner,
        title="Report: curves and discussion",
        kind=Kind.POINTS,
        max_points=10,
        canned=["Label the axes.", "Discuss the effect of lambda."],
    )
    return rubric


@pytest.fixture
def submit():  # type: ignore[no-untyped-def]
    def _submit(assignment, student, name: str = "assignment1.py", code: bytes = CODE):  # type: ignore[no-untyped-def]
        return assignment_services.submission_create(
            assignment=assignment,
            student=student,
            code=[SimpleUploadedFile(name, code, content_type="text/x-python")],
            report=SimpleUploadedFile("report.pdf", minimal_pdf("My report"), content_type="application/pdf"),
        )

    return _submit
