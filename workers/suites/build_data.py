"""Builds the demo suites' data: sklearn's digits as CIFAR-10 batches, Shakespeare for A4."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

COURSE = Path(__file__).resolve().parent / "dd2424"
IMAGE_SUITES = ("a1", "a2", "a3")
TEXT_SOURCE = COURSE / "data" / "tinyshakespeare.txt"
# Train / validation / test sizes out of the 1797 digits; the test batch never enters a sandbox.
SPLIT = (1000, 397, 400)
TEXT_TEST_CHARS = 100_000
SEED = 2424


def cifar_rows(images: np.ndarray) -> np.ndarray:
    """8x8 digits (0..16) as CIFAR-10 rows: 32x32 nearest upsampling, 0..255, R, G, B planes."""
    big = np.kron(images, np.ones((1, 4, 4)))
    plane = np.rint(big * (255.0 / 16.0)).astype(np.uint8).reshape(len(images), 1024)
    return np.concatenate([plane, plane, plane], axis=1)


def batches() -> dict[str, bytes]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(SEED).permutation(len(digits.target))
    rows, labels = cifar_rows(digits.images[order]), digits.target[order]
    out, start = {}, 0
    for name, size in zip(("data_batch_1", "data_batch_2", "test_batch"), SPLIT, strict=True):
        part = slice(start, start + size)
        start += size
        batch = {
            b"batch_label": f"{name} (sklearn digits as CIFAR-10)".encode(),
            b"labels": [int(label) for label in labels[part]],
            b"data": rows[part],
            b"filenames": [f"digit_{i:04d}.png".encode() for i in order[part]],
        }
        # Protocol 2 and bytes keys, like the original CIFAR-10 python batches.
        out[name] = pickle.dumps(batch, protocol=2)
    return out


def write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def build() -> list[Path]:
    """Write every suite's data; returns the files that changed (none on a second run)."""
    written = []
    files = batches()
    for suite in IMAGE_SUITES:
        for name, data in files.items():
            folder = "hidden_data" if name == "test_batch" else "public_data"
            path = COURSE / suite / folder / name
            if write_if_changed(path, data):
                written.append(path)
    text = TEXT_SOURCE.read_bytes()
    for path, data in (
        (COURSE / "a4" / "public_data" / "goblet_book.txt", text[:-TEXT_TEST_CHARS]),
        (COURSE / "a4" / "hidden_data" / "test_text.txt", text[-TEXT_TEST_CHARS:]),
    ):
        if write_if_changed(path, data):
            written.append(path)
    return written


if __name__ == "__main__":
    changed = build()
    print(f"suite data: {len(changed)} file(s) written" + "".join(f"\n  {p}" for p in changed))
    sys.exit(0)
