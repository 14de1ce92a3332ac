"""Celery tasks of the autograder's workers, a thin adapter: each task calls workers.lifecycle (the job's moves),
workers.fetch (its files) and the judge (workers.judge.local). The worker's liveness threads live here too."""

import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

from celery import Task, shared_task
from django.db import close_old_connections, connection
from django.utils import timezone

from . import conf, lifecycle, runtimes, services
from .fetch import fetch_source, fetch_suite, store_figures
from .models import GradingJob, Queue, WorkerHeartbeat
from .results import TestRecord

__all__ = ["fetch_source", "fetch_suite", "grade", "heartbeat", "run_job", "watchdog"]

log = logging.getLogger(__name__)


@shared_task(bind=True, name="workers.heartbeat")
def heartbeat(self: Task[Any, Any], queue: str = "cpu") -> str:
    """Record that a worker on `queue` is alive; staff pages and the smoke test read it."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, queue=queue, defaults={"seen_at": timezone.now()})
    return hostname


class WorkerPulse(threading.Thread):
    """Records every few seconds, in the worker's main process, that this worker is alive on each queue it
    serves, busy or idle (staff's queue page, the dead-worker warning, the students' estimates read it)."""

    running: list["WorkerPulse"] = []

    def __init__(self, hostname: str, queues: list[str], slots: int) -> None:
        super().__init__(daemon=True, name="worker-pulse")
        self.hostname, self.queues, self.slots, self.stop = hostname, queues, slots, threading.Event()

    @classmethod
    def start_for(cls, consumer: Any) -> None:
        queues = list(consumer.app.amqp.queues.consume_from)
        slots = int(getattr(consumer.controller, "concurrency", None) or 1)
        try:  # what this worker's name still ran when it stopped (killed, host rebooted) goes back to the queue now
            taken = lifecycle.jobs_orphaned(worker=consumer.hostname)
            if taken:
                log.warning("%s took back %d job(s) it was running when it stopped", consumer.hostname, taken)
        except Exception:  # the database is away: the watchdog takes them over later
            log.exception("could not take back the jobs %s ran before it stopped", consumer.hostname)
        finally:
            connection.close()
        pulse = cls(consumer.hostname, queues, slots)
        cls.running.append(pulse)
        pulse.start()

    @classmethod
    def stop_all(cls) -> None:
        for pulse in cls.running:
            pulse.stop.set()
            pulse.join(timeout=5)
            try:  # a worker stopped on purpose is not alive
                WorkerHeartbeat.objects.filter(hostname=pulse.hostname).delete()
            except Exception:
                log.exception("could not remove the heartbeat of %s", pulse.hostname)
            finally:
                connection.close()
        cls.running.clear()

    def run(self) -> None:
        while True:
            try:
                services.worker_pulse(hostname=self.hostname, queues=self.queues, slots=self.slots)
            except Exception:  # the database is away for a moment: try again at the next beat
                log.exception("worker heartbeat failed")
                connection.close()
            if self.stop.wait(conf.worker_pulse_s()):
                break
        connection.close()


class _Heartbeat(threading.Thread):
    """Says every few seconds that this worker still runs the job, so the watchdog leaves it alone."""

    def __init__(self, job_id: int, dispatch: int) -> None:
        super().__init__(daemon=True, name=f"grading-heartbeat-{job_id}")
        self.job_id, self.dispatch, self.stop = job_id, dispatch, threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.wait(conf.heartbeat_s()):
                lifecycle.job_heartbeat(job_id=self.job_id, dispatch=self.dispatch)
        finally:
            connection.close()


def run_job(job_id: int, dispatch: int, worker: str) -> GradingJob | None:
    """Claim, fetch, judge and record one job. Any failure of ours is an infrastructure error, retried."""
    from workers.judge.local import grade_local

    job = lifecycle.job_claim(job_id=job_id, dispatch=dispatch, worker=worker)
    if job is None:
        return None
    beat = _Heartbeat(job_id, dispatch)
    beat.start()
    tests: list[TestRecord] = []
    try:
        with tempfile.TemporaryDirectory(prefix=f"job-{job_id}-") as scratch:
            work = Path(scratch)
            work.chmod(0o711)  # noqa: S103 -- the judge's uid reaches its figures folder inside (not listable)
            suite_dir = fetch_suite(job.suite)
            source = fetch_source(job, work)
            figures_dir = work / "figures"
            figures_dir.mkdir()

            def on_result(test: TestRecord) -> None:
                lifecycle.job_record_test(job_id=job_id, dispatch=dispatch, position=len(tests), test=test)
                tests.append(test)

            gpu = conf.gpu_index() if job.suite.queue == Queue.GPU else None
            try:
                python: str | None = runtimes.python_for(job.suite.runtime)
            except (KeyError, runtimes.RuntimeConfigError):
                python = None  # grade_local says so: an infrastructure error, retried
            result = grade_local(
                suite_dir,
                source,
                on_result=on_result,
                figures_dir=figures_dir,
                gpu=gpu,
                timeout_s=conf.job_timeout_s(),
                runtime=job.suite.runtime,
                python=python,
            )
            figures = store_figures(job=job, tests=tests, paths=result.get("figures") or [])
        return lifecycle.job_finish(job_id=job_id, dispatch=dispatch, result=result, figures=figures)
    except Exception as error:
        log.exception("grading job %s failed in the worker", job_id)
        return lifecycle.job_retry_or_fail(job_id=job_id, dispatch=dispatch, note=f"{type(error).__name__}: {error}")
    finally:
        beat.stop.set()
        beat.join(timeout=5)


@shared_task(bind=True, name=lifecycle.GRADE_TASK, acks_late=True, reject_on_worker_lost=True)
def grade(self: Task[Any, Any], job_id: int, dispatch: int) -> str:
    """Grade one job. The message is acknowledged only after the result is stored (acks_late)."""
    close_old_connections()
    job = run_job(job_id, dispatch, self.request.hostname or "unknown")
    return job.state if job is not None else "stale"


@shared_task(name="workers.watchdog")
def watchdog() -> dict[str, int]:
    """Re-queue (or fail, after the last try) the jobs whose worker died; registered in beat by WorkersConfig."""
    return lifecycle.jobs_watchdog()
