"""Messages that point at the fix: what the submission defines (read from its source, never run), the closest
matches of a missing function, a call with the wrong number of arguments, a value of the wrong kind, and a
file written in a newer Python than the assignment's runtime.

Everything here reads the student's source with `ast` in the judge (no student code runs here); the newer
Pythons are asked only to parse a file, isolated (-I -S), as the judge's own uid and under its limits.
"""

from __future__ import annotations

import ast
import difflib
import json
import keyword
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.judge.signatures import Signature, return_problems

MAX_DEFINITIONS = 5000
MAX_MATCHES = 2
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
PYTHONS_ENV = "COURSESITE_JUDGE_PYTHONS"
PROBE_TIMEOUT_S = 10
# Words students use for the same thing (each group's first word stands for it); weak words count only when a
# name has nothing else.
_SYNONYMS = (
    ("cost", "loss", "objective"),
    ("evaluate", "apply", "forward", "predict", "eval", "evaluation", "classify", "run"),
    ("gradients", "gradient", "grads", "grad", "backward", "backprop", "backpass", "back"),
    ("init", "initialise", "initialize", "initial", "setup", "create", "make"),
    ("params", "parameters", "param", "weights"),
    ("accuracy", "acc"),
    ("train", "fit", "training", "gd", "sgd"),
    ("load", "read", "open"),
    ("batch", "batches"),
    ("network", "net", "model", "classifier", "nn"),
    ("synthesize", "synthesise", "generate", "sample"),
)
_CANONICAL = {word: group[0] for group in _SYNONYMS for word in group}
_WEAK = {"compute", "calc", "calculate", "get", "do", "my", "the", "func", "fn", "pass", "step", "network"}


# --- what the submission defines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """A def's parameters as its source gives them."""

    positional: tuple[str, ...] = ()
    defaults: int = 0
    vararg: bool = False
    kwonly: tuple[str, ...] = ()
    kwonly_required: tuple[str, ...] = ()
    kwarg: bool = False
    shown: str = ""

    @classmethod
    def of(cls, args: ast.arguments) -> Params:
        positional = tuple(a.arg for a in [*args.posonlyargs, *args.args])
        shown = [a.arg for a in [*args.posonlyargs, *args.args]]
        for offset, default in enumerate(args.defaults):
            position = len(shown) - len(args.defaults) + offset
            shown[position] += "=" + _source(default)
        if args.vararg:
            shown.append("*" + args.vararg.arg)
        elif args.kwonlyargs:
            shown.append("*")
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            shown.append(arg.arg + ("" if kw_default is None else "=" + _source(kw_default)))
        if args.kwarg:
            shown.append("**" + args.kwarg.arg)
        return cls(
            positional,
            len(args.defaults),
            args.vararg is not None,
            tuple(a.arg for a in args.kwonlyargs),
            tuple(a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None),
            args.kwarg is not None,
            ", ".join(shown),
        )

    def without_self(self) -> Params:
        if not self.positional:
            return self
        shown = self.shown.split(", ", 1)
        return Params(self.positional[1:], self.defaults, self.vararg, self.kwonly, self.kwonly_required, self.kwarg,
                      shown[1] if len(shown) > 1 else "")  # fmt: skip

    def count(self) -> int:
        return len(self.positional)

    def bind_problem(self, given: int, keywords: Sequence[str]) -> str | None:
        """Why a call with `given` positional arguments and these keywords cannot bind (None when it can)."""
        most = len(self.positional)
        needed = most - self.defaults
        if given > most and not self.vararg:
            return f"takes {_count(needed, most)}, and the tests pass {given}"
        bound = set(self.positional[:given])
        for word in keywords:
            if word in bound:
                return f"gets {word} twice (by position and by name)"
            if word not in self.positional and word not in self.kwonly and not self.kwarg:
                return f"has no parameter named {word}, which the tests pass by name"
        missing = [name for name in self.positional[given:needed] if name not in keywords]
        missing += [name for name in self.kwonly_required if name not in keywords]
        if missing:
            return f"takes {_count(needed, most)}, and the tests pass {given}: {', '.join(missing)} get no value"
        return None


def _count(needed: int, most: int) -> str:
    if needed == most:
        return f"{most} argument{'s' * (most != 1)}"
    return f"{needed} to {most} arguments"


def _source(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 -- a default too deep to print
        return "..."
    return text if len(text) <= 20 else "..."


@dataclass(frozen=True)
class Definition:
    """A function the submission's source defines, and where (a converted notebook's by its cell)."""

    name: str
    kind: str  # "function" (top level), "method", "nested" (inside a function), "guarded" (under the main guard)
    owner: str  # the class, or the function it is nested in; "" at the top level
    params: Params
    file: str  # relative path of the file (for a notebook, the notebook)
    where: str  # "line 42" or "code cell 3, line 2"
    module: str  # relative path of the .py file it is in (the converted script, for a notebook)

    def text(self) -> str:
        prefix = f"{self.owner}." if self.kind == "method" else ""
        return f"{prefix}{self.name}({self.params.shown})"

    def callable_params(self) -> Params:
        return self.params.without_self() if self.kind == "method" else self.params


def _is_main_guard(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"


def place(line: int, cells: Sequence[tuple[int, int]] = ()) -> str:
    """`line 42`, or for a converted notebook (`cells`: each code cell's first line and number) `code cell 3,
    line 2`."""
    for start, number in reversed(cells):
        if line >= start:
            return f"code cell {number}, line {line - start + 1}"
    return f"line {line}"


def collect(tree: ast.Module, file: str, module: str, cells: Sequence[tuple[int, int]] = ()) -> list[Definition]:
    """Every def in the file, with its kind (see Definition); `cells` places a converted notebook's lines."""

    def where(line: int) -> str:
        return place(line, cells)

    found: list[Definition] = []
    # (node, context, owner): context is "module", "class", "function" or "guard"
    pending: list[tuple[ast.AST, str, str]] = [(node, "module", "") for node in reversed(tree.body)]
    while pending and len(found) < MAX_DEFINITIONS:
        node, context, owner = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind = {"module": "function", "class": "method", "function": "nested", "guard": "guarded"}[context]
            found.append(Definition(node.name, kind, owner, Params.of(node.args), file, where(node.lineno), module))
            pending.extend((child, "function", node.name) for child in reversed(node.body))
        elif isinstance(node, ast.ClassDef):
            inner = "class" if context in ("module", "class") else context
            pending.extend((child, inner, node.name) for child in reversed(node.body))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda) and context == "module":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    params = Params.of(node.value.args)
                    found.append(Definition(target.id, "function", "", params, file, where(node.lineno), module))
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            guard = context == "module" and _is_main_guard(node)
            inner = "guard" if guard else context
            blocks = [getattr(node, name, []) for name in ("body", "orelse", "finalbody")]
            blocks += [handler.body for handler in getattr(node, "handlers", [])]
            for block in reversed(blocks):
                pending.extend((child, inner, owner) for child in reversed(block))
    return found


# --- matching names ------------------------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name))
    return [word for word in re.split(r"[\s_]+", spaced.lower()) if word]


def _meaning(name: str) -> set[str]:
    words = {_CANONICAL.get(word, word) for word in _words(name)}
    strong = {word for word in words if word not in _WEAK}
    return strong or words


def similarity(candidate: str, target: str) -> float:
    """1.0 for the same name in another style (compute_cost, computeCost); less for the same words in other
    terms (compute_loss) or a near spelling."""
    a, b = candidate.lower().replace("_", ""), target.lower().replace("_", "")
    if a == b:
        return 1.0
    spelled = difflib.SequenceMatcher(None, a, b).ratio()
    ours, theirs = _meaning(candidate), _meaning(target)
    shared = len(ours & theirs) / len(ours | theirs) if ours | theirs else 0.0
    return max(spelled if spelled >= 0.8 else 0.0, 0.9 * shared if shared >= 0.5 else 0.0)


@dataclass(frozen=True)
class FunctionAsked:
    """A required function as the suite declares it."""

    name: str
    signature: Signature | None = None
    aliases: tuple[str, ...] = ()

    def call(self, name: str | None = None) -> str:
        return self.signature.call_text(name) if self.signature else f"{name or self.name}"

    def definable(self) -> str:
        """The call as a def line a student can paste (the handout's `lambda` is a keyword in Python)."""
        if not self.signature:
            return f"{self.name}(...)"
        params = [p.value.name for p in self.signature.params]
        safe = ["lam" if name == "lambda" else name + "_" if keyword.iskeyword(name) else name for name in params]
        return f"{self.name}({', '.join(safe)})"

    def asked(self) -> str:
        text = f"the assignment asks for `{self.call()}`"
        if self.aliases:
            text += " (or " + ", ".join(f"`{alias}`" for alias in self.aliases) + ")"
        return text


class Advice:
    """What to tell the student about the required functions, from the suite's declarations and the
    submission's definitions; `routes` sends a required name to the alias the module defines."""

    def __init__(
        self,
        asked: Mapping[str, FunctionAsked],
        definitions: Sequence[Definition],
        module: str | None,
        notebooks: Mapping[str, str] | None = None,
    ) -> None:
        self.asked = dict(asked)
        self.definitions = list(definitions)
        self.module = module
        self.notebooks = dict(notebooks or {})  # converted script -> its notebook
        self.routes: dict[str, str] = {}

    def spec(self, name: str) -> FunctionAsked:
        return self.asked.get(name) or FunctionAsked(name)

    def accepted(self, name: str) -> tuple[str, ...]:
        return (name, *self.spec(name).aliases)

    def defines(self, functions: Sequence[str]) -> list[str]:
        """The module defines `functions`: the required ones it lacks (under every accepted name); calls to a
        required name go to the alias it has."""
        present = set(functions)
        missing = []
        for name in self.asked:
            found = next((alias for alias in self.accepted(name) if alias in present), None)
            if found is None:
                missing.append(name)
            elif found != name:
                self.routes[name] = found
        return missing

    def target(self, name: str) -> str:
        return self.routes.get(name, name)

    # -- missing functions --
    def matches(self, name: str) -> list[Definition]:
        """The submission's definitions closest to required function `name`, best first."""
        taken = {alias for required in self.asked for alias in self.accepted(required)} - {name}
        wanted = self.accepted(name)
        signature = self.spec(name).signature
        arity = signature.arity if signature else None
        scored: list[tuple[float, bool, bool, int, Definition]] = []
        for definition in self.definitions:
            if definition.name in taken and definition.kind == "function":
                continue  # another required function, defined as it should be
            score = max(similarity(definition.name, alias) for alias in wanted)
            if score <= 0:
                continue
            count = definition.callable_params().count()
            fits = arity is not None and arity[0] <= count <= arity[1]
            scored.append((score, fits, definition.kind == "function", -len(scored), definition))
        scored.sort(key=lambda item: item[:4], reverse=True)
        best, seen = [], set()
        for *_, definition in scored:
            if definition.text() not in seen:
                seen.add(definition.text())
                best.append(definition)
        return best[:MAX_MATCHES]

    def _file(self, definition: Definition) -> str:
        if definition.module == self.module:
            if definition.file != definition.module:
                return f"your notebook {definition.file}"
            return "your file"
        return f"your {definition.file}"

    def _fix(self, name: str, definition: Definition) -> str:
        spec = self.spec(name)
        shown, where, file = definition.text(), definition.where, self._file(definition)
        rename = definition.name not in self.accepted(name)
        if definition.kind == "method":
            return (
                f"{file} defines `{shown}`, a method of class {definition.owner} ({where}) - the autograder calls "
                f"functions at the top level of your file, not methods: add `def {spec.definable()}:` there (it "
                "may build the object and call your method)"
            )
        if definition.kind in ("nested", "guarded"):
            inside = (
                f"inside `{definition.owner}()`"
                if definition.kind == "nested"
                else 'under `if __name__ == "__main__":`'
            )
            why = (
                "where the autograder cannot reach it"
                if definition.kind == "nested"
                else ("which does not run when the autograder imports your file")
            )
            return f"{file} defines `{shown}` {inside} ({where}), {why} - move it to the top level of the file" + (
                f" and name it {name}" if rename else ""
            )
        if definition.module != self.module and self.module is not None:
            stem = Path(definition.module).stem
            alias = f" as {name}" if rename else ""
            return (
                f"{file} defines `{shown}` ({where}), but the autograder imports {self.module}: add "
                f"`from {stem} import {definition.name}{alias}` to it"
            )
        if not rename:
            return f"{file} defines `{shown}` ({where})"
        return f"{file} defines `{shown}` ({where}) - rename it, or add `{name} = {definition.name}`"

    def missing(self, name: str) -> str:
        """The missing function `name`, its closest matches in the submission, and what to do."""
        matches = self.matches(name)
        if not matches:
            return f"{self.spec(name).asked()}; your files define no function of that name or a similar one"
        return f"{self.spec(name).asked()}; " + "; and ".join(self._fix(name, match) for match in matches)

    # -- calls --
    def _definition(self, name: str) -> Definition | None:
        """The top-level def the module's `name` most likely is (the imported module's first)."""
        candidates = [d for d in self.definitions if d.name == name and d.kind == "function"]
        candidates.sort(key=lambda d: d.module != self.module)
        return candidates[0] if candidates else None

    def wrong_arguments(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str | None:
        """When the student's def cannot take the call the tests make: which, and what the assignment asks."""
        target = self.target(name)
        definition = self._definition(target)
        if definition is None:
            return None
        problem = definition.params.bind_problem(len(args), list(kwargs))
        if problem is None:
            return None
        spec = self.spec(name)
        called = f"`{spec.call(target)}`" if spec.signature else f"{target} with {len(args)} argument(s)"
        text = f"the tests call {called}, as the assignment asks; your `{definition.text()}` ({definition.where})"
        text += f" {problem}"
        if spec.signature and definition.params.count() < len(spec.signature.params) and not definition.params.vararg:
            extra = [p.value.name for p in spec.signature.params[definition.params.count() :]]
            text += f" - add the parameter{'s' * (len(extra) != 1)} {', '.join(extra)}"
        return text

    def returned(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any], value: Any) -> str | None:
        """When the value the student's function returned is not what the declaration says."""
        signature = self.spec(name).signature
        if signature is None:
            return None
        try:
            problems = return_problems(signature, args, kwargs, value)
        except Exception:  # noqa: BLE001 -- a value the check does not understand is left to the test
            return None
        if not problems:
            return None
        return f"your {self.target(name)}: " + "; ".join(problems) + f" (the assignment declares `{signature.text()}`)"


# --- newer syntax ----------------------------------------------------------------------------------------------------

_PROBE = r"""
import ast, json, sys
version = list(sys.version_info[:2])
try:
    with open(sys.argv[1], "rb") as f:
        tree = ast.parse(f.read())
except BaseException:
    print(json.dumps({"version": version, "ok": False}))
    raise SystemExit(0)
features = []
for node in ast.walk(tree):
    kind = type(node).__name__
    lines = [getattr(node, "lineno", 0), getattr(node, "end_lineno", 0) or 0]
    if kind == "TypeAlias":
        features.append(["type alias", *lines])
    for param in getattr(node, "type_params", None) or ():
        kind2 = "type parameter default" if getattr(param, "default_value", None) is not None else "type parameters"
        features.append([kind2, *lines])
    if kind == "JoinedStr":
        features.append(["f-string", *lines])
    if len(features) > 200:
        break
print(json.dumps({"version": version, "ok": True, "features": features}))
"""
_FEATURES = {
    "type alias": "a `type` alias statement (`type Name = ...`)",
    "type parameters": "type parameters in brackets (`def f[T](...)`, `class C[T]:`)",
    "type parameter default": "a default value for a type parameter",
    "f-string": "an f-string whose {...} part spans lines or uses the f-string's own quotes",
}


@dataclass(frozen=True)
class BrokenFile:
    """A file the judge's own Python cannot parse."""

    path: Path
    shown: str  # as the student knows it (the notebook, for a converted one)
    line: int
    where: str  # "line 12" or "code cell 2, line 3"
    message: str
    cells: tuple[tuple[int, int], ...] = ()  # a converted notebook's code cells (see place)


def _probe(python: str, path: Path) -> dict[str, Any] | None:
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", _PROBE, str(path)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        answer = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def newer_pythons() -> list[str]:
    return [python for python in os.environ.get(PYTHONS_ENV, "").split(os.pathsep) if python]


def newer_syntax(broken: BrokenFile, pythons: Sequence[str] | None = None) -> str | None:
    """When a newer Python the grader has parses the file: in plain words, which and what to do."""
    own = sys.version_info[:2]
    readers = []
    for python in newer_pythons() if pythons is None else pythons:
        answer = _probe(python, broken.path)
        version = tuple(answer.get("version", ())) if answer else ()
        if answer and answer.get("ok") and len(version) == 2 and version > own:
            readers.append((version, answer.get("features") or []))
    if not readers:
        return None
    version, features = min(readers, key=lambda reader: reader[0])
    # What the newer Python read there: the construct on the line the older one stopped at, then every other
    # construct that only the newer one has (the student meets them next).
    here = {name for name, first, last in features if first <= broken.line <= max(first, last)}
    found: list[tuple[str, int]] = []
    for name in ("type parameter default", "type alias", "type parameters"):
        if name in here:
            found.append((name, broken.line))
            break
    else:
        if "f-string" in here or "f-string" in broken.message:
            found.append(("f-string", broken.line))
    for name, first, _last in sorted(features, key=lambda feature: feature[1]):
        if name != "f-string" and first != broken.line and len(found) < 4 and (name, first) not in found:
            found.append((name, first))
    new, old = ".".join(map(str, version)), ".".join(map(str, own))
    uses = f"uses syntax from Python {new}"
    if found:
        uses += ": " + ", and ".join(f"{_FEATURES[name]} ({place(line, broken.cells)})" for name, line in found)
    else:
        uses += f" ({broken.where})"
    return (
        f"{broken.shown} {uses}; the grader runs Python {old} for this assignment, which cannot read it "
        f"({broken.message}, {broken.where}). Write it the way Python {old} accepts, or ask the teachers whether "
        f"the assignment can be graded with Python {new}."
    )
