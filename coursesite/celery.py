"""The Celery application: the autograder's distributed engine (CPU, GPU and rerun queues)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")

app = Celery("coursesite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def _private_state(**_: object) -> None:
    """Workers and beat create state private to their uid (see coursesite.state)."""
    from coursesite.state import make_state_private

    make_state_private()
