"""Wrong solution (realistic mistake): ComputeAccuracy returns a percentage instead of a fraction."""

import pickle

import numpy as np


def LoadBatch(filename):
    """X (d x n, in [0, 1]), Y (K x n, one-hot), y (n,) from a CIFAR-10 python batch."""
    with open(filename, "rb") as fo:
        batch = pickle.load(fo, encoding="bytes")
    X = batch[b"data"].T.astype(np.float64) / 255.0
    y = np.asarray(batch[b"labels"], dtype=np.int64)
    Y = np.eye(10)[:, y]
    return X, Y, y


def softmax(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def EvaluateClassifier(X, W, b):
    return softmax(W @ X + b)


def ComputeCost(X, Y, W, b, lam):
    P = EvaluateClassifier(X, W, b)
    return -np.sum(Y * np.log(P)) / X.shape[1] + lam * np.sum(W * W)


def ComputeAccuracy(X, y, W, b):
    P = EvaluateClassifier(X, W, b)
    return 100 * float(np.mean(np.argmax(P, axis=0) == y))


def ComputeGradients(X, Y, P, W, lam):
    n = X.shape[1]
    G = -(Y - P)
    grad_W = G @ X.T / n + 2 * lam * W
    grad_b = np.sum(G, axis=1, keepdims=True) / n
    return grad_W, grad_b


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    """Vanilla mini-batch gradient descent; GDparams = {n_batch, eta, n_epochs}."""
    n_batch, eta, n_epochs = GDparams["n_batch"], GDparams["eta"], GDparams["n_epochs"]
    W, b = W.copy(), b.copy()
    n = X.shape[1]
    for _ in range(n_epochs):
        for start in range(0, n, n_batch):
            Xb, Yb = X[:, start : start + n_batch], Y[:, start : start + n_batch]
            P = EvaluateClassifier(Xb, W, b)
            grad_W, grad_b = ComputeGradients(Xb, Yb, P, W, lam)
            W -= eta * grad_W
            b -= eta * grad_b
    return W, b


def main():
    X, Y, y = LoadBatch("data_batch_1")
    rng = np.random.default_rng(0)
    W, b = 0.01 * rng.standard_normal((10, X.shape[0])), 0.01 * rng.standard_normal((10, 1))
    W, b = MiniBatchGD(X, Y, {"n_batch": 100, "eta": 0.001, "n_epochs": 40}, W, b, 0.0)
    print("training accuracy", ComputeAccuracy(X, y, W, b))


if __name__ == "__main__":
    main()
