"""A real Celery worker process on the test database answers on its queue."""

from django.core.management import call_command

from tests.support import wait_for
from workers.models import WorkerHeartbeat
from workers.tasks import heartbeat


def test_a_worker_on_the_cpu_queue_records_its_heartbeat(celery_worker) -> None:
    celery_worker(queues="cpu")

    heartbeat.apply_async(kwargs={"queue": "cpu"}, queue="cpu")

    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(queue="cpu").first(), timeout=60)
    assert beat.hostname.startswith("test-")


def test_worker_check_fails_clearly_when_no_worker_listens(transactional_db) -> None:
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no worker answered on queue 'nobody-listens'"):
        call_command("worker_check", "--queue", "nobody-listens", "--timeout", "1")
