"""Assignment 1: the student's functions run in the sandbox; references and checks run here."""

import matplotlib.pyplot as plt
import numpy as np
import reference as ref

from workers.judge.checks import as_array, as_float, numerical_gradient, pick_entries, rel_error

K = 10
# The reference reaches about 92% on the hidden digits test batch with these settings.
BENCHMARK = {"n_batch": 100, "eta": 0.001, "n_epochs": 40}
BENCHMARK_ACCURACY = 0.85


def test_load_batch(student, student_data, public_data):
    X, Y, y = student.LoadBatch(f"{student_data}/data_batch_1")
    eX, eY, ey = ref.LoadBatch(public_data / "data_batch_1")
    X = as_array(X, eX.shape, "X (d x n)")
    Y = as_array(Y, eY.shape, "Y (K x n, one-hot)")
    y = as_array(y, ey.shape, "y (n labels)")
    assert np.allclose(X, eX), "X should hold the pixels divided by 255, one image per column"
    assert np.array_equal(Y, eY), "Y should be one-hot, one column per image"
    assert np.array_equal(y, ey), "y should hold the labels 0..9"


def test_evaluate_classifier(student, problem):
    X, _, W, b = problem
    P = as_array(student.EvaluateClassifier(X, W, b), (K, X.shape[1]), "P")
    assert np.allclose(P.sum(axis=0), 1.0), "each column of P should sum to 1 (softmax over the classes)"
    assert np.allclose(P, ref.EvaluateClassifier(X, W, b), atol=1e-10), "P differs from softmax(W X + b)"


def test_compute_cost(student, problem):
    X, Y, W, b = problem
    for lam in (0.0, 0.5):
        J = as_float(student.ComputeCost(X, Y, W, b, lam), "ComputeCost")
        expected = ref.ComputeCost(X, Y, W, b, lam)
        assert abs(J - expected) < 1e-8 * max(1.0, abs(expected)), (
            f"lambda={lam}: cost {J:.6f}, expected {expected:.6f}"
        )


def test_compute_accuracy(student, train):
    X, _, y = train
    rng = np.random.default_rng(5)
    W, b = 0.01 * rng.standard_normal((K, X.shape[0])), np.zeros((K, 1))
    acc = as_float(student.ComputeAccuracy(X, y, W, b), "ComputeAccuracy")
    expected = ref.ComputeAccuracy(X, y, W, b)
    assert abs(acc - expected) < 1e-12, f"accuracy {acc}, expected {expected} (a fraction between 0 and 1)"


def check_gradients(student, problem, lam):
    X, Y, W, b = problem
    P = ref.EvaluateClassifier(X, W, b)
    grad_W, grad_b = student.ComputeGradients(X, Y, P, W, lam)
    grad_W, grad_b = as_array(grad_W, W.shape, "grad_W"), as_array(grad_b, b.shape, "grad_b")
    cost = lambda: student.ComputeCost(X, Y, W, b, lam)  # noqa: E731 -- the student's own cost
    entries = pick_entries(W.shape, 30, np.random.default_rng(3))
    error_W = rel_error([grad_W[e] for e in entries], numerical_gradient(cost, W, entries))
    b_entries = pick_entries(b.shape, K, np.random.default_rng(4))
    error_b = rel_error([grad_b[e] for e in b_entries], numerical_gradient(cost, b, b_entries))
    assert error_W < 1e-6, f"lambda={lam}: grad_W relative error {error_W:.2e} against numerical gradients"
    assert error_b < 1e-6, f"lambda={lam}: grad_b relative error {error_b:.2e} against numerical gradients"


def test_gradients_without_regularisation(student, problem):
    check_gradients(student, problem, 0.0)


def test_gradients_with_regularisation(student, problem):
    check_gradients(student, problem, 0.1)


def weights_figure(W):
    fig, axes = plt.subplots(1, K, figsize=(K, 1.3))
    for k, ax in enumerate(axes):
        image = W[k].reshape(3, 32, 32).transpose(1, 2, 0)
        image = (image - image.min()) / max(np.ptp(image), 1e-12)
        ax.imshow(image)
        ax.set_title(str(k))
        ax.axis("off")
    return fig


def test_minibatch_gd_benchmark(student, train, test_set, figure):
    X, Y, _ = train
    rng = np.random.default_rng(2018)
    W0, b0 = 0.01 * rng.standard_normal((K, X.shape[0])), 0.01 * rng.standard_normal((K, 1))
    W, b = student.MiniBatchGD(X, Y, BENCHMARK, W0, b0, 0.0)
    W, b = as_array(W, W0.shape, "Wstar"), as_array(b, b0.shape, "bstar")
    figure("a1_weights", weights_figure(W))
    Xt, _, yt = test_set
    accuracy = ref.ComputeAccuracy(Xt, yt, W, b)
    assert accuracy >= BENCHMARK_ACCURACY, (
        f"test accuracy {accuracy:.1%} after 40 epochs, expected at least {BENCHMARK_ACCURACY:.0%}"
    )
