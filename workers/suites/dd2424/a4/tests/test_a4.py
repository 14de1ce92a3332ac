"""Assignment 4: the student's functions run in the sandbox; references and checks run here."""

import matplotlib.pyplot as plt
import numpy as np
import reference as ref
from conftest import sequence

from workers.judge.checks import as_array, as_float, numerical_gradient, pick_entries, rel_error

KEYS = ("b", "c", "U", "W", "V")
# The reference reaches about 2.66 nats per character on the held-out text with these.
BENCHMARK = {"m": 100, "seq_length": 25, "eta": 0.1, "sig": 0.01, "n_updates": 2000, "seed": 0}
BENCHMARK_LOSS_PER_CHAR = 2.95
HELD_OUT_CHARS = 5000


def as_rnn(value, expected, what):
    assert isinstance(value, dict), f"{what} should be a dict with keys {', '.join(KEYS)}"
    missing = [key for key in KEYS if key not in value]
    assert not missing, f"{what} lacks {', '.join(missing)}"
    return {key: as_array(value[key], expected[key].shape, f"{what}[{key!r}]") for key in KEYS}


def test_init_rnn(student, chars):
    K, m, sig = len(chars), 100, 0.01
    RNN = as_rnn(student.InitRNN(m, K, sig, 1), ref.InitRNN(m, K, sig, 1), "RNN")
    assert not RNN["b"].any() and not RNN["c"].any(), "b and c should start at zero"
    for key in ("U", "W", "V"):
        assert abs(RNN[key].std() / sig - 1) < 0.1, f"{key} should have std sig = {sig}, has {RNN[key].std():.4f}"


def test_compute_loss(student, problem):
    X, Y, RNN, h0 = problem
    loss = as_float(student.ComputeLoss(X, Y, RNN, h0), "ComputeLoss")
    expected = ref.ComputeLoss(X, Y, RNN, h0)
    assert abs(loss - expected) < 1e-8 * expected, (
        f"loss {loss:.6f}, expected {expected:.6f} (summed over the sequence)"
    )


def test_gradients(student, problem):
    X, Y, RNN, h0 = problem
    grads, loss, h_last = student.ComputeGradients(X, Y, RNN, h0)
    grads = as_rnn(grads, RNN, "the gradients")
    _, expected_loss, expected_h = ref.ComputeGradients(X, Y, RNN, h0)
    assert abs(as_float(loss, "the loss") - expected_loss) < 1e-8 * expected_loss, "the returned loss differs"
    assert np.allclose(as_array(h_last, expected_h.shape, "the last hidden state"), expected_h), (
        "the last hidden state differs"
    )
    loss_of = lambda: student.ComputeLoss(X, Y, RNN, h0)  # noqa: E731 -- the student's own loss
    rng = np.random.default_rng(42)
    for key in KEYS:
        entries = pick_entries(RNN[key].shape, 8, rng)
        numerical = numerical_gradient(loss_of, RNN[key], entries, h=1e-4)
        error = rel_error([grads[key][e] for e in entries], numerical)
        assert error < 1e-6, f"grad of {key}: relative error {error:.2e} against numerical gradients"


def test_gradient_clipping(student, book, chars):
    RNN = ref.InitRNN(20, len(chars), 1.0, 5)  # large weights: raw gradients far beyond 5
    X, Y = sequence(book, chars, 5000, 25)
    h0 = np.zeros((20, 1))
    grads, _, _ = student.ComputeGradients(X, Y, RNN, h0)
    grads = as_rnn(grads, RNN, "the gradients")
    expected, _, _ = ref.ComputeGradients(X, Y, RNN, h0)
    for key in KEYS:
        assert np.abs(grads[key]).max() <= 5.0 + 1e-12, f"grad of {key} exceeds 5: clip every gradient to [-5, 5]"
        assert np.allclose(grads[key], expected[key], atol=1e-8), f"grad of {key} differs after clipping"


def test_adagrad_step(student, problem):
    _, _, RNN, _ = problem
    rng = np.random.default_rng(43)
    grads = {key: rng.standard_normal(value.shape) for key, value in RNN.items()}
    M = {key: rng.uniform(0.0, 2.0, value.shape) for key, value in RNN.items()}
    new_rnn, new_m = student.AdaGradStep(RNN, grads, M, 0.1)
    expected_rnn, expected_m = ref.AdaGradStep(RNN, grads, M, 0.1)
    new_rnn, new_m = as_rnn(new_rnn, RNN, "the updated RNN"), as_rnn(new_m, RNN, "the updated M")
    for key in KEYS:
        assert np.allclose(new_m[key], expected_m[key]), f"M[{key!r}] should accumulate the squared gradients"
        assert np.allclose(new_rnn[key], expected_rnn[key]), f"{key} should move by eta * g / sqrt(M + eps)"


def chain_rnn(K, permutation):
    """An RNN that (with probability ~1) always follows character i by permutation[i]."""
    V = np.zeros((K, K))
    V[permutation, np.arange(K)] = 30.0
    return {"b": -5.0 * np.ones((K, 1)), "c": np.zeros((K, 1)), "U": 10.0 * np.eye(K), "W": np.zeros((K, K)), "V": V}


def test_synthesize(student, chars):
    K = len(chars)
    permutation = np.random.default_rng(44).permutation(K)
    out = np.asarray(student.Synthesize(chain_rnn(K, permutation), np.zeros((K, 1)), 3, 40, 0)).ravel()
    expected, index = [], 3
    for _ in range(40):
        index = int(permutation[index])
        expected.append(index)
    assert out.shape == (40,), f"Synthesize should return 40 indices, returned {out.shape}"
    assert np.array_equal(out, expected), "each sampled character must be fed back as the next input"


def loss_figure(losses):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(losses)
    ax.set_xlabel("update step")
    ax.set_ylabel("smooth loss")
    fig.tight_layout()
    return fig


def test_train_benchmark(student, book, chars, held_out, figure):
    RNN, losses = student.TrainRNN(book, chars, BENCHMARK)
    m, K = BENCHMARK["m"], len(chars)
    RNN = as_rnn(RNN, ref.InitRNN(m, K, 0.01, 0), "the trained RNN")
    figure("a4_smooth_loss", loss_figure(np.asarray(losses, dtype=np.float64).ravel()))
    X, Y = sequence(held_out, chars, 0, HELD_OUT_CHARS)
    per_char = ref.ComputeLoss(X, Y, RNN, np.zeros((m, 1))) / HELD_OUT_CHARS
    assert per_char <= BENCHMARK_LOSS_PER_CHAR, (
        f"{per_char:.3f} nats per held-out character after {BENCHMARK['n_updates']} updates, "
        f"expected at most {BENCHMARK_LOSS_PER_CHAR}"
    )
