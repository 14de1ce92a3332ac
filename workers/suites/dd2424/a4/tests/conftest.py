"""Judge-side data for the assignment 4 tests: the book, its alphabet, small RNN problems."""

import numpy as np
import pytest
import reference as ref


@pytest.fixture(scope="session")
def book(public_data):
    return (public_data / "goblet_book.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def chars(book):
    """The alphabet, in the order every test and the student's training use."""
    return sorted(set(book))


@pytest.fixture(scope="session")
def held_out(hidden_data):
    return (hidden_data / "test_text.txt").read_text(encoding="utf-8")


def sequence(book, chars, start, length):
    index = {ch: i for i, ch in enumerate(chars)}
    data = [index[ch] for ch in book[start : start + length + 1]]
    return ref.OneHot(data[:-1], len(chars)), ref.OneHot(data[1:], len(chars))


@pytest.fixture
def problem(book, chars):
    """A small RNN (m = 5, weights N(0, 0.1^2), random biases) on a 10-character sequence."""
    rng = np.random.default_rng(41)
    RNN = ref.InitRNN(5, len(chars), 0.1, 4)
    RNN["b"] = 0.1 * rng.standard_normal(RNN["b"].shape)
    RNN["c"] = 0.1 * rng.standard_normal(RNN["c"].shape)
    X, Y = sequence(book, chars, 1000, 10)
    return X, Y, RNN, 0.1 * rng.standard_normal((5, 1))
