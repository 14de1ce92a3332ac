"""Helpers for suite authors: numerical gradients through the student's code, relative errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from workers.judge.session import Pending


def as_float(value: Any, what: str) -> float:
    """A returned number (float, numpy scalar, 1x1 array) as float; anything else fails the test."""
    array = np.asarray(value)
    assert array.dtype.kind in "biuf" and array.size == 1, (
        f"{what} must return a single number, got {type(value).__name__} of shape {array.shape}"
    )
    return float(array.reshape(-1)[0])


def as_array(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    """A returned array as float64 with the expected shape (a K-vector may stand for K x 1)."""
    array = np.asarray(value)
    assert array.dtype.kind in "biuf", f"{what} must be a numeric array, got {type(value).__name__}"
    if array.shape != shape and array.size == int(np.prod(shape)) and 1 in shape:
        array = array.reshape(shape)
    assert array.shape == shape, f"{what} should have shape {shape}, got {array.shape}"
    return array.astype(np.float64)


def rel_error(analytic: Any, numerical: Any, eps: float = 1e-6) -> float:
    """The largest |ga - gn| / max(eps, |ga| + |gn|) over the entries."""
    ga, gn = np.asarray(analytic, dtype=np.float64), np.asarray(numerical, dtype=np.float64)
    return float(np.max(np.abs(ga - gn) / np.maximum(eps, np.abs(ga) + np.abs(gn))))


def pick_entries(shape: tuple[int, ...], count: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """`count` distinct random entries of an array of `shape` (all of them if it is small)."""
    size = int(np.prod(shape))
    flat = rng.choice(size, size=min(count, size), replace=False)
    return [tuple(int(i) for i in np.unravel_index(f, shape)) for f in sorted(flat)]


def use_pipeline(factory: Callable[[], AbstractContextManager[None]] | None) -> None:
    """Set by the judge's plugin: how `pipelined` sends the student's calls ahead of their replies."""
    global _pipeline
    _pipeline = factory


_pipeline: Callable[[], AbstractContextManager[None]] | None = None


@contextlib.contextmanager
def pipelined() -> Iterator[None]:
    """Calls to the student's functions made inside the block are sent at once, each with its arguments as
    they are at the call, and return pending values; `value_of(pending)` gives the value (or raises what went
    wrong) once the block has ended. Many small calls then cost far less than one round trip each. Outside
    the judge (or in a nested block) the calls simply run and return their values."""
    if _pipeline is None:
        yield
        return
    with _pipeline():
        yield


def value_of(result: Any) -> Any:
    """The value of a call made in a `pipelined` block (anything else is returned as it is)."""
    return result.result() if isinstance(result, Pending) else result


def _differences(
    cost: Callable[[], Any], param: np.ndarray, entries: Sequence[tuple[int, ...]], h: float
) -> list[tuple[Any, Any]]:
    """The cost at each entry of `param` moved by +h and by -h (each a float or a pending reply)."""
    pairs = []
    for entry in entries:
        old = param[entry]
        try:
            param[entry] = old + h
            plus = cost()
            param[entry] = old - h
            minus = cost()
        finally:
            param[entry] = old
        pairs.append((plus, minus))
    return pairs


def numerical_gradient(
    cost: Callable[[], Any], param: np.ndarray, entries: Sequence[tuple[int, ...]], h: float = 1e-5
) -> np.ndarray:
    """Centred differences of `cost()` in the chosen entries of `param` (changed in place, restored).
    When `cost()` returns the student's call as it is (`lambda: student.ComputeCost(X, Y, W, b, lam)`),
    the calls are pipelined; a cost that computes with the returned value is called one call at a time."""
    try:
        with pipelined():
            pairs = _differences(cost, param, entries, h)
    except TypeError:
        # cost() used a pending value (arithmetic on the reply): run it one call at a time instead.
        pairs = _differences(cost, param, entries, h)
    grads = []
    for plus, minus in pairs:
        high = as_float(value_of(plus), "the cost function")
        low = as_float(value_of(minus), "the cost function")
        grads.append((high - low) / (2 * h))
    return np.array(grads)
