"""Celery tasks of the autograder's workers: heartbeat, grading a job, and the watchdog."""

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection
from django.utils import timezone

from . import conf, services
from .archives import safe_extract, suite_root
from .judge.launcher import judge_ids
from .models import GradingJob, Queue, Suite, WorkerHeartbeat

log = logging.getLogger(__name__)


@shared_task(bind=True, name="workers.heartbeat")
def heartbeat(self, queue: str = "cpu") -> str:  # type: ignore[no-untyped-def]
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


def _protect(root: Path) -> None:
    """The tests and hidden data are the worker's and, read-only, the judge's (its group, where the judge has a
    uid of its own); the sandbox's uids may read public_data only. Other folders are traverse-only for others
    (o+x) so that the sandbox's uid can reach public_data inside them.
    """
    ids = judge_ids()
    gid = ids[1] if ids is not None else -1
    folder_mode, file_mode = (0o750, 0o640) if ids is not None else (0o700, 0o600)
    for folder, _dirs, files in os.walk(root):
        public = "public_data" in Path(folder).relative_to(root).parts
        os.chown(folder, -1, gid, follow_symlinks=False)
        os.chmod(folder, 0o755 if public else folder_mode | 0o001)  # noqa: S103 (public_data: read-only in the sandbox)
        for name in files:
            path = os.path.join(folder, name)
            os.chown(path, -1, gid, follow_symlinks=False)
            os.chmod(path, 0o644 if public else file_mode, follow_symlinks=False)


def _own_folder(path: Path) -> None:
    """The suite cache: a real folder of the worker's own (not one another local user made or links elsewhere)."""
    var = Path(settings.VAR_DIR)
    if path.parent == var and not var.exists():
        var.mkdir(mode=0o711, parents=True)  # traverse only: the judge's uid reaches the cache through it
        os.chmod(var, 0o711)  # noqa: S103 (mkdir's mode is cut by the umask)
    path.mkdir(parents=True, exist_ok=True)
    st = path.lstat()
    if not path.is_dir() or path.is_symlink() or st.st_uid != os.geteuid():
        raise RuntimeError(f"the suite cache {path} is not a folder owned by the worker's uid {os.geteuid()}")
    os.chmod(path, 0o711)  # noqa: S103 (traverse only)


def fetch_suite(suite: Suite) -> Path:
    """The suite unpacked on this host, fetched through the storage API once per version (cached by hash)."""
    cache = conf.suite_cache_dir()
    target = cache / suite.sha256
    _own_folder(cache)
    if (target / ".complete").is_file():
        return suite_root(target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{suite.sha256[:12]}-", dir=cache))
    with default_storage.open(suite.archive.name, "rb") as archive:
        safe_extract(archive, scratch)
    _protect(scratch)
    (scratch / ".complete").touch()
    try:
        scratch.rename(target)
    except OSError:  # another process on this host unpacked it first
        shutil.rmtree(scratch, ignore_errors=True)
    return suite_root(target)


def fetch_source(job: GradingJob, folder: Path) -> Path:
    """The submission's zip (or the staff's trial file) copied from the storage into `folder`."""
    name = job.trial_file.name if job.trigger == GradingJob.Trigger.TRIAL else job.submission.code.name  # type: ignore[union-attr]
    suffix = Path(name).suffix.lower() or ".zip"
    target = folder / f"submission{suffix}"
    with default_storage.open(name, "rb") as source, target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
    return target


class _Heartbeat(threading.Thread):
    """Says every few seconds that this worker still runs the job, so the watchdog leaves it alone."""

    def __init__(self, job_id: int, dispatch: int) -> None:
        super().__init__(daemon=True, name=f"grading-heartbeat-{job_id}")
        self.job_id, self.dispatch, self.stop = job_id, dispatch, threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.wait(conf.heartbeat_s()):
                services.job_heartbeat(job_id=self.job_id, dispatch=self.dispatch)
        finally:
            connection.close()


def run_job(job_id: int, dispatch: int, worker: str) -> GradingJob | None:
    """Claim, fetch, judge and record one job. Any failure of ours is an infrastructure error, retried."""
    from workers.judge.local import grade_local

    job = services.job_claim(job_id=job_id, dispatch=dispatch, worker=worker)
    if job is None:
        return None
    beat = _Heartbeat(job_id, dispatch)
    beat.start()
    tests: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix=f"job-{job_id}-") as scratch:
            work = Path(scratch)
            work.chmod(0o711)  # noqa: S103 -- the judge's uid reaches its figures folder inside (not listable)
            suite_dir = fetch_suite(job.suite)
            source = fetch_source(job, work)
            figures_dir = work / "figures"
            figures_dir.mkdir()

            def on_result(test: dict[str, Any]) -> None:
                services.job_record_test(job_id=job_id, dispatch=dispatch, position=len(tests), test=test)
                tests.append(test)

            gpu = conf.gpu_index() if job.suite.queue == Queue.GPU else None
            result = grade_local(
                suite_dir,
                source,
                on_result=on_result,
                figures_dir=figures_dir,
                gpu=gpu,
                timeout_s=conf.job_timeout_s(),
                runtime=job.suite.runtime,
            )
            figures = services.job_store_figures(job=job, tests=tests, paths=result.get("figures") or [])
        return services.job_finish(job_id=job_id, dispatch=dispatch, result=result, figures=figures)
    except Exception as error:
        log.exception("grading job %s failed in the worker", job_id)
        return services.job_retry_or_fail(job_id=job_id, dispatch=dispatch, note=f"{type(error).__name__}: {error}")
    finally:
        beat.stop.set()
        beat.join(timeout=5)


@shared_task(bind=True, name="workers.grade", acks_late=True, reject_on_worker_lost=True)
def grade(self, job_id: int, dispatch: int) -> str:  # type: ignore[no-untyped-def]
    """Grade one job. The message is acknowledged only after the result is stored (acks_late)."""
    close_old_connections()
    job = run_job(job_id, dispatch, self.request.hostname or "unknown")
    return job.state if job is not None else "stale"


@shared_task(name="workers.watchdog")
def watchdog() -> dict[str, int]:
    """Re-queue (or fail, after the last try) the jobs whose worker died; registered in beat by WorkersConfig."""
    return services.jobs_watchdog()
