"""The autograder's settings.

One precedence for every knob: this module reads only Django settings (GRADING_*); each setting's default comes
from its environment variable in coursesite/settings.py (COURSESITE_GRADING_*, COURSESITE_GPU_INDEX,
COURSESITE_SUITE_CACHE). A settings override therefore wins over the environment, and nothing here reads
os.environ.
"""

from pathlib import Path

from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _seconds(name: str) -> float:
    return float(getattr(settings, name))


def heartbeat_s() -> float:
    """How often a worker running a job says it is alive."""
    return _seconds("GRADING_HEARTBEAT_S")


def stale_after_s() -> float:
    """A running job whose heartbeat is older than this lost its worker; the watchdog takes it over."""
    return _seconds("GRADING_STALE_AFTER_S")


def resend_after_s() -> float:
    """A job the broker never got (it was down) is sent again by the watchdog once it is this old."""
    return _seconds("GRADING_RESEND_AFTER_S")


def watchdog_every_s() -> float:
    return _seconds("GRADING_WATCHDOG_EVERY_S")


def max_tries() -> int:
    """Runs of one job before an infrastructure error is final (counted only when every try failed on the file)."""
    return int(settings.GRADING_MAX_TRIES)


def retry_delay_s() -> float:
    return _seconds("GRADING_RETRY_DELAY_S")


def job_timeout_s() -> float:
    """The judge of one job is stopped after this long, whatever the suite's limits say."""
    return _seconds("GRADING_JOB_TIMEOUT_S")


def gpu_index() -> int | None:
    """The GPU this worker owns (one job per GPU): COURSESITE_GPU_INDEX, else the first one; None: no GPU."""
    value: int | None = settings.GRADING_GPU_INDEX
    return None if value is None else int(value)


def suite_cache_dir() -> Path:
    """Where a worker keeps unpacked suites by their hash, so a suite is fetched once per host: under the worker's
    state folder (not a shared /tmp path another local user could make first)."""
    return Path(settings.GRADING_SUITE_CACHE or Path(settings.VAR_DIR) / "suite-cache")


def demo_suite_dir(course_code: str, number: int) -> Path:
    return REPO_ROOT / "workers" / "suites" / course_code.lower() / f"a{number}"


def promote_after_s() -> float:
    """A job waiting longer than this in a lower queue (re-runs, reruns) moves up one queue: nothing starves."""
    return _seconds("GRADING_PROMOTE_AFTER_S")


def worker_pulse_s() -> float:
    """How often an idle or busy worker records that it is alive (WorkerHeartbeat)."""
    return _seconds("GRADING_WORKER_PULSE_S")


def worker_dead_after_s() -> float:
    """No worker heartbeat for this long: staff see a warning, waiting students that grading is delayed."""
    return _seconds("GRADING_WORKER_DEAD_AFTER_S")


def queue_warn_after_s() -> float:
    """The staff queue page warns when the oldest waiting job has waited longer than this."""
    return _seconds("GRADING_QUEUE_WARN_AFTER_S")
