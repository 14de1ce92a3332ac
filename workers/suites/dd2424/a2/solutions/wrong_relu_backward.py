"""Wrong solution (realistic mistake): the backward pass through the ReLU forgets the indicator (H > 0)."""

import pickle

import numpy as np


def LoadBatch(filename):
    """X (d x n, in [0, 1]), Y (K x n, one-hot), y (n,) from a CIFAR-10 python batch."""
    with open(filename, "rb") as fo:
        batch = pickle.load(fo, encoding="bytes")
    X = batch[b"data"].T.astype(np.float64) / 255.0
    y = np.asarray(batch[b"labels"], dtype=np.int64)
    return X, np.eye(10)[:, y], y


def InitParams(d, m, K, seed):
    """W = [W1 (m x d), W2 (K x m)] with std 1/sqrt(fan-in), b = [b1 (m x 1), b2 (K x 1)] zero."""
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((m, d)) / np.sqrt(d), rng.standard_normal((K, m)) / np.sqrt(m)]
    b = [np.zeros((m, 1)), np.zeros((K, 1))]
    return W, b


def softmax(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def EvaluateClassifier(X, W, b):
    """(H, P): the hidden ReLU activations (m x n) and the class probabilities (K x n)."""
    H = np.maximum(0.0, W[0] @ X + b[0])
    return H, softmax(W[1] @ H + b[1])


def ComputeCost(X, Y, W, b, lam):
    _, P = EvaluateClassifier(X, W, b)
    return -np.sum(Y * np.log(P)) / X.shape[1] + lam * sum(np.sum(w * w) for w in W)


def ComputeAccuracy(X, y, W, b):
    _, P = EvaluateClassifier(X, W, b)
    return float(np.mean(np.argmax(P, axis=0) == y))


def ComputeGradients(X, Y, W, b, lam):
    n = X.shape[1]
    H, P = EvaluateClassifier(X, W, b)
    G = -(Y - P)
    grad_W2 = G @ H.T / n + 2 * lam * W[1]
    grad_b2 = np.sum(G, axis=1, keepdims=True) / n
    G = W[1].T @ G
    grad_W1 = G @ X.T / n + 2 * lam * W[0]
    grad_b1 = np.sum(G, axis=1, keepdims=True) / n
    return [grad_W1, grad_W2], [grad_b1, grad_b2]


def CyclicEta(t, eta_min, eta_max, n_s):
    """The triangular cyclical learning rate at update step t (cycles of 2 n_s steps)."""
    phase = t % (2 * n_s)
    if phase <= n_s:
        return eta_min + phase / n_s * (eta_max - eta_min)
    return eta_max - (phase - n_s) / n_s * (eta_max - eta_min)


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    """Mini-batch GD with a cyclical eta; returns (Wstar, bstar, training cost after each epoch)."""
    n_batch, n_s = GDparams["n_batch"], GDparams["n_s"]
    eta_min, eta_max = GDparams["eta_min"], GDparams["eta_max"]
    W, b = [w.copy() for w in W], [v.copy() for v in b]
    n = X.shape[1]
    total = 2 * n_s * GDparams["n_cycles"]
    costs, t = [], 0
    while t < total:
        for start in range(0, n, n_batch):
            if t >= total:
                break
            Xb, Yb = X[:, start : start + n_batch], Y[:, start : start + n_batch]
            grad_W, grad_b = ComputeGradients(Xb, Yb, W, b, lam)
            eta = CyclicEta(t, eta_min, eta_max, n_s)
            for i in range(2):
                W[i] -= eta * grad_W[i]
                b[i] -= eta * grad_b[i]
            t += 1
        costs.append(ComputeCost(X, Y, W, b, lam))
    return W, b, costs


if __name__ == "__main__":
    X, Y, y = LoadBatch("data_batch_1")
    W, b = InitParams(X.shape[0], 50, 10, 0)
    GDparams = {"n_batch": 100, "eta_min": 1e-5, "eta_max": 1e-1, "n_s": 100, "n_cycles": 1}
    W, b, costs = MiniBatchGD(X, Y, GDparams, W, b, 0.01)
    print("training accuracy", ComputeAccuracy(X, y, W, b))
