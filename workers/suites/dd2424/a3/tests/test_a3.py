"""Assignment 3: the student's functions run in the sandbox; references and checks run here."""

import matplotlib.pyplot as plt
import numpy as np
import reference as ref

from workers.judge.checks import as_array, as_float, numerical_gradient, pick_entries, rel_error

K = 10
HIDDEN = [50, 50]
# The reference reaches about 97% on the hidden digits test batch (test mode) with these.
BENCHMARK = {"n_batch": 100, "eta_min": 1e-5, "eta_max": 1e-1, "n_s": 100, "n_cycles": 1, "alpha": 0.9}
BENCHMARK_LAMBDA = 0.005
BENCHMARK_ACCURACY = 0.92


def as_layers(value, expected, what):
    """A returned list of per-layer arrays, checked against the reference's shapes."""
    assert isinstance(value, (list, tuple)) and len(value) == len(expected), (
        f"{what} should be a list of {len(expected)} arrays, one per layer"
    )
    return [as_array(v, e.shape, f"{what}[{i}]") for i, (v, e) in enumerate(zip(value, expected))]


def test_init_params(student):
    d = 3072
    NN = student.InitParams(d, HIDDEN, K, 1)
    expected = ref.InitParams(d, HIDDEN, K, 1)
    assert isinstance(NN, dict), "InitParams should return a dict with W, b, gamma, beta"
    for key in ("W", "b", "gamma", "beta"):
        assert key in NN, f"InitParams should return a dict with W, b, gamma, beta (no {key!r})"
        layers = as_layers(NN[key], expected[key], key)
        if key != "W":
            assert all(np.array_equal(a, e) for a, e in zip(layers, expected[key])), (
                f"{key} should start at {expected[key][0][0, 0]:g}"
            )
    for i, W in enumerate(as_layers(NN["W"], expected["W"], "W")):
        target = np.sqrt(2.0 / W.shape[1])
        assert abs(W.std() / target - 1) < 0.2, (
            f"W[{i}] should have std sqrt(2/fan-in) = {target:.4f} (He), has {W.std():.4f}"
        )


def test_evaluate_train_mode(student, problem):
    X, _, NN = problem
    P, stats = student.EvaluateClassifier(X, NN)
    eP, estats = ref.EvaluateClassifier(X, NN)
    assert np.allclose(as_array(P, eP.shape, "P"), eP, atol=1e-8), "P in training mode differs (batch statistics)"
    for key in ("mu", "var"):
        layers = as_layers(stats[key], estats[key], f"stats[{key!r}]")
        assert all(np.allclose(a, e, atol=1e-10) for a, e in zip(layers, estats[key])), (
            f"the batch {key} per hidden layer differs (biased variance, 1/n)"
        )


def test_evaluate_test_mode(student, problem, running):
    X, _, NN = problem
    P, _ = student.EvaluateClassifier(X, NN, running)
    eP, _ = ref.EvaluateClassifier(X, NN, running)
    assert np.allclose(as_array(P, eP.shape, "P"), eP, atol=1e-8), (
        "P in test mode differs: it should normalise with the running averages, not the batch's statistics"
    )


def test_compute_cost(student, problem, running):
    X, Y, NN = problem
    for lam, averages in ((0.0, None), (0.3, None), (0.3, running)):
        J = as_float(student.ComputeCost(X, Y, NN, lam, averages), "ComputeCost")
        expected = ref.ComputeCost(X, Y, NN, lam, averages)
        mode = "training" if averages is None else "test"
        assert abs(J - expected) < 1e-8 * max(1.0, abs(expected)), (
            f"lambda={lam}, {mode} mode: cost {J:.6f}, expected {expected:.6f}"
        )


def test_gradients(student, problem):
    X, Y, NN = problem
    lam = 0.1
    grads = student.ComputeGradients(X, Y, NN, lam)
    assert isinstance(grads, dict), "ComputeGradients should return a dict with W, b, gamma, beta"
    cost = lambda: student.ComputeCost(X, Y, NN, lam)  # noqa: E731 -- the student's own cost
    rng = np.random.default_rng(33)
    for key in ("W", "b", "gamma", "beta"):
        assert key in grads, f"the gradients should include {key!r}"
        for layer, analytic in enumerate(as_layers(grads[key], NN[key], f"grads[{key!r}]")):
            entries = pick_entries(NN[key][layer].shape, 6, rng)
            numerical = numerical_gradient(cost, NN[key][layer], entries)
            error = rel_error([analytic[e] for e in entries], numerical)
            assert error < 1e-6, f"grad of {key}[{layer}]: relative error {error:.2e} against numerical gradients"


def test_update_running(student, problem, running):
    X, _, NN = problem
    _, stats = ref.EvaluateClassifier(X, NN)
    updated = student.UpdateRunning(running, stats, 0.9)
    expected = ref.UpdateRunning(running, stats, 0.9)
    for key in ("mu", "var"):
        layers = as_layers(updated[key], expected[key], f"running[{key!r}]")
        assert all(np.allclose(a, e, atol=1e-12) for a, e in zip(layers, expected[key])), (
            f"running {key} should be alpha * running + (1 - alpha) * batch"
        )
    first = student.UpdateRunning(None, stats, 0.9)
    for key in ("mu", "var"):
        layers = as_layers(first[key], stats[key], f"running[{key!r}]")
        assert all(np.allclose(a, e) for a, e in zip(layers, stats[key])), (
            "the first batch's statistics start the averages"
        )


def cost_figure(costs):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(np.arange(1, len(costs) + 1), costs, marker=".")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cost (test mode)")
    fig.tight_layout()
    return fig


def test_minibatch_gd_benchmark(student, train, test_set, figure):
    X, Y, _ = train
    NN0 = ref.InitParams(X.shape[0], HIDDEN, K, 2018)
    NN, running, costs = student.MiniBatchGD(X, Y, BENCHMARK, NN0, BENCHMARK_LAMBDA)
    NN = {key: as_layers(NN[key], NN0[key], key) for key in NN0}
    shapes = {"mu": NN0["gamma"], "var": NN0["gamma"]}
    running = {key: as_layers(running[key], shapes[key], f"running[{key!r}]") for key in shapes}
    figure("a3_training_cost", cost_figure(np.asarray(costs, dtype=np.float64).ravel()))
    Xt, _, yt = test_set
    accuracy = ref.ComputeAccuracy(Xt, yt, NN, running)
    assert accuracy >= BENCHMARK_ACCURACY, (
        f"test accuracy {accuracy:.1%} (test mode, your running averages) after one cycle, "
        f"expected at least {BENCHMARK_ACCURACY:.0%}"
    )
