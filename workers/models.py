"""Autograder records kept by the web side: worker heartbeats (grading jobs are added by the autograder)."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """Last time a worker on a queue answered, so staff can see that grading is alive."""

    hostname = models.CharField(max_length=200)
    queue = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hostname", "queue"], name="one_heartbeat_per_worker_queue")]

    def __str__(self) -> str:
        return f"{self.hostname} on {self.queue} at {self.seen_at:%H:%M:%S}"
