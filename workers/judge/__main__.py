"""`python -m workers.judge`: grade one submission against one suite (runs in the runtime)."""

import os
import sys

# The judge only checks what the student's process computes; the cores belong to that process. A second pool
# of BLAS threads here would spin between calls and compete with it (set before numpy is imported).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from workers.judge.judge import main  # noqa: E402 -- after the thread settings

code = main()
# Everything is written and reaped: skip the interpreter's teardown of pytest and numpy (tens of ms a job).
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
