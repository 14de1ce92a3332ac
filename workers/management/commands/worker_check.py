"""Enqueue a heartbeat on a queue and wait until a worker has answered: is grading alive?"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat


class Command(BaseCommand):
    help = "Send a heartbeat task to a queue and wait for a worker to record it."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--queue", default="cpu")
        parser.add_argument("--timeout", type=float, default=60)

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        queue, sent_at = options["queue"], timezone.now()
        heartbeat.apply_async(kwargs={"queue": queue}, queue=queue)
        deadline = time.monotonic() + options["timeout"]
        while time.monotonic() < deadline:
            beat = WorkerHeartbeat.objects.filter(queue=queue, seen_at__gte=sent_at).first()
            if beat:
                self.stdout.write(f"worker {beat.hostname} answered on queue {queue}")
                return
            time.sleep(0.2)
        raise CommandError(f"no worker answered on queue {queue!r} within {options['timeout']} s")
