"""Assignments of a course and their release and deadline times."""

import datetime as dt

from django.db import models
from django.utils import timezone

from coursesite.models import Course


class Assignment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    released_at = models.DateTimeField(help_text="Invisible to students before this moment.")
    deadline_at = models.DateTimeField(help_text="Soft deadline: later work is accepted and marked late.")
    bonus_max = models.PositiveSmallIntegerField(default=0, help_text="Most bonus points a review can give.")

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="one_assignment_number_per_course"),
            models.CheckConstraint(
                condition=models.Q(deadline_at__gt=models.F("released_at")), name="deadline_after_release"
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.number}: {self.title}"

    def is_released(self, now: dt.datetime | None = None) -> bool:
        return self.released_at <= (now or timezone.now())
