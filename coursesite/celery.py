"""The Celery application: the autograder's distributed engine (CPU, GPU and rerun queues)."""

import os

from celery import Celery, signals

from workers.lanes import serve_queues_in_order, served

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")

serve_queues_in_order()  # the embedded brokers serve a worker's queues in priority order, as Redis does
app = Celery("coursesite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def _private_state(**_: object) -> None:
    """Workers and beat create state private to their uid (see coursesite.state)."""
    from coursesite.state import make_state_private

    make_state_private()


@signals.celeryd_after_setup.connect
def _serve_lanes(sender: str, instance: object, **_: object) -> None:
    """A worker on `cpu` also serves `cpu-again` right after it (and `gpu` its two lower queues): see workers.lanes."""
    queues = instance.app.amqp.queues  # type: ignore[attr-defined]
    queues.select(served(queues.consume_from))


@signals.worker_ready.connect
def _start_pulse(sender: object, **_: object) -> None:
    from workers.tasks import WorkerPulse

    WorkerPulse.start_for(sender)


@signals.worker_shutdown.connect
def _stop_pulse(**_: object) -> None:
    from workers.tasks import WorkerPulse

    WorkerPulse.stop_all()
