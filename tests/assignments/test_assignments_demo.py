"""The demo course gets its four assignments and some submissions, reviews, and late work; loading twice is safe."""

import datetime as dt

from django.utils import timezone

from assignments.models import Assignment, Review, Submission
from coursesite.demo import load_demo_course
from workers.models import Suite


def test_the_demo_has_submissions_reviews_and_late_work_and_loads_twice(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    start = timezone.localdate() - dt.timedelta(days=40)  # A1 and A2 deadlines have passed
    load_demo_course(start=start)
    counts = (Assignment.objects.count(), Submission.objects.count(), Review.objects.count())
    load_demo_course(start=start)
    assert (Assignment.objects.count(), Submission.objects.count(), Review.objects.count()) == counts
    assert counts[0] == 4
    assert Submission.objects.filter(is_late=True).exists()
    assert Review.objects.filter(passed=True, bonus__gt=0).exists()
    assert Review.objects.filter(passed=False).exclude(feedback="").exists()
    assert Submission.objects.filter(is_latest=False).exists()
    first = Submission.objects.filter(assignment__number=1).first()
    assert "def MiniBatchGD" in first.code.open("rb").read().decode("latin-1") or first.code_files()
    assert first.code_files() == ["assignment1.py"]
    assert Submission.objects.filter(submitted_at__gt=timezone.now()).count() == 0
    # Uploads are drafts; the demo activates its suites, so its students are graded.
    assert list(Suite.objects.filter(is_active=True).values_list("version", flat=True)) == [1, 1, 1, 1]
