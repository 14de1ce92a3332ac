"""Judge overhead: the A1 suite on the reference through judge + sandbox vs. in one bare process.

Run with the grading runtime: `.runtime/bin/python bench/judge_overhead.py [--repeat N] [--scale cifar]` (judge
and bare runs alternate; the ratio is of the medians).

`--scale cifar` runs the same suite on data of CIFAR-10's shape (10,000 images x 3,072 values per batch, 245 MB per
float64 matrix), built here from the digits: each image drawn again, shifted by up to two pixels, with noise in each
colour plane. The suite is copied to a scratch folder with that data, so the repository's own data is untouched.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "workers" / "suites" / "dd2424" / "a1"
REFERENCE = SUITE / "solutions" / "reference.py"


class InProcessCaller:
    """The `student` fixture's back end without a sandbox: the module imported right here."""

    def __init__(self, path: Path) -> None:
        spec = importlib.util.spec_from_file_location("student_reference", path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], deadline: float) -> Any:
        return getattr(self.module, name)(*args, **kwargs)


def in_process(scratch: Path, suite_dir: Path = SUITE) -> int:
    """The suite's tests with the same plugin, but the student's functions called directly."""
    import pytest

    from workers.judge.judge import pytest_args
    from workers.judge.plugin import JudgePlugin
    from workers.judge.suite import load_suite

    suite = load_suite(suite_dir)
    with (scratch / "results.jsonl").open("w") as results:
        plugin = JudgePlugin(
            suite, InProcessCaller(REFERENCE), results, scratch / "figures", student_data_dir=str(suite.public_data)
        )
        code = pytest.main(pytest_args(suite), plugins=[plugin])
    passed = all(record["status"] == "passed" for record in plugin.records)
    return 0 if code == 0 and passed else 1


CIFAR_IMAGES = 10_000
CIFAR_SEED = 1010


def cifar_batch(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, name: str) -> bytes:
    """CIFAR-10-shaped rows from the 8x8 digits: upsampled, shifted, noisy per colour plane, as a python batch."""
    pick = rng.integers(0, len(images), CIFAR_IMAGES)
    big = np.kron(images[pick], np.ones((1, 4, 4))) * (255.0 / 16.0)
    shifts = rng.integers(-2, 3, size=(CIFAR_IMAGES, 2))
    planes = []
    for _colour in range(3):
        plane = np.empty_like(big)
        for i, (dy, dx) in enumerate(shifts):
            plane[i] = np.roll(big[i], (dy, dx), axis=(0, 1))
        plane += rng.normal(0.0, 24.0, plane.shape)
        planes.append(np.clip(np.rint(plane), 0, 255).astype(np.uint8).reshape(CIFAR_IMAGES, 1024))
    batch = {
        b"batch_label": f"{name} (digits at CIFAR-10 scale)".encode(),
        b"labels": [int(label) for label in labels[pick]],
        b"data": np.concatenate(planes, axis=1),
        b"filenames": [f"digit_{i:05d}.png".encode() for i in range(CIFAR_IMAGES)],
    }
    return pickle.dumps(batch, protocol=2)


def cifar_suite(folder: Path) -> Path:
    """A copy of the A1 suite under `folder` whose batches have CIFAR-10's shape (built once per folder)."""
    suite = folder / "a1-cifar"
    if (suite / "suite.toml").is_file():
        return suite
    from sklearn.datasets import load_digits

    shutil.copytree(SUITE, suite, ignore=shutil.ignore_patterns("*_data", "__pycache__"))
    digits = load_digits()
    rng = np.random.default_rng(CIFAR_SEED)
    for name, sub in (("data_batch_1", "public_data"), ("data_batch_2", "public_data"), ("test_batch", "hidden_data")):
        (suite / sub).mkdir(exist_ok=True)
        (suite / sub / name).write_bytes(cifar_batch(digits.images, digits.target, rng, name))
    for path in [suite, *suite.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return suite


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--scale", choices=("digits", "cifar"), default="digits")
    parser.add_argument(
        "--threads", type=int, help="BLAS threads of the student's process and of the bare run (default: each's own)"
    )
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "coursesite-bench-cifar")
    parser.add_argument("--in-process", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--suite", type=Path, default=SUITE, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.in_process, args.suite)
    subprocess.run([sys.executable, "-m", "workers.suites.build_data"], cwd=REPO, check=True, capture_output=True)
    suite_dir, target = SUITE, 1.15
    if args.scale == "cifar":
        args.data_dir.mkdir(mode=0o755, exist_ok=True)
        args.data_dir.chmod(0o755)
        suite_dir, target = cifar_suite(args.data_dir), 1.05
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg", "HOME": "/tmp"}
    bare_env = dict(env)
    if args.threads:
        env["COURSESITE_JUDGE_STUDENT_THREADS"] = str(args.threads)
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            bare_env[variable] = str(args.threads)
    sandboxed, bare = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            work.chmod(0o711)
            submission = work / "submission"
            submission.mkdir()
            (submission / "assignment1.py").write_text(REFERENCE.read_text())
            argv = [sys.executable, "-m", "workers.judge", "--suite", str(suite_dir), "--submission", str(submission)]
            argv += ["--results", str(work / "results.jsonl"), "--figures", str(work / "figures")]
            sandboxed.append(timed(argv, env))
            summary = json.loads((work / "results.jsonl").read_text().splitlines()[-1])
            assert summary["outcome"] == "passed", summary
        with tempfile.TemporaryDirectory() as scratch:
            bare_argv = [sys.executable, __file__, "--in-process", scratch, "--suite", str(suite_dir)]
            bare.append(timed(bare_argv, bare_env))
    judge_s, bare_s = statistics.median(sandboxed), statistics.median(bare)
    threads = f", {args.threads} BLAS thread(s)" if args.threads else ""
    cores = os.cpu_count()
    print(f"A1 suite ({args.scale} scale), reference solution, median of {args.repeat} runs on {cores} cores{threads}")
    print(f"  load average    : {' '.join(f'{load:.1f}' for load in os.getloadavg())} (at the end)")
    print(f"  judge + sandbox : {judge_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in sandboxed)})")
    print(f"  one process     : {bare_s:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in bare)})")
    fastest = min(sandboxed) / min(bare)
    print(f"  ratio           : {judge_s / bare_s:6.2f}  (target <= {target}; of the fastest runs: {fastest:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
