"""The student's BLAS/OpenMP threads (plain Python: the worker's main process reads it without numpy).

COURSESITE_JUDGE_STUDENT_THREADS (1 to 64) when set, else the host's cores up to 4. A worker sets it for its jobs to
its share of the cores (cores_per_slot): idle OpenBLAS threads spin, and two jobs' pools on shared cores slow both.
"""

import os

THREADS_VARIABLE = "COURSESITE_JUDGE_STUDENT_THREADS"


def student_threads() -> int:
    setting = os.environ.get(THREADS_VARIABLE, "")
    if setting.isdigit() and 1 <= int(setting) <= 64:
        return int(setting)
    return cores_per_slot(1)


def cores_per_slot(slots: int) -> int:
    """Each of `slots` jobs running at once on this host gets this many BLAS threads (at least 1, at most 4)."""
    return max(1, min((os.cpu_count() or 1) // max(1, slots), 4))
