"""Legitimate training code runs inside: numpy, torch, multiprocessing, a DataLoader with workers."""

from __future__ import annotations

import dataclasses

from tests.sandbox.support import SMALL

ROOMY = dataclasses.replace(SMALL, memory_mb=2048, procs=64, files=256, cpu_s=60, wall_s=60, tmpfs_mb=256)


def test_it_runs_numpy(run_python) -> None:
    out = run_python(
        """
        import numpy as np
        a = np.random.default_rng(0).standard_normal((300, 300))
        print(round(float(np.linalg.norm(a @ a.T - (a @ a.T).T)), 6))
        """,
        limits=ROOMY,
    )
    assert out.status == "ok", out.stderr
    assert out.stdout.strip() == "0.0"


def test_it_trains_a_torch_model_for_a_few_steps(run_python) -> None:
    out = run_python(
        """
        import torch
        torch.manual_seed(0)
        X = torch.randn(256, 10)
        y = X @ torch.randn(10, 1)
        model = torch.nn.Linear(10, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        first = None
        for _ in range(50):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(X), y)
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
        print(first > 10 * loss.item())
        """,
        limits=ROOMY,
    )
    assert out.status == "ok", out.stderr
    assert out.stdout.strip() == "True"


def test_it_runs_a_multiprocessing_pool(run_python) -> None:
    out = run_python(
        """
        import multiprocessing as mp

        def square(x):
            return x * x

        if __name__ == "__main__":
            with mp.Pool(2) as pool:
                print(sum(pool.map(square, range(100))))
        """,
        limits=ROOMY,
    )
    assert out.status == "ok", out.stderr
    assert out.stdout.strip() == "328350"


def test_it_runs_a_torch_dataloader_with_two_workers(run_python) -> None:
    out = run_python(
        """
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        if __name__ == "__main__":
            data = TensorDataset(torch.arange(64, dtype=torch.float32).reshape(32, 2))
            total = sum(float(batch[0].sum()) for batch in DataLoader(data, batch_size=4, num_workers=2))
            print(total)
        """,
        limits=ROOMY,
    )
    assert out.status == "ok", out.stderr
    assert out.stdout.strip() == "2016.0"


def test_it_plots_with_matplotlib_and_runs_threads_under_the_seccomp_filter(run_python) -> None:
    out = run_python(
        """
        import concurrent.futures, os
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        import scipy.linalg

        fig, ax = plt.subplots()
        ax.plot(np.arange(10), np.arange(10) ** 2)
        fig.savefig("/tmp/plot.png")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            total = sum(pool.map(lambda k: float(np.trace(scipy.linalg.inv(np.eye(40) * (k + 1)))), range(8)))
        print(os.path.getsize("/tmp/plot.png") > 1000, round(total, 6))
        """,
        limits=ROOMY,
    )
    assert out.status == "ok", out.stderr
    assert out.stdout.split() == ["True", str(round(sum(40 / (k + 1) for k in range(8)), 6))]
