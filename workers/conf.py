"""The autograder's settings, each with a default (a setting in settings.py, else an environment variable)."""

import os
from pathlib import Path

from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _number(name: str, env: str, default: float) -> float:
    value = getattr(settings, name, None)
    return float(value if value is not None else os.environ.get(env, default))


def heartbeat_s() -> float:
    """How often a worker running a job says it is alive."""
    return _number("GRADING_HEARTBEAT_S", "COURSESITE_GRADING_HEARTBEAT_S", 5)


def stale_after_s() -> float:
    """A running job whose heartbeat is older than this lost its worker; the watchdog takes it over."""
    return _number("GRADING_STALE_AFTER_S", "COURSESITE_GRADING_STALE_AFTER_S", 60)


def watchdog_every_s() -> float:
    return _number("GRADING_WATCHDOG_EVERY_S", "COURSESITE_GRADING_WATCHDOG_EVERY_S", 30)


def max_tries() -> int:
    """Runs of one job before an infrastructure error is final (counted only when every try failed on the file)."""
    return int(_number("GRADING_MAX_TRIES", "COURSESITE_GRADING_MAX_TRIES", 3))


def retry_delay_s() -> float:
    return _number("GRADING_RETRY_DELAY_S", "COURSESITE_GRADING_RETRY_DELAY_S", 5)


def job_timeout_s() -> float:
    """The judge of one job is stopped after this long, whatever the suite's limits say."""
    return _number("GRADING_JOB_TIMEOUT_S", "COURSESITE_GRADING_JOB_TIMEOUT_S", 3600)


def gpu_index() -> int | None:
    """The GPU this worker owns (one job per GPU): COURSESITE_GPU_INDEX, else the first one."""
    value = os.environ.get("COURSESITE_GPU_INDEX", getattr(settings, "GRADING_GPU_INDEX", "0"))
    return int(value) if str(value).strip() != "" else None


def suite_cache_dir() -> Path:
    """Where a worker keeps unpacked suites by their hash, so a suite is fetched once per host: under the worker's
    state folder (not a shared /tmp path another local user could make first)."""
    default = Path(settings.VAR_DIR) / "suite-cache"
    return Path(getattr(settings, "GRADING_SUITE_CACHE", None) or os.environ.get("COURSESITE_SUITE_CACHE", default))


def demo_suite_dir(course_code: str, number: int) -> Path:
    return REPO_ROOT / "workers" / "suites" / course_code.lower() / f"a{number}"


def promote_after_s() -> float:
    """A job waiting longer than this in a lower queue (re-runs, reruns) moves up one queue: nothing starves."""
    return _number("GRADING_PROMOTE_AFTER_S", "COURSESITE_GRADING_PROMOTE_AFTER_S", 600)


def worker_pulse_s() -> float:
    """How often an idle or busy worker records that it is alive (WorkerHeartbeat)."""
    return _number("GRADING_WORKER_PULSE_S", "COURSESITE_GRADING_WORKER_PULSE_S", 10)


def worker_dead_after_s() -> float:
    """No worker heartbeat for this long: staff see a warning, waiting students that grading is delayed."""
    return _number("GRADING_WORKER_DEAD_AFTER_S", "COURSESITE_GRADING_WORKER_DEAD_AFTER_S", 60)


def queue_warn_after_s() -> float:
    """The staff queue page warns when the oldest waiting job has waited longer than this."""
    return _number("GRADING_QUEUE_WARN_AFTER_S", "COURSESITE_GRADING_QUEUE_WARN_AFTER_S", 900)
