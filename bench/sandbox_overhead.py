"""Measures what the sandbox adds to a job's wall time: bare vs sandboxed runtime python."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workers.sandbox import Limits, run  # noqa: E402

RUNTIME = os.environ.get("COURSESITE_SANDBOX_RUNTIME", str(Path(__file__).resolve().parents[1] / ".runtime"))
CASES = {
    "python -c pass": "pass",
    'python -c "import numpy"': "import numpy",
    'python -c "import torch"': "import torch",
}


def bare(argv: list[str], workdir: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=workdir, env={"PATH": "/usr/bin:/bin", "HOME": workdir}, capture_output=True, check=True)
    return time.perf_counter() - t0


def sandboxed(argv: list[str], workdir: str) -> float:
    t0 = time.perf_counter()
    out = run(argv, workdir=workdir, readonly=[RUNTIME], limits=Limits())
    elapsed = time.perf_counter() - t0
    if out.status != "ok":
        raise SystemExit(f"sandboxed run failed: {out.status} {out.stderr[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="sandbox-bench-", dir="/tmp")
    python = f"{RUNTIME}/bin/python"
    print(f"{'command':28} {'bare ms':>9} {'sandbox ms':>11} {'added ms':>9} {'ratio':>6}")
    try:
        for label, code in CASES.items():
            argv = [python, "-c", code]
            bare(argv, workdir), sandboxed(argv, workdir)  # warm the page cache and our caches
            b, s = [], []
            for _ in range(args.runs):  # interleaved, so background load hits both alike
                b.append(bare(argv, workdir))
                s.append(sandboxed(argv, workdir))
            mb, ms = statistics.median(b) * 1000, statistics.median(s) * 1000
            print(f"{label:28} {mb:9.1f} {ms:11.1f} {ms - mb:9.1f} {ms / mb:6.3f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
