"""Reads of the LTI tool: the score sends of a course, for its staff page."""

from django.db.models import Count, Exists, OuterRef, QuerySet

from coursesite.models import Course

from .models import ScoreSend


def score_sends(*, course: Course, status: str = "") -> QuerySet[ScoreSend]:
    """Newest first, each marked `replaced` where a newer score of that student for that item exists."""
    newer = ScoreSend.objects.filter(
        platform=OuterRef("platform"), item=OuterRef("item"), student=OuterRef("student"), pk__gt=OuterRef("pk")
    )
    sends = (
        ScoreSend.objects.filter(platform__course=course)
        .select_related("student", "platform")
        .annotate(replaced=Exists(newer))
    )
    return sends.filter(status=status) if status else sends


def score_send_counts(*, course: Course) -> dict[str, int]:
    rows = ScoreSend.objects.filter(platform__course=course).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in ScoreSend.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
