"""Declared signatures (suite.toml [functions]) and name matching, without running anything."""

from __future__ import annotations

import ast

import pytest

from workers.judge.advice import Advice, FunctionAsked, collect, similarity
from workers.judge.signatures import parse


def test_a_signature_reads_as_the_handout_writes_it() -> None:
    text = "ComputeGradients(X: d x n, Y: K x n, P: K x n, W: K x d, lambda) -> (grad_W: K x d, grad_b: K x 1)"
    signature = parse(text, "ComputeGradients")
    assert signature.text() == text
    assert signature.call_text() == "ComputeGradients(X, Y, P, W, lambda)"
    assert signature.arity == (5, 5)
    optional = parse("(X, Y, GDparams: dict, W, b, lambda=0) -> (W, b)", "MiniBatchGD")
    assert optional.call_text() == "MiniBatchGD(X, Y, GDparams, W, b, lambda=0)" and optional.arity == (5, 6)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Other(x)", "names another function (Other)"),
        ("f(x: K by 1)", "'K by 1' is not a shape"),
        ("f(x, x)", "names a parameter twice"),
        ("f x", "must look like f(X: d x n"),
        ("f() -> ()", "returns an empty tuple"),
    ],
)
def test_a_bad_signature_is_explained(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=r".*") as refused:
        parse(text, "f")
    assert words in str(refused.value)


NEWER_HANDOUT = """
def ApplyNetwork(X, network):
    return network


def ComputeLoss(P, y):
    return 0.0


def BackwardPass(X, Y, P, network, lam):
    return {}
"""


def test_the_newer_handouts_names_are_named_even_when_the_suite_accepts_no_alias() -> None:
    definitions = collect(ast.parse(NEWER_HANDOUT), "lab1.py", "lab1.py")
    asked = {
        "EvaluateClassifier": FunctionAsked("EvaluateClassifier", parse("(X, W, b) -> P", "EvaluateClassifier")),
        "ComputeCost": FunctionAsked("ComputeCost", parse("(X, Y, W, b, lambda)", "ComputeCost")),
        "ComputeGradients": FunctionAsked("ComputeGradients"),
    }
    advice = Advice(asked, definitions, "lab1.py")
    assert advice.defines(["ApplyNetwork", "ComputeLoss", "BackwardPass"]) == list(asked)
    assert advice.missing("ComputeCost") == (
        "the assignment asks for `ComputeCost(X, Y, W, b, lambda)`; your file defines `ComputeLoss(P, y)` (line 6) "
        "- rename it, or add `ComputeCost = ComputeLoss`"
    )
    assert "your file defines `ApplyNetwork(X, network)` (line 2)" in advice.missing("EvaluateClassifier")
    assert "`BackwardPass(X, Y, P, network, lam)` (line 10)" in advice.missing("ComputeGradients")
    assert similarity("compute_cost", "ComputeCost") == similarity("computeCost", "ComputeCost") == 1.0
    assert similarity("ComputeAccuracy", "ComputeCost") == 0.0  # another function, not a near miss
