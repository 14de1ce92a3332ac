"""Required functions as the instructor declares them in suite.toml, and what a student's call returned
measured against that declaration.

A signature is written as in the handout, with optional shapes in the handout's letters:

    ComputeGradients(X: d x n, Y: K x n, P: K x n, W: K x d, lambda) -> (grad_W: K x d, grad_b: K x 1)

A parameter is `name`, `name: shape` or `name=default` (optional); a shape is dimensions joined by `x` (letters
are bound from the arrays the test passes, digits are fixed), or `number`, `list`, `dict`, `text`. The result is
one value or a tuple of them in parentheses. Nothing here imports numpy: values are looked at by duck typing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("number", "list", "dict", "text")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DIM = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|\d+)$")
_CALL = re.compile(rf"^\s*({_IDENT})?\s*\(([^()]*)\)\s*(?:->\s*(.+?))?\s*$", re.DOTALL)


@dataclass(frozen=True)
class Value:
    """A parameter or a returned value: its name (may be empty for a result) and what it should be."""

    name: str
    kind: str = "any"  # "any", "array" (with dims), or one of KINDS
    dims: tuple[str, ...] = ()

    def shape_text(self) -> str:
        return " x ".join(self.dims) if self.kind == "array" else ("" if self.kind == "any" else self.kind)

    def text(self) -> str:
        shape = self.shape_text()
        if not self.name:
            return shape
        return f"{self.name}: {shape}" if shape else self.name


@dataclass(frozen=True)
class Param:
    value: Value
    optional: bool = False
    default: str = ""

    def text(self, shapes: bool) -> str:
        head = self.value.text() if shapes else self.value.name
        return f"{head}={self.default or '...'}" if self.optional else head


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[Param, ...]
    returns: tuple[Value, ...] = ()
    returns_tuple: bool = False

    def call_text(self, name: str | None = None) -> str:
        """`ComputeCost(X, Y, W, b, lambda)`: the names only, as a student writes the def."""
        return f"{name or self.name}({', '.join(p.text(shapes=False) for p in self.params)})"

    def returns_text(self) -> str:
        inner = ", ".join(value.text() for value in self.returns)
        return f"({inner})" if self.returns_tuple else inner

    def text(self) -> str:
        """The whole declaration, shapes and result included."""
        params = ", ".join(p.text(shapes=True) for p in self.params)
        result = self.returns_text()
        return f"{self.name}({params})" + (f" -> {result}" if result else "")

    @property
    def arity(self) -> tuple[int, int]:
        return sum(not p.optional for p in self.params), len(self.params)


def _value(text: str, where: str, named: bool) -> Value:
    """`name`, `name: shape`, or (for a result) a bare shape."""
    text = text.strip()
    name, colon, shape = (part.strip() for part in text.partition(":"))
    if not colon:
        if named or (re.fullmatch(_IDENT, text) and text not in KINDS):
            if not re.fullmatch(_IDENT, text):
                raise ValueError(f"{where}: {text!r} is not a name")
            return Value(text)
        name, shape = "", text
    elif not re.fullmatch(_IDENT, name):
        raise ValueError(f"{where}: {name!r} is not a name")
    if shape in KINDS:
        return Value(name, shape)
    dims = tuple(part.strip() for part in re.split(r"\s*(?:\bx\b|×|\*)\s*", shape))
    if not shape or not all(_DIM.match(dim) for dim in dims):
        raise ValueError(
            f"{where}: {shape!r} is not a shape (dimensions joined by x, such as K x 1, or one of {', '.join(KINDS)})"
        )
    return Value(name, "array", dims)


def _split(text: str) -> list[str]:
    return [part for part in (piece.strip() for piece in text.split(",")) if part] if text.strip() else []


def parse(text: str, name: str) -> Signature:
    """The declared signature of required function `name`; ValueError says what is wrong, in plain words."""
    where = f"the signature of {name}"
    match = _CALL.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{where} must look like {name}(X: d x n, W: K x d, b: K x 1) -> P: K x n")
    declared, inner, result = match.groups()
    if declared and declared != name:
        raise ValueError(f"{where} names another function ({declared})")
    params = []
    for piece in _split(inner):
        head, equals, default = piece.partition("=")
        params.append(Param(_value(head, where, named=True), optional=bool(equals), default=default.strip()[:40]))
    seen = [p.value.name for p in params]
    if len(set(seen)) != len(seen):
        raise ValueError(f"{where} names a parameter twice")
    returns: tuple[Value, ...] = ()
    as_tuple = False
    if result:
        result = result.strip()
        as_tuple = result.startswith("(") and result.endswith(")")
        pieces = _split(result[1:-1]) if as_tuple else [result]
        if not pieces:
            raise ValueError(f"{where} returns an empty tuple")
        returns = tuple(_value(piece, where, named=False) for piece in pieces)
    return Signature(name, tuple(params), returns, as_tuple)


# --- what a call returned, against the declaration ---------------------------------------------------------------


def _shape(value: Any) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    return tuple(int(n) for n in shape) if isinstance(shape, tuple) and hasattr(value, "dtype") else None


def _bind(signature: Signature, args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, int]:
    """The handout's letters (d, n, K) as the arrays the test passed give them."""
    sizes: dict[str, int] = {}
    given = list(zip(signature.params, args, strict=False))
    given += [(p, kwargs[p.value.name]) for p in signature.params if p.value.name in kwargs]
    for param, arg in given:
        shape = _shape(arg)
        if param.value.kind != "array" or shape is None or len(shape) != len(param.value.dims):
            continue
        for dim, size in zip(param.value.dims, shape, strict=True):
            if not dim.isdigit():
                sizes.setdefault(dim, size)
    return sizes


def _expected(value: Value, sizes: Mapping[str, int]) -> tuple[int, ...] | None:
    if value.kind != "array" or not all(dim.isdigit() or dim in sizes for dim in value.dims):
        return None
    return tuple(int(dim) if dim.isdigit() else sizes[dim] for dim in value.dims)


def describe(value: Any) -> str:
    """A returned value in a few words: `an array of shape (10, 1)`, `a list of 2 arrays`, `None`."""
    shape = _shape(value)
    if shape is not None:
        return f"a number ({type(value).__name__})" if shape == () else f"an array of shape {shape}"
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"{value} (a bool)"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(key) for key in value)[:6])
        return f"a dict (keys {keys})" if keys else "an empty dict"
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        items = {describe(item).split(" of shape")[0] for item in value[:20]}
        what = "arrays" if items == {"an array"} else "values"
        return f"a {kind} of {len(value)} {what}"
    return f"a {type(value).__name__}"


def _item_problem(value: Value, got: Any, sizes: Mapping[str, int]) -> str | None:
    """Why `got` is not the declared `value` (None when it is, or when the declaration says too little)."""
    label = value.name or "the result"
    shape = _shape(got)
    if value.kind == "number":
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            return None
        if shape is not None and (shape == () or all(n == 1 for n in shape)):
            return None
        return f"{label} is {describe(got)}; it should be a single number"
    if value.kind == "array":
        wanted = _expected(value, sizes)
        wanted_text = value.shape_text() + (f" = {wanted}" if wanted else "")
        if shape is None:
            return f"{label} is {describe(got)}; it should be a numpy array, {wanted_text}"
        if wanted is None:
            if len(shape) != len(value.dims):
                return f"{label} has shape {shape}; it should have {len(value.dims)} dimensions ({value.shape_text()})"
            return None
        if shape == wanted:
            return None
        size = 1
        for n in wanted:
            size *= n
        if len(shape) == 1 and len(wanted) == 2 and 1 in wanted and shape[0] == size:
            column, reshape = ("a column", "-1, 1") if wanted[1] == 1 else ("a row", "1, -1")
            return (
                f"{label} is 1-D, shape {shape}; it should be {column}, {wanted_text} "
                f"(keep the dimension: keepdims=True in the sum, or .reshape({reshape}))"
            )
        if len(shape) == 2 and shape == wanted[::-1]:
            return f"{label} is transposed, shape {shape}; it should be {wanted_text}"
        return f"{label} has shape {shape}; it should be {wanted_text}"
    expected_type = {"list": list, "dict": dict, "text": str}.get(value.kind)
    if expected_type is not None and not isinstance(got, expected_type):
        return f"{label} is {describe(got)}; it should be a {value.kind}"
    return None


def return_problems(signature: Signature, args: Sequence[Any], kwargs: Mapping[str, Any], got: Any) -> list[str]:
    """What is wrong with `got`, the value the student's function returned for these arguments, by the
    declaration: the kind (a list where a tuple is asked for, the wrong count), the order (values swapped, told by
    their shapes), and each value's shape (a 1-D bias, a transposed matrix). [] when nothing is."""
    if not signature.returns:
        return []
    sizes = _bind(signature, args, kwargs)
    wanted = signature.returns
    if not signature.returns_tuple:
        problem = _item_problem(wanted[0], got, sizes)
        return [problem] if problem else []
    names = ", ".join(value.name or "..." for value in wanted)
    problems: list[str] = []
    if isinstance(got, list) and len(got) == len(wanted):
        problems.append(f"it returned a list of {len(got)} where the assignment asks for a tuple: `return {names}`")
    elif not isinstance(got, (list, tuple)):
        return [f"it returned {describe(got)}; the assignment asks for a tuple of {len(wanted)}: ({names})"]
    elif len(got) != len(wanted):
        return [f"it returned {describe(got)}; the assignment asks for a tuple of {len(wanted)}: ({names})"]
    items = [_item_problem(value, item, sizes) for value, item in zip(wanted, got, strict=True)]
    if any(items):
        order = _reordered(wanted, got, sizes)
        if order is not None:
            shapes = ", ".join(str(_shape(item)) for item in got)
            problems.append(
                f"its values are in another order: their shapes ({shapes}) are those of ({order}); "
                f"return ({names}) in that order"
            )
        else:
            problems += [problem for problem in items if problem]
    return problems


def _reordered(wanted: Sequence[Value], got: Sequence[Any], sizes: Mapping[str, int]) -> str | None:
    """The declared names in the order the returned shapes match them, when that is another order."""
    expected = [_expected(value, sizes) for value in wanted]
    shapes = [_shape(item) for item in got]
    known = [shape for shape in expected if shape is not None]
    returned = [shape for shape in shapes if shape is not None]
    if len(known) != len(expected) or len(returned) != len(shapes) or len(set(known)) != len(known):
        return None
    if sorted(known) != sorted(returned) or known == returned:
        return None
    return ", ".join(wanted[known.index(shape)].name or "..." for shape in returned)
