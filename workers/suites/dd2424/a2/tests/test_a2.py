"""Assignment 2: the student's functions run in the sandbox; references and checks run here."""

import matplotlib.pyplot as plt
import numpy as np
import reference as ref

from workers.judge.checks import as_array, as_float, numerical_gradient, pick_entries, rel_error

K, M = 10, 50
# The reference reaches about 96% on the hidden digits test batch with one cycle of these.
BENCHMARK = {"n_batch": 100, "eta_min": 1e-5, "eta_max": 1e-1, "n_s": 100, "n_cycles": 1}
BENCHMARK_LAMBDA = 0.01
BENCHMARK_ACCURACY = 0.90


def test_init_params(student):
    d = 3072
    W, b = student.InitParams(d, M, K, 1)
    W1, W2 = as_array(W[0], (M, d), "W1"), as_array(W[1], (K, M), "W2")
    b1, b2 = as_array(b[0], (M, 1), "b1"), as_array(b[1], (K, 1), "b2")
    assert not b1.any() and not b2.any(), "the biases should start at zero"
    assert abs(W1.std() * np.sqrt(d) - 1) < 0.05, (
        f"W1 should have std 1/sqrt(d) = {1 / np.sqrt(d):.4f}, has {W1.std():.4f}"
    )
    assert abs(W2.std() * np.sqrt(M) - 1) < 0.2, (
        f"W2 should have std 1/sqrt(m) = {1 / np.sqrt(M):.4f}, has {W2.std():.4f}"
    )


def test_evaluate_classifier(student, problem):
    X, _, W, b = problem
    H, P = student.EvaluateClassifier(X, W, b)
    eH, eP = ref.EvaluateClassifier(X, W, b)
    assert np.allclose(as_array(H, eH.shape, "H"), eH, atol=1e-10), "H differs from max(0, W1 X + b1)"
    assert np.allclose(as_array(P, eP.shape, "P"), eP, atol=1e-10), "P differs from softmax(W2 H + b2)"


def test_compute_cost(student, problem):
    X, Y, W, b = problem
    for lam in (0.0, 0.5):
        J = as_float(student.ComputeCost(X, Y, W, b, lam), "ComputeCost")
        expected = ref.ComputeCost(X, Y, W, b, lam)
        assert abs(J - expected) < 1e-8 * max(1.0, abs(expected)), (
            f"lambda={lam}: cost {J:.6f}, expected {expected:.6f}"
        )


def check_gradients(student, problem, lam):
    X, Y, W, b = problem
    grad_W, grad_b = student.ComputeGradients(X, Y, W, b, lam)
    cost = lambda: student.ComputeCost(X, Y, W, b, lam)  # noqa: E731 -- the student's own cost
    rng = np.random.default_rng(8)
    for name, params, grads in (("W", W, grad_W), ("b", b, grad_b)):
        for layer in range(2):
            analytic = as_array(grads[layer], params[layer].shape, f"grad_{name}{layer + 1}")
            entries = pick_entries(params[layer].shape, 15, rng)
            numerical = numerical_gradient(cost, params[layer], entries)
            error = rel_error([analytic[e] for e in entries], numerical)
            assert error < 1e-6, (
                f"lambda={lam}: grad_{name}{layer + 1} relative error {error:.2e} against numerical gradients"
            )


def test_gradients_without_regularisation(student, problem):
    check_gradients(student, problem, 0.0)


def test_gradients_with_regularisation(student, problem):
    check_gradients(student, problem, 0.1)


def test_cyclic_eta(student):
    eta_min, eta_max, n_s = 1e-5, 1e-1, 500
    for t in (0, 1, 250, 499, 500, 501, 750, 999, 1000, 1001, 1500, 2250, 4000):
        eta = as_float(student.CyclicEta(t, eta_min, eta_max, n_s), "CyclicEta")
        expected = ref.CyclicEta(t, eta_min, eta_max, n_s)
        assert abs(eta - expected) < 1e-12, f"eta at t={t} is {eta:.6g}, expected {expected:.6g}"


def cost_figure(costs):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(np.arange(1, len(costs) + 1), costs, marker=".")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cost")
    fig.tight_layout()
    return fig


def test_minibatch_gd_benchmark(student, train, test_set, figure):
    X, Y, _ = train
    W0, b0 = ref.InitParams(X.shape[0], M, K, 2018)
    W, b, costs = student.MiniBatchGD(X, Y, BENCHMARK, W0, b0, BENCHMARK_LAMBDA)
    W = [as_array(W[i], W0[i].shape, f"W{i + 1}") for i in range(2)]
    b = [as_array(b[i], b0[i].shape, f"b{i + 1}") for i in range(2)]
    figure("a2_training_cost", cost_figure(np.asarray(costs, dtype=np.float64).ravel()))
    Xt, _, yt = test_set
    accuracy = ref.ComputeAccuracy(Xt, yt, W, b)
    assert accuracy >= BENCHMARK_ACCURACY, (
        f"test accuracy {accuracy:.1%} after one cycle, expected at least {BENCHMARK_ACCURACY:.0%}"
    )
