"""Judge-side data for the assignment 3 tests (loaded with the reference, never by the student)."""

import numpy as np
import pytest
import reference as ref


@pytest.fixture(scope="session")
def train(public_data):
    return ref.LoadBatch(public_data / "data_batch_1")


@pytest.fixture(scope="session")
def test_set(hidden_data):
    return ref.LoadBatch(hidden_data / "test_batch")


@pytest.fixture
def problem(train):
    """A small float64 3-layer problem (10 busy pixels, 12 images, hidden [8, 6]) with
    non-trivial gamma, beta and b, for value and gradient checks."""
    X, Y, _ = train
    rng = np.random.default_rng(31)
    busy = np.argsort(X.var(axis=1))[-200:]
    features = rng.choice(busy, size=10, replace=False)
    samples = rng.choice(X.shape[1], size=12, replace=False)
    NN = ref.InitParams(10, [8, 6], 10, 3)
    for key in ("gamma", "beta", "b"):
        NN[key] = [a + 0.3 * rng.standard_normal(a.shape) for a in NN[key]]
    return X[np.ix_(features, samples)].copy(), Y[:, samples].copy(), NN


@pytest.fixture
def running(problem):
    """Running averages that differ clearly from any one batch's statistics."""
    X, _, NN = problem
    _, stats = ref.EvaluateClassifier(X, NN)
    rng = np.random.default_rng(32)
    return {
        "mu": [m + 0.5 * rng.standard_normal(m.shape) for m in stats["mu"]],
        "var": [v * rng.uniform(0.5, 2.0, v.shape) for v in stats["var"]],
    }
