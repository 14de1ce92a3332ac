"""Student files in the styles DD2424 students write (snake_case, camelCase, a Network class, the newer handout's
names, Python 3.12 notebooks), through the real judge and sandbox: each message points at the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.judge.conftest import by_name, grade_local, write

STYLES_TOML = '''
name = "styles"
assignment = "TEST/styles"
runtime = "@RUNTIME@"
required = ["EvaluateClassifier", "ComputeCost", "ComputeGradients", "ComputeAccuracy", "MiniBatchGD"]

[functions.EvaluateClassifier]
signature = "EvaluateClassifier(X: d x n, W: K x d, b: K x 1) -> P: K x n"
aliases = ["ApplyNetwork"]
[functions.ComputeCost]
signature = "ComputeCost(X: d x n, Y: K x n, W: K x d, b: K x 1, lambda) -> J: number"
aliases = ["ComputeLoss"]
[functions.ComputeGradients]
signature = """ComputeGradients(X: d x n, Y: K x n, P: K x n, W: K x d, lambda)
    -> (grad_W: K x d, grad_b: K x 1)"""
aliases = ["BackwardPass"]
[functions.ComputeAccuracy]
signature = "ComputeAccuracy(X: d x n, y: n, W: K x d, b: K x 1) -> acc: number"
[functions.MiniBatchGD]
signature = "MiniBatchGD(X: d x n, Y: K x n, GDparams: dict, W: K x d, b: K x 1, lambda) -> (Wstar, bstar: K x 1)"

[limits]
per_test_timeout_s = 20
import_timeout_s = 20

[tests.test_evaluate]
points = 1
[tests.test_cost]
points = 1
[tests.test_gradients]
points = 1
[tests.test_accuracy]
points = 1
[tests.test_training]
points = 1
'''

# A strict suite: shapes must be exactly the handout's (a K x 1 bias, a tuple of two arrays).
STYLES_TESTS = """
import numpy as np
import pytest

from workers.judge.checks import as_float


def softmax(s):
    e = np.exp(s - s.max(axis=0))
    return e / e.sum(axis=0)


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 8))
    y = rng.integers(0, 3, 8)
    W, b = 0.1 * rng.standard_normal((3, 6)), 0.1 * rng.standard_normal((3, 1))
    return X, np.eye(3)[:, y], y, W, b


def test_evaluate(student, problem):
    X, _, _, W, b = problem
    assert np.allclose(student.EvaluateClassifier(X, W, b), softmax(W @ X + b)), "P differs from softmax(W X + b)"


def test_cost(student, problem):
    X, Y, _, W, b = problem
    expected = -np.sum(Y * np.log(softmax(W @ X + b))) / X.shape[1] + 0.1 * np.sum(W * W)
    assert abs(as_float(student.ComputeCost(X, Y, W, b, 0.1), "ComputeCost") - expected) < 1e-8


def test_gradients(student, problem):
    X, Y, _, W, b = problem
    P = softmax(W @ X + b)
    grads = student.ComputeGradients(X, Y, P, W, 0.1)
    assert isinstance(grads, tuple), "ComputeGradients should return a tuple (grad_W, grad_b)"
    grad_W, grad_b = grads
    G = -(Y - P)
    assert grad_W.shape == W.shape and grad_b.shape == b.shape, "the gradients have the wrong shapes"
    assert np.allclose(grad_W, G @ X.T / X.shape[1] + 0.2 * W) and np.allclose(grad_b, G.mean(axis=1, keepdims=True))


def test_accuracy(student, problem):
    X, _, y, W, b = problem
    expected = np.mean(np.argmax(W @ X + b, axis=0) == y)
    assert as_float(student.ComputeAccuracy(X, y, W, b), "ComputeAccuracy") == pytest.approx(expected)


def test_training(student, problem):
    X, Y, _, W, b = problem
    Wstar, bstar = student.MiniBatchGD(X, Y, {"n_batch": 4, "eta": 0.1, "n_epochs": 2}, W, b, 0.0)
    assert Wstar.shape == W.shape and bstar.shape == b.shape, "Wstar and bstar should keep the shapes of W and b"
"""

# The functions as the newer handout names them, in a notebook written for Python 3.12: a `type` alias and an
# f-string whose braces span lines (PEP 695, PEP 701).
NEWER_NOTEBOOK_CELLS = [
    "import numpy as np\n\ntype Batch = tuple[np.ndarray, np.ndarray]\n",
    "def ApplyNetwork(X, W, b):\n    s = W @ X + b\n    e = np.exp(s - s.max(axis=0))\n    return e / e.sum(axis=0)\n",
    "def ComputeLoss(X, Y, W, b, lam):\n"
    "    P = ApplyNetwork(X, W, b)\n"
    "    return -np.sum(Y * np.log(P)) / X.shape[1] + lam * np.sum(W * W)\n",
    "def BackwardPass(X, Y, P, W, lam):\n"
    "    G = -(Y - P)\n"
    "    return G @ X.T / X.shape[1] + 2 * lam * W, G.mean(axis=1, keepdims=True)\n",
    "def ComputeAccuracy(X, y, W, b):\n    return float(np.mean(np.argmax(ApplyNetwork(X, W, b), axis=0) == y))\n",
    "def MiniBatchGD(X, Y, params, W, b, lam):\n"
    "    for epoch in range(params['n_epochs']):\n"
    "        for start in range(0, X.shape[1], params['n_batch']):\n"
    "            batch: Batch = (X[:, start:start + params['n_batch']], Y[:, start:start + params['n_batch']])\n"
    "            grad_W, grad_b = BackwardPass(*batch, ApplyNetwork(batch[0], W, b), W, lam)\n"
    "            W, b = W - params['eta'] * grad_W, b - params['eta'] * grad_b\n"
    '        print(f"epoch {epoch}: cost {\n'
    "            ComputeLoss(X, Y, W, b, lam):.3f\n"
    '        }")\n'
    "    return W, b\n",
]


def notebook(folder: Path, name: str, cells: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    content = [{"cell_type": "markdown", "source": ["# Assignment 1\n"]}]
    content += [{"cell_type": "code", "source": cell} for cell in cells]
    path = folder / name
    path.write_text(json.dumps({"cells": content, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    return path


@pytest.fixture(scope="module")
def styles_suite(shared_tmp: Path) -> dict[str, Path]:
    """The same suite in the default runtime and in the torch one (Debian's Python 3.11)."""
    suites = {}
    for runtime in ("python3.12", "torch"):
        root = shared_tmp / f"styles-{runtime}"
        write(root, "suite.toml", STYLES_TOML.replace("@RUNTIME@", runtime))
        write(root, "tests/test_styles.py", STYLES_TESTS)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        suites[runtime] = root
    return suites


def messages(result: dict[str, Any]) -> dict[str, str]:
    return {name: test["message"] for name, test in by_name(result).items()}


def test_a_python_312_notebook_with_the_newer_handouts_names_passes_in_the_default_runtime(
    styles_suite: dict[str, Path], shared_tmp: Path
) -> None:
    path = notebook(shared_tmp / "newer-names", "Assignment1.ipynb", NEWER_NOTEBOOK_CELLS)
    result = grade_local(styles_suite["python3.12"], path)
    assert result["outcome"] == "passed", result
    assert result["score"] == result["max_score"] == 5


def test_python_312_syntax_in_an_older_runtime_is_explained_in_plain_words(
    styles_suite: dict[str, Path], shared_tmp: Path
) -> None:
    path = notebook(shared_tmp / "newer-syntax", "Assignment1.ipynb", NEWER_NOTEBOOK_CELLS)
    result = grade_local(styles_suite["torch"], path)
    assert result["outcome"] == "import_error"
    explained = "\n".join(result["notes"])
    assert "Assignment1.ipynb uses syntax from Python 3.12" in explained
    assert "the grader runs Python 3.11 for this assignment" in explained
    # Where 3.11 stopped (the f-string), then the rest that only 3.12 reads (the `type` alias).
    assert "an f-string whose {...} part spans lines or uses the f-string's own quotes (code cell 6, line 7)" in (
        explained
    )
    assert "and a `type` alias statement (`type Name = ...`) (code cell 1, line 3)" in explained
    first = next(iter(by_name(result).values()))
    assert first["status"] == "error" and first["message"].startswith("Assignment1.ipynb uses syntax from Python 3.12")


SCRIPT_STYLES = """\
import numpy as np


def softmax(s):
    e = np.exp(s - s.max(axis=0))
    return e / e.sum(axis=0)


def compute_cost(X, Y, W, b, lam):
    P = softmax(W @ X + b)
    return -np.sum(Y * np.log(P)) / X.shape[1] + lam * np.sum(W * W)


class Network:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def compute_gradients(self, X, Y, P, lam):
        G = -(Y - P)
        return G @ X.T / X.shape[1] + 2 * lam * self.W, G.mean(axis=1, keepdims=True)


def ComputeAccuracy(X, y, W, b):
    return float(np.mean(np.argmax(W @ X + b, axis=0) == y))


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    return W, b


def main():
    def evaluateClassifier(X, W, b):
        return softmax(W @ X + b)

    print(evaluateClassifier(np.zeros((2, 1)), np.zeros((3, 2)), np.zeros((3, 1))))


if __name__ == "__main__":
    main()
"""


def test_missing_functions_name_the_closest_match_in_each_style(
    styles_suite: dict[str, Path], shared_tmp: Path
) -> None:
    path = write(shared_tmp / "script-styles", "assignment1.py", SCRIPT_STYLES)
    result = grade_local(styles_suite["python3.12"], path)
    assert result["outcome"] == "missing_function"
    assert result["missing"] == ["EvaluateClassifier", "ComputeCost", "ComputeGradients"]
    said = messages(result)
    assert said["test_cost"] == (
        "the assignment asks for `ComputeCost(X, Y, W, b, lambda)` (or `ComputeLoss`); your file defines "
        "`compute_cost(X, Y, W, b, lam)` (line 9) - rename it, or add `ComputeCost = compute_cost`"
    )
    assert (
        "your file defines `Network.compute_gradients(self, X, Y, P, lam)`, a method of class Network (line 18)"
        in (said["test_gradients"])
    )
    assert "not methods: add `def ComputeGradients(X, Y, P, W, lam):` there" in said["test_gradients"]
    assert "your file defines `evaluateClassifier(X, W, b)` inside `main()` (line 32)" in said["test_evaluate"]
    assert "move it to the top level of the file and name it EvaluateClassifier" in said["test_evaluate"]
    # The summary the student reads first says the same, one line per missing function.
    assert any(note.startswith("the assignment asks for `ComputeCost(") for note in result["notes"])
    assert by_name(result)["test_accuracy"]["status"] == "passed"


WRONG_KINDS = """\
import numpy as np


def EvaluateClassifier(X, W, b):
    s = W @ X + b
    e = np.exp(s - s.max(axis=0))
    return e / e.sum(axis=0)


def ComputeCost(X, Y, W, b):
    return -np.sum(Y * np.log(EvaluateClassifier(X, W, b))) / X.shape[1]


def ComputeGradients(X, Y, P, W, lam):
    G = -(Y - P)
    grad_W = G @ X.T / X.shape[1] + 2 * lam * W
    grad_b = np.mean(G, axis=1, keepdims=True)
    return [grad_b, grad_W]


def ComputeAccuracy(X, y, W, b):
    return np.argmax(EvaluateClassifier(X, W, b), axis=0) == y


def MiniBatchGD(X, Y, GDparams, W, b, lam):
    return W, b.ravel()
"""


def test_wrong_arguments_and_wrong_kinds_of_return_say_which_and_what_was_expected(
    styles_suite: dict[str, Path], shared_tmp: Path
) -> None:
    path = write(shared_tmp / "wrong-kinds", "assignment1.py", WRONG_KINDS)
    result = grade_local(styles_suite["python3.12"], path)
    tests = by_name(result)
    assert tests["test_evaluate"]["status"] == "passed"
    cost = tests["test_cost"]
    assert (cost["status"], cost["reason"]) == ("failed", "wrong arguments")
    assert cost["message"].startswith(
        "the tests call `ComputeCost(X, Y, W, b, lambda)`, as the assignment asks; your `ComputeCost(X, Y, W, b)` "
        "(line 10) takes 4 arguments, and the tests pass 5 - add the parameter lambda"
    )
    gradients = tests["test_gradients"]["message"]
    assert "your ComputeGradients: it returned a list of 2 where the assignment asks for a tuple" in gradients
    assert "their shapes ((3, 1), (3, 6)) are those of (grad_b, grad_W); return (grad_W, grad_b)" in gradients
    accuracy = tests["test_accuracy"]
    assert accuracy["message"].startswith("your ComputeAccuracy: acc is an array of shape (8,); it should be a single")
    training = tests["test_training"]["message"]
    assert "bstar is 1-D, shape (3,); it should be a column, K x 1 = (3, 1)" in training
