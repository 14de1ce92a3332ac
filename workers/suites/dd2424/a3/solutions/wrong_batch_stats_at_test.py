"""Wrong solution (realistic mistake): test mode normalises with the batch statistics, not the running averages."""

import pickle

import numpy as np

EPS = 1e-8


def LoadBatch(filename):
    """X (d x n, in [0, 1]), Y (K x n, one-hot), y (n,) from a CIFAR-10 python batch."""
    with open(filename, "rb") as fo:
        batch = pickle.load(fo, encoding="bytes")
    X = batch[b"data"].T.astype(np.float64) / 255.0
    y = np.asarray(batch[b"labels"], dtype=np.int64)
    return X, np.eye(10)[:, y], y


def InitParams(d, hidden, K, seed):
    """NN = {W, b, gamma, beta}: He-initialised W, zero b, gamma one and beta zero per hidden layer."""
    rng = np.random.default_rng(seed)
    sizes = [d, *hidden, K]
    return {
        "W": [rng.standard_normal((o, i)) * np.sqrt(2.0 / i) for i, o in zip(sizes[:-1], sizes[1:])],
        "b": [np.zeros((o, 1)) for o in sizes[1:]],
        "gamma": [np.ones((m, 1)) for m in hidden],
        "beta": [np.zeros((m, 1)) for m in hidden],
    }


def softmax(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def forward(X, NN, running=None):
    """All intermediate values; batch statistics in training mode (running is None)."""
    k = len(NN["W"])
    xs, ss, s_hats, mus, vs = [X], [], [], [], []
    for layer in range(k - 1):
        s = NN["W"][layer] @ xs[-1] + NN["b"][layer]
        if True:
            mu, v = s.mean(axis=1, keepdims=True), s.var(axis=1, keepdims=True)
        else:
            mu, v = running["mu"][layer], running["var"][layer]
        s_hat = (s - mu) / np.sqrt(v + EPS)
        xs.append(np.maximum(0.0, NN["gamma"][layer] * s_hat + NN["beta"][layer]))
        ss.append(s)
        s_hats.append(s_hat)
        mus.append(mu)
        vs.append(v)
    P = softmax(NN["W"][-1] @ xs[-1] + NN["b"][-1])
    return P, xs, ss, s_hats, mus, vs


def EvaluateClassifier(X, NN, running=None):
    """(P, stats): training mode uses and returns the batch statistics {mu, var};
    test mode (running given) uses the running averages and returns them."""
    P, _, _, _, mus, vs = forward(X, NN, running)
    return P, (running if running is not None else {"mu": mus, "var": vs})


def ComputeCost(X, Y, NN, lam, running=None):
    P, _ = EvaluateClassifier(X, NN, running)
    return -np.sum(Y * np.log(P)) / X.shape[1] + lam * sum(np.sum(w * w) for w in NN["W"])


def ComputeAccuracy(X, y, NN, running=None):
    P, _ = EvaluateClassifier(X, NN, running)
    return float(np.mean(np.argmax(P, axis=0) == y))


def BatchNormBackPass(G, s, mu, v):
    n = s.shape[1]
    sigma1, sigma2 = (v + EPS) ** -0.5, (v + EPS) ** -1.5
    G1, G2 = G * sigma1, G * sigma2
    D = s - mu
    c = np.sum(G2 * D, axis=1, keepdims=True)
    return G1 - np.sum(G1, axis=1, keepdims=True) / n - D * c / n


def ComputeGradients(X, Y, NN, lam):
    """Gradients of the training-mode cost, in the structure of NN."""
    n, k = X.shape[1], len(NN["W"])
    P, xs, ss, s_hats, mus, vs = forward(X, NN)
    grads = {"W": [None] * k, "b": [None] * k, "gamma": [None] * (k - 1), "beta": [None] * (k - 1)}
    G = -(Y - P)
    grads["W"][-1] = G @ xs[-1].T / n + 2 * lam * NN["W"][-1]
    grads["b"][-1] = np.sum(G, axis=1, keepdims=True) / n
    G = (NN["W"][-1].T @ G) * (xs[-1] > 0)
    for layer in range(k - 2, -1, -1):
        grads["gamma"][layer] = np.sum(G * s_hats[layer], axis=1, keepdims=True) / n
        grads["beta"][layer] = np.sum(G, axis=1, keepdims=True) / n
        G = BatchNormBackPass(G * NN["gamma"][layer], ss[layer], mus[layer], vs[layer])
        grads["W"][layer] = G @ xs[layer].T / n + 2 * lam * NN["W"][layer]
        grads["b"][layer] = np.sum(G, axis=1, keepdims=True) / n
        if layer > 0:
            G = (NN["W"][layer].T @ G) * (xs[layer] > 0)
    return grads


def UpdateRunning(running, stats, alpha):
    """Exponential moving averages of the batch means and variances (the first batch starts them)."""
    if running is None:
        return {key: [a.copy() for a in stats[key]] for key in ("mu", "var")}
    return {key: [alpha * r + (1 - alpha) * s for r, s in zip(running[key], stats[key])] for key in ("mu", "var")}


def CyclicEta(t, eta_min, eta_max, n_s):
    phase = t % (2 * n_s)
    if phase <= n_s:
        return eta_min + phase / n_s * (eta_max - eta_min)
    return eta_max - (phase - n_s) / n_s * (eta_max - eta_min)


def MiniBatchGD(X, Y, GDparams, NN, lam):
    """Cyclical-eta mini-batch GD; returns (NNstar, running averages, test-mode cost per epoch)."""
    n_batch, n_s, alpha = GDparams["n_batch"], GDparams["n_s"], GDparams["alpha"]
    NN = {key: [a.copy() for a in value] for key, value in NN.items()}
    n, total = X.shape[1], 2 * n_s * GDparams["n_cycles"]
    running, costs, t = None, [], 0
    while t < total:
        for start in range(0, n, n_batch):
            if t >= total:
                break
            Xb, Yb = X[:, start : start + n_batch], Y[:, start : start + n_batch]
            _, stats = EvaluateClassifier(Xb, NN)
            running = UpdateRunning(running, stats, alpha)
            grads = ComputeGradients(Xb, Yb, NN, lam)
            eta = CyclicEta(t, GDparams["eta_min"], GDparams["eta_max"], n_s)
            for key in NN:
                NN[key] = [p - eta * g for p, g in zip(NN[key], grads[key])]
            t += 1
        costs.append(ComputeCost(X, Y, NN, lam, running))
    return NN, running, costs


if __name__ == "__main__":
    X, Y, y = LoadBatch("data_batch_1")
    NN = InitParams(X.shape[0], [50, 50], 10, 0)
    GDparams = {"n_batch": 100, "eta_min": 1e-5, "eta_max": 1e-1, "n_s": 100, "n_cycles": 1, "alpha": 0.9}
    NN, running, costs = MiniBatchGD(X, Y, GDparams, NN, 0.005)
    print("training accuracy", ComputeAccuracy(X, y, NN, running))
