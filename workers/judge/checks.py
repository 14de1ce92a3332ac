"""Helpers for suite authors: numerical gradients through the student's code, relative errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


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


def numerical_gradient(
    cost: Callable[[], Any], param: np.ndarray, entries: Sequence[tuple[int, ...]], h: float = 1e-5
) -> np.ndarray:
    """Centred differences of `cost()` in the chosen entries of `param` (changed in place, restored)."""
    grads = []
    for entry in entries:
        old = param[entry]
        param[entry] = old + h
        plus = as_float(cost(), "the cost function")
        param[entry] = old - h
        minus = as_float(cost(), "the cost function")
        param[entry] = old
        grads.append((plus - minus) / (2 * h))
    return np.array(grads)
