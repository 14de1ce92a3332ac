"""Wrong solution (realistic mistake): Synthesize keeps feeding x0 instead of the sampled character."""

import numpy as np

EPS = 1e-8
CLIP = 5.0


def InitRNN(m, K, sig, seed):
    """RNN = {b (m x 1), c (K x 1), U (m x K), W (m x m), V (K x m)}: zero biases, N(0, sig^2) weights."""
    rng = np.random.default_rng(seed)
    return {
        "b": np.zeros((m, 1)),
        "c": np.zeros((K, 1)),
        "U": sig * rng.standard_normal((m, K)),
        "W": sig * rng.standard_normal((m, m)),
        "V": sig * rng.standard_normal((K, m)),
    }


def forward(X, RNN, h0):
    """a = W h + U x + b, h = tanh(a), o = V h + c, p = softmax(o), for every column of X."""
    T = X.shape[1]
    H = np.zeros((h0.shape[0], T + 1))
    H[:, :1] = h0
    P = np.zeros((RNN["c"].shape[0], T))
    for t in range(T):
        a = RNN["W"] @ H[:, t : t + 1] + RNN["U"] @ X[:, t : t + 1] + RNN["b"]
        H[:, t + 1 : t + 2] = np.tanh(a)
        o = RNN["V"] @ H[:, t + 1 : t + 2] + RNN["c"]
        e = np.exp(o - o.max())
        P[:, t : t + 1] = e / e.sum()
    return H, P


def ComputeLoss(X, Y, RNN, h0):
    """The summed cross-entropy loss over the sequence (X, Y: K x T one-hot)."""
    _, P = forward(X, RNN, h0)
    return float(-np.sum(np.log(np.sum(Y * P, axis=0))))


def ComputeGradients(X, Y, RNN, h0):
    """(gradients clipped to [-5, 5], loss, last hidden state)."""
    H, P = forward(X, RNN, h0)
    loss = float(-np.sum(np.log(np.sum(Y * P, axis=0))))
    G = -(Y - P)
    grads = {"V": G @ H[:, 1:].T, "c": np.sum(G, axis=1, keepdims=True)}
    T, m = X.shape[1], h0.shape[0]
    dA = np.zeros((m, T))
    dh_next = np.zeros((m, 1))
    for t in range(T - 1, -1, -1):
        dh = RNN["V"].T @ G[:, t : t + 1] + dh_next
        da = dh * (1 - H[:, t + 1 : t + 2] ** 2)
        dA[:, t : t + 1] = da
        dh_next = RNN["W"].T @ da
    grads["W"] = dA @ H[:, :-1].T
    grads["U"] = dA @ X.T
    grads["b"] = np.sum(dA, axis=1, keepdims=True)
    grads = {key: np.clip(g, -CLIP, CLIP) for key, g in grads.items()}
    return grads, loss, H[:, -1:].copy()


def AdaGradStep(RNN, grads, M, eta):
    """One AdaGrad update: M += g^2, theta -= eta g / sqrt(M + eps). Returns (RNN, M)."""
    M = {key: M[key] + grads[key] ** 2 for key in RNN}
    RNN = {key: RNN[key] - eta * grads[key] / np.sqrt(M[key] + EPS) for key in RNN}
    return RNN, M


def Synthesize(RNN, h0, x0, n, seed):
    """n character indices sampled one after another, starting from the input index x0."""
    rng = np.random.default_rng(seed)
    K = RNN["c"].shape[0]
    h, x = h0, np.zeros((K, 1))
    x[x0] = 1
    out = []
    for _ in range(n):
        h = np.tanh(RNN["W"] @ h + RNN["U"] @ x + RNN["b"])
        o = RNN["V"] @ h + RNN["c"]
        p = np.exp(o - o.max())
        p /= p.sum()
        index = int(np.searchsorted(np.cumsum(p), rng.random() * np.sum(p), side="right"))
        index = min(index, K - 1)
        out.append(index)
    return out


def OneHot(indices, K):
    out = np.zeros((K, len(indices)))
    out[indices, np.arange(len(indices))] = 1
    return out


def TrainRNN(text, chars, GDparams):
    """AdaGrad over the text in chunks of seq_length; returns (RNN, smooth loss after each update)."""
    m, seq_length, eta = GDparams["m"], GDparams["seq_length"], GDparams["eta"]
    K = len(chars)
    index = {ch: i for i, ch in enumerate(chars)}
    data = np.array([index[ch] for ch in text if ch in index])
    RNN = InitRNN(m, K, GDparams["sig"], GDparams["seed"])
    M = {key: np.zeros_like(value) for key, value in RNN.items()}
    h, e, smooth, losses = np.zeros((m, 1)), 0, None, []
    for _ in range(GDparams["n_updates"]):
        if e + seq_length + 1 > len(data):
            h, e = np.zeros((m, 1)), 0
        X = OneHot(data[e : e + seq_length], K)
        Y = OneHot(data[e + 1 : e + seq_length + 1], K)
        grads, loss, h = ComputeGradients(X, Y, RNN, h)
        RNN, M = AdaGradStep(RNN, grads, M, eta)
        smooth = loss if smooth is None else 0.999 * smooth + 0.001 * loss
        losses.append(smooth)
        e += seq_length
    return RNN, losses


if __name__ == "__main__":
    with open("goblet_book.txt", encoding="utf-8") as book:
        text = book.read()
    chars = sorted(set(text))
    GDparams = {"m": 100, "seq_length": 25, "eta": 0.1, "sig": 0.01, "n_updates": 10000, "seed": 0}
    RNN, losses = TrainRNN(text, chars, GDparams)
    print("".join(chars[i] for i in Synthesize(RNN, np.zeros((100, 1)), 0, 200, 1)))
