"""Finds the student's module in a submission by reading source only (nothing is executed).

Whatever is in the student's files, reading them here never fails the judge: a file that cannot be parsed
(too deeply nested for `ast.parse`, undecodable, null bytes, a notebook of malformed JSON or of the wrong types)
is noted for the student, and when nothing importable is left `Discovery.problem` says why in plain words
(the judge reports it as the student's import error).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 500
MAX_FILE_BYTES = 2 * 1024 * 1024
SKIPPED_DIRS = {"__pycache__", "__MACOSX", ".ipynb_checkpoints", ".git", "venv", ".venv"}
# Cell magics whose body is still Python; any other cell magic (%%bash, %%html ...) drops the cell.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}


@dataclass(frozen=True)
class Discovery:
    module: Path | None
    found: tuple[str, ...]
    missing: tuple[str, ...]
    notes: tuple[str, ...]
    problem: str | None = None  # why nothing in the submission can be imported (an import error)


def _source_files(root: Path, suffix: str) -> list[Path]:
    files = [
        path
        for path in sorted(root.rglob(f"*{suffix}"))
        if path.is_file()
        and not path.is_symlink()
        and not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return files[:MAX_FILES]


def _is_main_guard(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def top_level_names(tree: ast.Module) -> set[str]:
    """Names bound when the module is imported: defs, assignments, and those inside
    top-level if/try blocks (not under the main guard, which does not run on import)."""
    names: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.If) and not _is_main_guard(node):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, (ast.ImportFrom, ast.Import)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _notebook_source(notebook: dict) -> tuple[str, int]:
    """The code cells in order as one script, and how many magic/shell lines were dropped."""
    chunks: list[str] = []
    dropped = 0
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            magic = lines[0].lstrip()[2:].split(maxsplit=1)
            dropped += 1
            if not magic or magic[0] not in PYTHON_CELL_MAGICS:
                dropped += len(lines) - 1
                continue
            lines = lines[1:]
        kept = []
        for line in lines:
            if line.lstrip().startswith(("%", "!")):
                dropped += 1
                # keep indentation valid when the magic sat inside a block
                indent = line[: len(line) - len(line.lstrip())]
                kept.append(f"{indent}pass  # dropped: {line.strip()[:60]}")
            else:
                kept.append(line)
        chunks.append("\n".join(kept))
    return "\n\n".join(chunks) + "\n", dropped


def convert_notebooks(root: Path) -> list[str]:
    """Write `<name>.py` beside each notebook that has no .py twin; returns notes for the student."""
    notes = []
    for path in _source_files(root, ".ipynb"):
        target = path.with_suffix(".py")
        if target.exists():
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES * 10:
                raise ValueError("notebook too large")
            notebook = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(notebook, dict):
                raise ValueError("not a notebook")
            source, dropped = _notebook_source(notebook)
            target.write_text(source, encoding="utf-8")
        except Exception as error:  # noqa: BLE001 -- anything in the student's notebook is the student's
            notes.append(f"could not read notebook {path.relative_to(root)}: {_unreadable(error)}")
            continue
        note = f"converted notebook {path.relative_to(root)} to a script of its code cells"
        if dropped:
            note += f" (dropped {dropped} IPython magic or shell line(s))"
        notes.append(note)
    return notes


def _unreadable(error: BaseException) -> str:
    """Why a student's file could not be read, in plain words."""
    if isinstance(error, (RecursionError, MemoryError)):
        return "it is too deeply nested to read (its expressions or brackets nest deeper than Python can parse)"
    if isinstance(error, UnicodeError):
        return f"it is not valid UTF-8 text ({error})"[:300]
    if isinstance(error, json.JSONDecodeError):
        return f"it is not valid JSON ({error})"
    if isinstance(error, (ValueError, TypeError, AttributeError, KeyError)):
        return f"its contents are not a notebook's ({error})"[:300]
    return f"{type(error).__name__}: {error}"[:300]


def _parse(path: Path) -> ast.Module:
    """The file's syntax tree; SyntaxError (or ValueError for null bytes) when importing it shows the error."""
    return ast.parse(path.read_bytes(), filename=path.name)


def discover(root: Path, required: Sequence[str]) -> Discovery:
    """Pick the .py file that defines most of the required functions (notebooks converted first)."""
    notes = convert_notebooks(root)
    best: tuple[int, int, str] | None = None
    best_path: Path | None = None
    best_names: set[str] = set()
    broken: list[Path] = []
    unreadable: list[str] = [note.removeprefix("could not read ") for note in notes if note.startswith("could not")]
    for path in _source_files(root, ".py"):
        relative = path.relative_to(root)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                notes.append(f"skipped {relative}: larger than 2 MB")
                continue
            tree = _parse(path)
            names = top_level_names(tree) & set(required)
            del tree
        except (SyntaxError, ValueError):
            broken.append(path)
            continue
        except Exception as error:  # noqa: BLE001 -- RecursionError, MemoryError, ...: the student's file
            reason = f"{relative}: {_unreadable(error)}"
            notes.append(f"could not read {reason}")
            unreadable.append(reason)
            continue
        rank = (len(names), -len(path.relative_to(root).parts), str(path))
        if names and (best is None or rank[:2] > best[:2]):
            best, best_path, best_names = rank, path, names
    if best_path is None and broken:
        # Importing it shows the student the syntax error itself.
        best_path = broken[0]
        notes.append(f"{broken[0].relative_to(root)} has a syntax error")
    found = tuple(name for name in required if name in best_names)
    missing = tuple(name for name in required if name not in best_names)
    problem = None
    if best_path is None and unreadable:
        problem = "the autograder could not read " + unreadable[0]
    return Discovery(best_path, found, missing, tuple(notes), problem)
