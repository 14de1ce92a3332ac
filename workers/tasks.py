"""Celery tasks of the autograder's workers."""

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(bind=True, name="workers.heartbeat")
def heartbeat(self, queue: str = "cpu") -> str:  # type: ignore[no-untyped-def]
    """Record that a worker on `queue` is alive; staff pages and the smoke test read it."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, queue=queue, defaults={"seen_at": timezone.now()})
    return hostname
