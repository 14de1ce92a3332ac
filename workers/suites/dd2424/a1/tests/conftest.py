"""Judge-side data for the assignment 1 tests (loaded with the reference, never by the student)."""

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
    """A small float64 problem (20 busy pixels, 10 images) for value and gradient checks."""
    X, Y, _ = train
    rng = np.random.default_rng(11)
    busy = np.argsort(X.var(axis=1))[-200:]
    features = rng.choice(busy, size=20, replace=False)
    samples = rng.choice(X.shape[1], size=10, replace=False)
    Xs, Ys = X[np.ix_(features, samples)].copy(), Y[:, samples].copy()
    W = 0.1 * rng.standard_normal((10, 20))
    b = 0.1 * rng.standard_normal((10, 1))
    return Xs, Ys, W, b
