"""A small cohort for the similarity check: the handout's starter code, the demo's reference solution copied by two
students (renamed and reformatted), and independent solutions written differently, each on top of the starter."""

import re
from pathlib import Path

REFERENCE = (Path(__file__).resolve().parents[2] / "workers/suites/dd2424/a1/solutions/reference.py").read_text()

# What the handout gives every student: they all keep it, so it must not count.
STARTER = '''"""DD2424 assignment 1 starter code: fill in the functions below."""

import pickle

import matplotlib.pyplot as plt
import numpy as np


def LoadBatch(filename):
    """X (d x n, in [0, 1]), Y (K x n, one-hot), y (n,) from a CIFAR-10 python batch."""
    with open(filename, "rb") as fo:
        batch = pickle.load(fo, encoding="bytes")
    X = batch[b"data"].T.astype(np.float64) / 255.0
    y = np.asarray(batch[b"labels"], dtype=np.int64)
    Y = np.eye(10)[:, y]
    return X, Y, y


def montage(W):
    """Display the image for each label in W as a row of ten 32x32 pictures."""
    fig, ax = plt.subplots(2, 5)
    for i in range(2):
        for j in range(5):
            im = W[i * 5 + j, :].reshape(32, 32, 3, order="F")
            sim = (im - np.min(im[:])) / (np.max(im[:]) - np.min(im[:]))
            sim = sim.transpose(1, 0, 2)
            ax[i][j].imshow(sim, interpolation="nearest")
            ax[i][j].set_title("y=" + str(5 * i + j))
            ax[i][j].axis("off")
    plt.show()


def ComputeGradsNum(X, Y, P, W, b, lamda, h):
    """Numerical gradients by finite differences, to check yours against."""
    no = W.shape[0]
    d = X.shape[0]
    grad_W = np.zeros(W.shape)
    grad_b = np.zeros((no, 1))
    c = ComputeCost(X, Y, W, b, lamda)
    for i in range(len(b)):
        b_try = np.array(b)
        b_try[i] += h
        c2 = ComputeCost(X, Y, W, b_try, lamda)
        grad_b[i] = (c2 - c) / h
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            W_try = np.array(W)
            W_try[i, j] += h
            c2 = ComputeCost(X, Y, W_try, b, lamda)
            grad_W[i, j] = (c2 - c) / h
    return [grad_W, grad_b]
'''


def _rename(source: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        source = re.sub(rf"\b{re.escape(old)}\b", new, source)
    return source


def copied_one() -> str:
    """The reference with its local names changed, comments added, the docstrings dropped, two-space indents."""
    source = _rename(
        REFERENCE,
        {"s": "scores", "e": "expd", "P": "probs", "G": "g_err", "n": "num", "Xb": "x_batch", "Yb": "y_batch"},
    )
    source = re.sub(r'^( *)"""[^\n]*"""\n', "", source, flags=re.M)
    source = source.replace("    ", "  ")
    source = source.replace("def ", "# my implementation\ndef ")
    return STARTER + "\n\n# ===== my solution =====\n" + source


def copied_two() -> str:
    """The same reference with other names, single quotes, extra blank lines and spaces around operators."""
    source = _rename(REFERENCE, {"lam": "lmbda", "W": "Wt", "eta": "lr", "start": "i0", "grad_W": "dW", "grad_b": "db"})
    source = source.replace('"', "'").replace("\n\n\n", "\n\n\n\n").replace(" @ ", "  @  ")
    return source.replace("import pickle\n", "import pickle  # for the batches\n") + "\n\n" + STARTER


INDEPENDENT = {
    "carol": """
class Softmax:
    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias

    def forward(self, data):
        logits = np.dot(self.weights, data) + self.bias
        logits = logits - np.amax(logits, axis=0)
        unnormalised = np.exp(logits)
        return unnormalised / np.sum(unnormalised, axis=0)


def EvaluateClassifier(X, W, b):
    return Softmax(W, b).forward(X)


def ComputeCost(X, Y, W, b, lam):
    probabilities = EvaluateClassifier(X, W, b)
    per_image = [-np.log(np.dot(Y[:, i], probabilities[:, i])) for i in range(X.shape[1])]
    return np.mean(per_image) + lam * (W ** 2).sum()


def ComputeAccuracy(X, y, W, b):
    guesses = EvaluateClassifier(X, W, b).argmax(axis=0)
    right = 0
    for guess, label in zip(guesses, y):
        if guess == label:
            right += 1
    return right / len(y)


def ComputeGradients(X, Y, P, W, lam):
    batch = X.shape[1]
    gW = np.zeros_like(W)
    gb = np.zeros((W.shape[0], 1))
    for i in range(batch):
        diff = (P[:, i] - Y[:, i]).reshape(-1, 1)
        gW += diff @ X[:, i].reshape(1, -1)
        gb += diff
    return gW / batch + 2 * lam * W, gb / batch


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    W = np.array(W, copy=True)
    b = np.array(b, copy=True)
    size = GDparams["n_batch"]
    for epoch in range(GDparams["n_epochs"]):
        order = np.arange(X.shape[1])
        batches = np.array_split(order, max(1, X.shape[1] // size))
        for idx in batches:
            P = EvaluateClassifier(X[:, idx], W, b)
            gW, gb = ComputeGradients(X[:, idx], Y[:, idx], P, W, lam)
            W = W - GDparams["eta"] * gW
            b = b - GDparams["eta"] * gb
    return W, b
""",
    "dave": '''
def _stable_softmax(z):
    shifted = z - z.max(0)
    ez = np.exp(shifted)
    total = ez.sum(0)
    return ez / total


def EvaluateClassifier(X, W, b):
    """Probabilities, K x n."""
    return _stable_softmax(np.matmul(W, X) + np.tile(b, (1, X.shape[1])))


def ComputeCost(X, Y, W, b, lam):
    n_samples = X.shape[1]
    p_true = np.einsum("kn,kn->n", Y, EvaluateClassifier(X, W, b))
    loss = -np.log(p_true).sum() / n_samples
    regularisation = lam * np.linalg.norm(W, "fro") ** 2
    return loss + regularisation


def ComputeAccuracy(X, y, W, b):
    predicted = np.argmax(EvaluateClassifier(X, W, b), 0)
    return np.count_nonzero(predicted == y) / y.size


def ComputeGradients(X, Y, P, W, lam):
    m = float(X.shape[1])
    delta = P - Y
    return np.matmul(delta, X.transpose()) / m + 2.0 * lam * W, delta.mean(axis=1).reshape(-1, 1)


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    weights, biases = W + 0, b + 0
    total = X.shape[1]
    steps_per_epoch = int(np.ceil(total / GDparams["n_batch"]))
    epochs = 0
    while epochs < GDparams["n_epochs"]:
        step = 0
        while step < steps_per_epoch:
            lo = step * GDparams["n_batch"]
            hi = min(total, lo + GDparams["n_batch"])
            probs = EvaluateClassifier(X[:, lo:hi], weights, biases)
            dW, db = ComputeGradients(X[:, lo:hi], Y[:, lo:hi], probs, weights, lam)
            weights -= GDparams["eta"] * dW
            biases -= GDparams["eta"] * db
            step += 1
        epochs += 1
    return weights, biases
''',
    "erin": """
import math


def EvaluateClassifier(X, W, b):
    a = W.dot(X)
    a += b
    a -= a.max(axis=0, keepdims=True)
    np.exp(a, out=a)
    a /= a.sum(axis=0, keepdims=True)
    return a


def ComputeCost(X, Y, W, b, lam):
    cross_entropy = 0.0
    P = EvaluateClassifier(X, W, b)
    labels = Y.argmax(axis=0)
    for col, label in enumerate(labels):
        cross_entropy -= math.log(P[label, col])
    penalty = 0.0
    for row in W:
        penalty += float(row.dot(row))
    return cross_entropy / X.shape[1] + lam * penalty


def ComputeAccuracy(X, y, W, b):
    hits = EvaluateClassifier(X, W, b).argmax(axis=0) == y
    return hits.astype(float).mean()


def ComputeGradients(X, Y, P, W, lam):
    N = X.shape[1]
    E = P - Y
    return (E.dot(X.T) + 2 * lam * N * W) / N, E.sum(axis=1)[:, None] / N


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    params = {"W": W.copy(), "b": b.copy()}
    chunks = list(range(0, X.shape[1], GDparams["n_batch"]))
    for _ in range(GDparams["n_epochs"]):
        for first in chunks:
            cols = slice(first, first + GDparams["n_batch"])
            out = EvaluateClassifier(X[:, cols], params["W"], params["b"])
            grads = ComputeGradients(X[:, cols], Y[:, cols], out, params["W"], lam)
            for key, grad in zip(("W", "b"), grads):
                params[key] = params[key] - GDparams["eta"] * grad
    return params["W"], params["b"]
""",
    "frank": """
from functools import reduce


def EvaluateClassifier(X, W, b):
    s = W @ X + b
    return np.exp(s - np.log(np.exp(s - s.max(0)).sum(0)) - s.max(0))


def ComputeCost(X, Y, W, b, lam):
    return float(-(Y * np.log(EvaluateClassifier(X, W, b))).sum(0).mean() + lam * np.square(W).sum())


def ComputeAccuracy(X, y, W, b):
    return float((EvaluateClassifier(X, W, b).argmax(0) == y).mean())


def ComputeGradients(X, Y, P, W, lam):
    g = (P - Y) / X.shape[1]
    return g @ X.T + 2 * lam * W, g.sum(1, keepdims=True)


def _epoch(X, Y, W, b, lam, n_batch, eta):
    def step(state, start):
        w, c = state
        xs, ys = X[:, start:start + n_batch], Y[:, start:start + n_batch]
        gw, gc = ComputeGradients(xs, ys, EvaluateClassifier(xs, w, c), w, lam)
        return w - eta * gw, c - eta * gc
    return reduce(step, range(0, X.shape[1], n_batch), (W, b))


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    state = (W.copy(), b.copy())
    for _ in range(GDparams["n_epochs"]):
        state = _epoch(X, Y, *state, lam, GDparams["n_batch"], GDparams["eta"])
    return state
""",
}


def independent(name: str) -> str:
    return STARTER + "\n" + INDEPENDENT[name]


def notebook(code: str) -> str:
    """The code as a Jupyter notebook: markdown cells, a code cell per function and outputs that do not count."""
    import json

    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Assignment 1\n", "My solution."]}]
    for chunk in code.split("\n\n\n"):
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}],
                "source": chunk.splitlines(keepends=True),
            }
        )
    cells.insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["%matplotlib inline\n"]})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
