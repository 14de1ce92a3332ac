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


@signals.celeryd_after_setup.connect
def _share_cores(sender: str, instance: object, **_: object) -> None:
    """Unless COURSESITE_JUDGE_STUDENT_THREADS says otherwise, each of this worker's slots gives its student the
    slot's share of the cores (a worker of concurrency 2 on 2 cores: 1 thread each, not 2 that fight). Several
    worker processes on one host do not know of each other: set the variable there (the surge bench does)."""
    from workers.judge.threads import THREADS_VARIABLE, cores_per_slot

    os.environ.setdefault(THREADS_VARIABLE, str(cores_per_slot(int(instance.concurrency or 1))))  # type: ignore[attr-defined]


@signals.worker_ready.connect
def _start_pulse(sender: object, **_: object) -> None:
    from workers.tasks import WorkerPulse

    WorkerPulse.start_for(sender)


@signals.worker_shutdown.connect
def _stop_pulse(**_: object) -> None:
    from workers.tasks import WorkerPulse

    WorkerPulse.stop_all()
