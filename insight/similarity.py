"""The similarity engine: copydetect's winnowed fingerprints over each student's code, base code removed.

copydetect (PyPI) tokenises with Pygments, replaces names and strings by placeholders (so renaming variables or
reformatting does not hide a copy), hashes k-grams and keeps the overlap between two documents as character ranges
of the original text. It runs in-process in the Celery task; no second runtime (Node) is needed on the workers.
"""

import io
import json
import logging
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import IO, Generic, TypeVar

import numpy as np

log = logging.getLogger(__name__)

NOISE_T = 25  # copydetect's default noise threshold: shared runs shorter than this many tokens are ignored
GUARANTEE_T = 25  # copydetect's default: any shared run this long is found (window = GUARANTEE_T - NOISE_T + 1)
FILE_MAX_BYTES = 2 * 1024 * 1024
DOCUMENT_MAX_CHARS = 2_000_000
ARCHIVE_DOCUMENTS_MAX = 2000
CODE_EXTENSIONS = (".py", ".ipynb")


def notebook_code(raw: str) -> str:
    """A notebook's code cells, one after another (markdown and outputs left out); '' if it is not a notebook."""
    try:
        notebook = json.loads(raw)
    except ValueError:
        return ""
    cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        # IPython magics and shell lines are not Python; keep the line count but not the text.
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()]
        sources.append("\n".join(lines))
    return "\n\n".join(sources)


def file_code(name: str, data: bytes) -> str:
    """The Python code in one file: a .py as it is, a notebook's code cells; anything else is not code."""
    text = data.decode("utf-8", errors="replace")
    if name.lower().endswith(".ipynb"):
        return notebook_code(text)
    return text


def _is_code(name: str) -> bool:
    base = os.path.basename(name)
    return (
        name.lower().endswith(CODE_EXTENSIONS)
        and not base.startswith(".")
        and "__MACOSX" not in name
        and "/.ipynb_checkpoints/" not in f"/{name}"
    )


def _join(files: Iterable[tuple[str, str]]) -> str:
    parts = [f"# ---- {name}\n{code.rstrip()}\n" for name, code in sorted(files) if code.strip()]
    return "\n".join(parts)[:DOCUMENT_MAX_CHARS]


def zip_code(handle: IO[bytes]) -> str:
    """All .py files and notebooks' code cells in a zip, in name order, as one document."""
    files = []
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir() or not _is_code(info.filename) or info.file_size > FILE_MAX_BYTES:
                continue
            files.append((info.filename, file_code(info.filename, archive.read(info))))
    return _join(files)


def upload_code(name: str, handle: IO[bytes]) -> str:
    """Code in an uploaded file: a zip's code files, a .py or a notebook; '' for anything else (a PDF handout)."""
    head = handle.read(4)
    handle.seek(0)
    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        return zip_code(handle)
    if name.lower().endswith(CODE_EXTENSIONS):
        return _join([(os.path.basename(name), file_code(name, handle.read(FILE_MAX_BYTES)))])
    return ""


def archive_documents(handle: IO[bytes]) -> Iterator[tuple[str, str]]:
    """(label, code) of each earlier student in an archive of earlier terms.

    Each top-level folder is one student (e.g. `VT2025/student17/...` counts by its first folder), each top-level
    zip inside it is one student, and each loose top-level .py or .ipynb file is one student.
    """
    grouped: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or "__MACOSX" in name or info.file_size > FILE_MAX_BYTES * 10:
                continue
            top, _, rest = name.partition("/")
            if not rest and name.lower().endswith(".zip"):
                try:
                    code = zip_code(io.BytesIO(archive.read(info)))
                except zipfile.BadZipFile:
                    log.warning("skipping %s in the archive: not a zip", name)
                    continue
                grouped.setdefault(top[:-4], []).append(("", code))
            elif _is_code(name) and info.file_size <= FILE_MAX_BYTES:
                label = top if rest else os.path.splitext(top)[0]
                grouped.setdefault(label, []).append((rest or top, file_code(name, archive.read(info))))
    for count, (label, files) in enumerate(sorted(grouped.items())):
        if count >= ARCHIVE_DOCUMENTS_MAX:
            break
        code = files[0][1] if len(files) == 1 and files[0][0] == "" else _join(files)
        if code.strip():
            yield label, code


K = TypeVar("K")  # the key a caller finds a document by


@dataclass
class Document(Generic[K]):
    key: K  # whatever the caller uses to find it again
    text: str
    is_archive: bool = False


@dataclass
class Match(Generic[K]):
    a: Document[K]
    b: Document[K]
    similarity: float
    similarity_a: float
    similarity_b: float
    overlap_tokens: int
    slices_a: list[list[int]]
    slices_b: list[list[int]]


def base_hashes(texts: Iterable[str]) -> np.ndarray:
    """Fingerprints of the base code (all k-grams, as copydetect takes boilerplate); they never count."""
    from copydetect import CodeFingerprint  # imported here: it loads matplotlib, which web processes never need

    hashes: list[int] = []
    for text in texts:
        if text.strip():
            hashes.extend(CodeFingerprint("base.py", NOISE_T, 1, fp=io.StringIO(text), language="python").hashes)
    return np.unique(np.array(hashes, dtype=np.int64))


def _slices(array: np.ndarray) -> list[list[int]]:
    if array.size == 0:
        return []
    return [[int(start), int(end)] for start, end in zip(array[0], array[1], strict=True)]


def compare(documents: list[Document[K]], base: Iterable[str] = ()) -> list[Match[K]]:
    """Every pair of documents with any shared code (archive documents are compared with students only),
    ranked by similarity, highest first. A pair's similarity is the larger of the two shares of each document's
    fingerprinted code that is found in the other."""
    from copydetect import CodeFingerprint, compare_files  # see base_hashes

    boilerplate = base_hashes(base)
    window = GUARANTEE_T - NOISE_T + 1
    prints = [
        CodeFingerprint(
            "submission.py", NOISE_T, window, boilerplate=boilerplate, fp=io.StringIO(doc.text), language="python"
        )
        for doc in documents
    ]
    matches: list[Match[K]] = []
    for (i, a), (j, b) in combinations(enumerate(documents), 2):
        if a.is_archive and b.is_archive:
            continue
        if prints[i].hashes.isdisjoint(prints[j].hashes):
            continue
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[i], prints[j])
        if not overlap:
            continue
        sim_a, sim_b = float(min(1.0, sim_a)), float(min(1.0, sim_b))
        matches.append(Match(a, b, max(sim_a, sim_b), sim_a, sim_b, int(overlap), _slices(slices_a), _slices(slices_b)))
    matches.sort(key=lambda m: -m.similarity)
    return matches


def highlighted(text: str, slices: list[list[int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, shared?) segments for the side-by-side view."""
    segments, at = [], 0
    for start, end in sorted(slices):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            segments.append((text[at:start], False))
        segments.append((text[start:end], True))
        at = end
    if at < len(text):
        segments.append((text[at:], False))
    return segments
