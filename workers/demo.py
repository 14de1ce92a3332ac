"""The demo course's autograder: the four reference suites uploaded and activated as version 1 (idempotent)."""

import sys

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from assignments.models import Assignment, Submission
from coursesite.demo import DemoContext

from . import conf, services
from .archives import zip_folder
from .models import GradingJob, Suite

# Latest submissions of assignment 1 the demo enqueues (graded by the demo's worker, never inside load_demo_course).
DEMO_GRADED_SUBMISSIONS = 5


def extend_demo(ctx: DemoContext) -> None:
    for assignment in Assignment.objects.filter(course=ctx.course).order_by("number"):
        if Suite.objects.filter(assignment=assignment).exists():
            continue
        folder = conf.demo_suite_dir(ctx.course.code, assignment.number)
        if not (folder / "suite.toml").is_file():
            continue
        upload = ContentFile(zip_folder(folder), name=f"{folder.name}.zip")
        try:
            suite = services.suite_upload(assignment=assignment, upload=upload, by=ctx.instructor)
            services.suite_activate(suite=suite, by=ctx.instructor)  # uploads are drafts; the demo's are live
        except ValidationError as error:
            # Usually the data is not built yet: `.runtimes/python3.12/bin/python -m workers.suites.build_data`.
            print(
                f"demo: suite of assignment {assignment.number} not uploaded: {'; '.join(error.messages)}",
                file=sys.stderr,
            )
    first = Assignment.objects.filter(course=ctx.course, number=1).first()
    if first is None:
        return
    latest = Submission.objects.filter(assignment=first, is_latest=True, grading_jobs__isnull=True).order_by("pk")
    for submission in latest[:DEMO_GRADED_SUBMISSIONS]:
        if not GradingJob.objects.filter(submission=submission).exists():
            services.grading_enqueue_submission(submission=submission)
