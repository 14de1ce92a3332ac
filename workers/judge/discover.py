"""Finds the student's module in a submission by reading source only (nothing is executed).

Whatever is in the student's files, reading them here never fails the judge: a file that cannot be parsed
(too deeply nested for `ast.parse`, undecodable, null bytes, a notebook of malformed JSON or of the wrong types)
is noted for the student, and when nothing importable is left `Discovery.problem` says why in plain words
(the judge reports it as the student's import error).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workers.judge.advice import MAX_DEFINITIONS, BrokenFile, Definition, collect, place

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
    definitions: tuple[Definition, ...] = ()  # every def in every file, for the missing functions' advice
    broken: tuple[BrokenFile, ...] = ()  # the files with a syntax error, for the newer-Python advice
    notebooks: dict[str, str] = field(default_factory=dict)  # converted script -> its notebook


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


def _notebook_source(notebook: dict[str, Any], starts: list[tuple[int, int]] | None = None) -> tuple[str, int]:
    """The code cells in order as one script, and how many magic/shell lines were dropped; `starts` gets each
    kept cell's first line in the script and its number among the code cells."""
    chunks: list[str] = []
    dropped = 0
    number = 0
    line = 1
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else str(source)).splitlines()
        header = 0  # a cell magic's line, dropped
        if lines and lines[0].lstrip().startswith("%%"):
            magic = lines[0].lstrip()[2:].split(maxsplit=1)
            dropped += 1
            if not magic or magic[0] not in PYTHON_CELL_MAGICS:
                dropped += len(lines) - 1
                continue
            lines, header = lines[1:], 1
        kept = []
        for text in lines:
            if text.lstrip().startswith(("%", "!")):
                dropped += 1
                # keep indentation valid when the magic sat inside a block
                indent = text[: len(text) - len(text.lstrip())]
                kept.append(f"{indent}pass  # dropped: {text.strip()[:60]}")
            else:
                kept.append(text)
        if starts is not None:
            starts.append((line - header, number))
        chunks.append("\n".join(kept))
        line += chunks[-1].count("\n") + 2
    return "\n\n".join(chunks) + "\n", dropped


def convert_notebooks(root: Path, cells: dict[Path, list[tuple[int, int]]] | None = None) -> list[str]:
    """Write `<name>.py` beside each notebook that has no .py twin; returns notes for the student. `cells` gets,
    per script written, where its notebook's code cells start in it."""
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
            starts: list[tuple[int, int]] = []
            source, dropped = _notebook_source(notebook, starts)
            target.write_text(source, encoding="utf-8")
            if cells is not None:
                cells[target] = starts
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


def discover(root: Path, required: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None) -> Discovery:
    """Pick the .py file that defines most of the required functions, under their names or their `aliases`
    (notebooks converted first); note every def in every file and every file that does not parse."""
    cells: dict[Path, list[tuple[int, int]]] = {}
    notes = convert_notebooks(root, cells)
    accepted = {name: {name, *(aliases or {}).get(name, ())} for name in required}
    every_name = set().union(*accepted.values()) if accepted else set()
    best: tuple[int, int, str] | None = None
    best_path: Path | None = None
    best_names: set[str] = set()
    broken: list[Path] = []
    broken_files: list[BrokenFile] = []
    definitions: list[Definition] = []
    notebooks = {
        path.relative_to(root).as_posix(): path.with_suffix(".ipynb").relative_to(root).as_posix() for path in cells
    }
    unreadable: list[str] = [note.removeprefix("could not read ") for note in notes if note.startswith("could not")]
    for path in _source_files(root, ".py"):
        relative = path.relative_to(root)
        shown = notebooks.get(relative.as_posix(), relative.as_posix())
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                notes.append(f"skipped {relative}: larger than 2 MB")
                continue
            tree = _parse(path)
            names = top_level_names(tree) & every_name
            if len(definitions) < MAX_DEFINITIONS:
                definitions += collect(tree, shown, relative.as_posix(), cells.get(path, ()))
            del tree
        except (SyntaxError, ValueError) as error:
            broken.append(path)
            line = getattr(error, "lineno", None) or 0
            message = f"{type(error).__name__}: {getattr(error, 'msg', None) or error}"[:300]
            starts = tuple(cells.get(path, ()))
            broken_files.append(BrokenFile(path, shown, line, place(line, starts), message, starts))
            continue
        except Exception as error:  # noqa: BLE001 -- RecursionError, MemoryError, ...: the student's file
            reason = f"{relative}: {_unreadable(error)}"
            notes.append(f"could not read {reason}")
            unreadable.append(reason)
            continue
        count = sum(1 for name in required if accepted[name] & names)
        rank = (count, -len(path.relative_to(root).parts), str(path))
        if count and (best is None or rank[:2] > best[:2]):
            best, best_path, best_names = rank, path, names
    if best_path is None and broken:
        # Importing it shows the student the syntax error itself.
        best_path = broken[0]
        notes.append(f"{broken[0].relative_to(root)} has a syntax error")
    found = tuple(name for name in required if accepted[name] & best_names)
    missing = tuple(name for name in required if not accepted[name] & best_names)
    problem = None
    if best_path is None and unreadable:
        problem = "the autograder could not read " + unreadable[0]
    return Discovery(
        best_path,
        found,
        missing,
        tuple(notes),
        problem,
        tuple(definitions[:MAX_DEFINITIONS]),
        tuple(broken_files),
        notebooks,
    )
